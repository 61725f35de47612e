package generator_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"

	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/reference"
	"github.com/function-dataservice/function-dataservice/internal/semantic"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// TestFidelity generates from the DataService specs of Klutch's own services and compares every
// object with Klutch's hand-written file, parsed, field by field (see package semantic): comments,
// anchors and key order do not matter, and the non-schema key `supported:` (it only carries YAML
// anchors) is dropped. Two things are compared by meaning rather than by text, because their text is
// not what the API server or Crossplane acts on:
//   - CEL rules are compared as parsed expressions, so line folding and spacing do not matter;
//   - patch-and-transform patches are compared as a list in which patches writing different paths
//     may come in any order (they commute), while patches writing the same or nested paths must keep
//     their order. The generator orders patches by kind and parameters by name, since a schema's
//     properties are a map and have no order.
//
// PostgreSQL and ServiceBinding are the shared XRDs of Klutch's a9s and a8s families: each spec
// generates both the a9s Composition (an a9s broker's ServiceInstance or ServiceBinding) and the
// a8s one (a provider-kubernetes Object wrapping the anynines operator's CR, its plan turned into
// CPU, memory, volume size and replicas by P&T's Regexp, map and convert transforms), and both equal
// Klutch's.
func TestFidelity(t *testing.T) {
	type want struct {
		xrd, composition, template string
		// more are the references of further Compositions, in the spec's order.
		more []string
	}
	cases := map[string]struct {
		spec string
		want want
	}{
		"MongoDBCrossplaneV1": {
			spec: "klutch/mongodb.yaml",
			want: want{
				xrd:         "crossplane-api/api/a9s/mongodb/definition.yaml",
				composition: "crossplane-api/api/a9s/mongodb/composition.yaml",
				template:    "bind/mongodb_apiserviceexporttemplate.yaml",
			},
		},
		"MongoDBCrossplaneV2": {
			spec: "klutch-v2/mongodb.yaml",
			want: want{
				xrd:         "crossplane-v2-branch/a9s/mongodb/definition.yaml",
				composition: "crossplane-v2-branch/a9s/mongodb/composition.yaml",
				// klutch-bind selects the composite plural on v2, which equals the v1 claim plural.
				template: "bind/mongodb_apiserviceexporttemplate.yaml",
			},
		},
		"PostgreSQL": {
			spec: "klutch/postgresql.yaml",
			want: want{
				xrd:         "crossplane-api/api/common/postgresql_definition.yaml",
				composition: "crossplane-api/api/a9s/postgresql/composition.yaml",
				template:    "bind/postgresql_apiserviceexporttemplate.yaml",
				more:        []string{"crossplane-api/api/a8s/postgresql/composition.yaml"},
			},
		},
		"ServiceBinding": {
			spec: "klutch/servicebinding.yaml",
			want: want{
				xrd:         "crossplane-api/api/common/servicebinding_definition.yaml",
				composition: "crossplane-api/api/a9s/servicebinding/composition.yaml",
				template:    "bind/servicebinding_apiserviceexporttemplate.yaml",
				more:        []string{"crossplane-api/api/a8s/servicebinding/composition.yaml"},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ds := testtools.ReadDataService(t, filepath.Join("..", "..", "examples", tc.spec))
			out, err := generator.Generate(ds, inputv1beta1.Defaults{})
			if err != nil {
				t.Fatalf("Generate(%s): %v", tc.spec, err)
			}
			if len(out.Compositions) != 1+len(tc.want.more) {
				t.Fatalf("Generate(%s): want %d compositions, got %d", tc.spec, 1+len(tc.want.more), len(out.Compositions))
			}
			type compared struct {
				what string
				got  any
				ref  string
			}
			objs := []compared{
				{"XRD", out.XRD.Object, tc.want.xrd},
				{"Composition", out.Compositions[0].Object, tc.want.composition},
				{"APIServiceExportTemplate", out.ExportTemplate.Object, tc.want.template},
			}
			for i, ref := range tc.want.more {
				objs = append(objs, compared{"Composition " + out.Compositions[1+i].GetName(), out.Compositions[1+i].Object, ref})
			}
			for _, c := range objs {
				ref := loadReference(t, c.ref)
				diff, err := semantic.Diff(ref, c.got)
				if err != nil {
					t.Fatalf("%s: %v", c.what, err)
				}
				if diff != "" {
					t.Errorf("%s generated from examples/%s differs from reference %s (-reference +generated):\n%s", c.what, tc.spec, c.ref, diff)
				}
			}
		})
	}
}

func loadReference(t *testing.T, rel string) any {
	t.Helper()
	p := reference.PathOrSkip(t, rel)
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var obj any
	if err := yaml.Unmarshal(data, &obj); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return obj
}

func TestFidelityReferencesFound(t *testing.T) {
	// The fidelity test must never pass because it found nothing to compare.
	d := reference.PathOrSkip(t)
	for _, f := range []string{"crossplane-api/api/a9s/mongodb/definition.yaml", "bind/mongodb_apiserviceexporttemplate.yaml"} {
		if _, err := os.Stat(filepath.Join(d, f)); err != nil {
			t.Error(fmt.Errorf("reference file missing: %w", err))
		}
	}
}
