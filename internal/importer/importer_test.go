package importer_test

import (
	"os"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/internal/importer"
	"github.com/function-dataservice/function-dataservice/internal/reference"
)

func load(t *testing.T, rel string) *unstructured.Unstructured {
	t.Helper()
	p := reference.PathOrSkip(t, rel)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(b, &u.Object); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return u
}

// TestRoundTripKlutch imports each of Klutch's hand-written APIs and requires that the DataService
// it writes regenerates them exactly (compared as the fidelity tests compare, see package semantic).
func TestRoundTripKlutch(t *testing.T) {
	cases := map[string]struct {
		xrd, composition, template string
		// more are further Compositions of the XRD, e.g. the a8s one beside the a9s one.
		more  []string
		name  string // the DataService name import must find
		notes []string
	}{
		"MongoDB": {
			xrd: "crossplane-api/api/a9s/mongodb/definition.yaml", composition: "crossplane-api/api/a9s/mongodb/composition.yaml",
			template: "bind/mongodb_apiserviceexporttemplate.yaml", name: "mongodb",
			notes: []string{"dropped openAPIV3Schema.supported"},
		},
		"MongoDBCrossplaneV2": {
			xrd: "crossplane-v2-branch/a9s/mongodb/definition.yaml", composition: "crossplane-v2-branch/a9s/mongodb/composition.yaml",
			template: "bind/mongodb_apiserviceexporttemplate.yaml", name: "mongodb",
		},
		"PostgreSQL": {
			xrd: "crossplane-api/api/common/postgresql_definition.yaml", composition: "crossplane-api/api/a9s/postgresql/composition.yaml",
			template: "bind/postgresql_apiserviceexporttemplate.yaml", name: "postgresql",
			notes: []string{"a8s-postgresql is named by the XRD but not given"},
		},
		"ServiceBinding": {
			xrd: "crossplane-api/api/common/servicebinding_definition.yaml", composition: "crossplane-api/api/a9s/servicebinding/composition.yaml",
			template: "bind/servicebinding_apiserviceexporttemplate.yaml", name: "servicebinding",
		},
		// Klutch's shared XRDs with both families: the a8s Compositions wrap the anynines
		// operators' CRs in provider-kubernetes Objects and turn the plan into sizes with
		// Regexp, map and convert transforms; import keeps them as P&T transforms.
		"PostgreSQLA9sAndA8s": {
			xrd: "crossplane-api/api/common/postgresql_definition.yaml", composition: "crossplane-api/api/a9s/postgresql/composition.yaml",
			more:     []string{"crossplane-api/api/a8s/postgresql/composition.yaml"},
			template: "bind/postgresql_apiserviceexporttemplate.yaml", name: "postgresql",
		},
		"ServiceBindingA9sAndA8s": {
			xrd: "crossplane-api/api/common/servicebinding_definition.yaml", composition: "crossplane-api/api/a9s/servicebinding/composition.yaml",
			more:     []string{"crossplane-api/api/a8s/servicebinding/composition.yaml"},
			template: "bind/servicebinding_apiserviceexporttemplate.yaml", name: "servicebinding",
		},
		"A8sServiceBindingAlone": {
			xrd: "crossplane-api/api/common/servicebinding_definition.yaml", composition: "crossplane-api/api/a8s/servicebinding/composition.yaml",
			template: "bind/servicebinding_apiserviceexporttemplate.yaml", name: "servicebinding",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			comps := []*unstructured.Unstructured{load(t, tc.composition)}
			for _, m := range tc.more {
				comps = append(comps, load(t, m))
			}
			res, err := importer.Import(importer.Input{
				XRD:            load(t, tc.xrd),
				Compositions:   comps,
				ExportTemplate: load(t, tc.template),
			})
			if err != nil {
				t.Fatal(err)
			}
			if !res.Exact() {
				t.Errorf("import of %s does not round-trip:\n%s", tc.xrd, strings.Join(res.Differences, "\n"))
			}
			if res.DataService.Name != tc.name {
				t.Errorf("name: want %s, got %s", tc.name, res.DataService.Name)
			}
			notes := strings.Join(res.Notes, "\n")
			for _, n := range tc.notes {
				if !strings.Contains(notes, n) {
					t.Errorf("want a note containing %q, got:\n%s", n, notes)
				}
			}
			if testing.Verbose() {
				b, _ := yaml.Marshal(res.DataService)
				t.Logf("notes:\n%s\nspec:\n%s", notes, b)
			}
		})
	}
}
