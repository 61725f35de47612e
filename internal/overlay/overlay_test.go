package overlay_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/overlay"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// acmeOverlay rebrands Klutch's MongoDB as ACME's DocumentDatabase and drops the nano plans.
const acmeOverlay = `
apiVersion: dataservice.klutch.io/v1alpha1
kind: DataServiceOverlay
metadata:
  name: documentdb
spec:
  base: mongodb
  group: dbaas.acme.io
  kind: DocumentDatabase
  compositions:
    - {from: a9s-mongodb, to: acme-documentdb}
  services:
    renamePrefix: {from: a9s-mongodb, to: acme-documentdb}
  plans:
    remove: [mongodbsspl-single-nano, mongodbsspl-single-nano-ssl]
    renamePrefix: {from: mongodbsspl-, to: acme-docdb-}
  merge:
    deletePolicy: Background
    export: {namespace: acme-bind}
`

func decodeOverlay(t *testing.T, s string) *v1alpha1.DataServiceOverlay {
	t.Helper()
	o := &v1alpha1.DataServiceOverlay{}
	if err := yaml.UnmarshalStrict([]byte(s), o); err != nil {
		t.Fatal(err)
	}
	return o
}

func get(t *testing.T, obj map[string]any, path string) any {
	t.Helper()
	v, err := fieldpath.Pave(obj).GetValue(path)
	if err != nil {
		return nil
	}
	return v
}

func TestRebrandMongoDB(t *testing.T) {
	base := testtools.ReadDataService(t, filepath.Join("..", "..", "examples", "klutch", "mongodb.yaml"))
	ds, _, err := overlay.Apply(base, decodeOverlay(t, acmeOverlay))
	if err != nil {
		t.Fatal(err)
	}
	if base.Spec.Group != "anynines.com" {
		t.Fatal("Apply changed the base")
	}
	out, err := generator.Generate(ds, inputv1beta1.Defaults{})
	if err != nil {
		t.Fatalf("the rebranded spec must generate: %v", err)
	}
	xrd, comp, tmpl := out.XRD.Object, out.Compositions[0].Object, out.ExportTemplate.Object
	spec := "spec.versions[0].schema.openAPIV3Schema.properties.spec"
	for _, c := range []struct {
		obj  map[string]any
		path string
		want any
	}{
		{xrd, "metadata.name", "xdocumentdatabases.dbaas.acme.io"},
		{xrd, "spec.claimNames.kind", "DocumentDatabase"},
		{xrd, "spec.claimNames.plural", "documentdatabases"},
		{xrd, "spec.names.kind", "XDocumentDatabase"},
		{xrd, "spec.defaultCompositionRef.name", "acme-documentdb"},
		{xrd, "spec.defaultCompositeDeletePolicy", "Background"},
		{xrd, spec + ".properties.service.enum", []any{"acme-documentdb50", "acme-documentdb70"}},
		{xrd, spec + ".properties.plan.enum", []any{"acme-docdb-single-small", "acme-docdb-single-big", "acme-docdb-single-small-ssl", "acme-docdb-single-big-ssl", "acme-docdb-replica-small", "acme-docdb-replica-big", "acme-docdb-replica-small-ssl", "acme-docdb-replica-big-ssl"}},
		// nano is gone from every plan, so the size rule only keeps small < big.
		{xrd, spec + ".properties.plan.x-kubernetes-validations[0].rule", "!(self.contains('small') && oldSelf.contains('big'))"},
		{comp, "metadata.name", "acme-documentdb"},
		{comp, "spec.compositeTypeRef.apiVersion", "dbaas.acme.io/v1"},
		{comp, "spec.compositeTypeRef.kind", "XDocumentDatabase"},
		{comp, "spec.pipeline[0].input.resources[0].name", "acme-documentdb"},
		// The rebrand renames the API, not the broker behind it.
		{comp, "spec.pipeline[0].input.resources[0].base.spec.providerConfigRef.name", "mongodb-service-broker"},
		{tmpl, "metadata.name", "documentdatabases"},
		{tmpl, "metadata.namespace", "acme-bind"},
		{tmpl, "spec.APIServiceSelector.group", "dbaas.acme.io"},
		{tmpl, "spec.APIServiceSelector.resource", "documentdatabases"},
	} {
		if diff := cmp.Diff(c.want, get(t, c.obj, c.path)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.path, diff)
		}
	}
	if ds.Name != "documentdb" {
		t.Errorf("name: want documentdb, got %s", ds.Name)
	}
}

// TestRenameFollowsCEL renames a composition of PostgreSQL that only verbatim CEL rules and
// exclusive-parameter rules mention.
func TestRenameFollowsCEL(t *testing.T) {
	base := testtools.ReadDataService(t, filepath.Join("..", "..", "examples", "klutch", "postgresql.yaml"))
	o := decodeOverlay(t, `
apiVersion: dataservice.klutch.io/v1alpha1
kind: DataServiceOverlay
spec:
  base: postgresql
  compositions: [{from: a8s-postgresql, to: acme-pg-operator}]
  services:
    rename: [{from: a9s-postgresql13, to: acme-pg13}]
`)
	ds, _, err := overlay.Apply(base, o)
	if err != nil {
		t.Fatal(err)
	}
	out, err := generator.Generate(ds, inputv1beta1.Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := yaml.Marshal(out.XRD.Object)
	if err != nil {
		t.Fatal(err)
	}
	x := string(b)
	for _, gone := range []string{"a8s-postgresql", "a9s-postgresql13"} {
		if strings.Contains(x, "'"+gone+"'") {
			t.Errorf("the XRD still names %s", gone)
		}
	}
	for _, want := range []string{"self.compositionRef.name == 'acme-pg-operator'", "self.service == 'acme-pg13'", "not supported for acme-pg-operator", "defaultCompositionRef:\n    name: acme-pg-operator"} {
		if !strings.Contains(x, want) {
			t.Errorf("the XRD lacks %q", want)
		}
	}
	if ds.Spec.Rules[0].Rule == base.Spec.Rules[0].Rule {
		t.Error("the verbatim bionic rule was not rewritten")
	}
}

func TestOverlayErrors(t *testing.T) {
	base := testtools.ReadDataService(t, filepath.Join("..", "..", "examples", "klutch", "mongodb.yaml"))
	for name, tc := range map[string]struct {
		overlay string
		want    string
	}{
		"WrongBase":           {"spec: {base: postgresql}", `applies to DataService "postgresql"`},
		"UnknownComposition":  {"spec: {base: mongodb, compositions: [{from: a9s-mongo, to: x}]}", `no composition "a9s-mongo"`},
		"UnknownPlanRemoved":  {"spec: {base: mongodb, plans: {remove: [mongodbsspl-single-huge]}}", `no plan "mongodbsspl-single-huge"`},
		"MergeUnknownField":   {"spec: {base: mongodb, merge: {deletPolicy: Background}}", `unknown field "deletPolicy"`},
		"AddToUnknownCompose": {"spec: {base: mongodb, plans: {add: [{composition: nope, names: [x]}]}}", `no composition "nope"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := overlay.Apply(base, decodeOverlay(t, "apiVersion: dataservice.klutch.io/v1alpha1\nkind: DataServiceOverlay\n"+tc.overlay))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
}

// TestCatalogPlans edits the plans of Valkey, whose composition lists none and offers the whole
// catalog: removals, renames and hiding apply to the catalog, and the plan-change rules and hidden
// plans keep in step, or the overlay fails naming the rule it cannot keep.
func TestCatalogPlans(t *testing.T) {
	base := testtools.ReadDataService(t, filepath.Join("..", "..", "examples", "internal", "v2", "valkey.yaml"))
	apply := func(t *testing.T, plans string) (*v1alpha1.DataService, []string, error) {
		t.Helper()
		return overlay.Apply(base, decodeOverlay(t, "apiVersion: dataservice.klutch.io/v1alpha1\nkind: DataServiceOverlay\nspec: {base: valkey, plans: "+plans+"}"))
	}
	offered := func(t *testing.T, ds *v1alpha1.DataService) []string {
		t.Helper()
		a, err := generator.Resolve(ds, inputv1beta1.Defaults{})
		if err != nil {
			t.Fatalf("the overlaid spec must resolve: %v", err)
		}
		return a.Offered("plan")
	}

	t.Run("RemoveDropsTheEntryAndTheSize", func(t *testing.T) {
		ds, notes, err := apply(t, "{remove: [small]}")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"medium", "large"}, offered(t, ds)); diff != "" {
			t.Errorf("offered plans (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"medium", "large"}, ds.Spec.Plan.Changes[0].NoDownsizing.Sizes); diff != "" {
			t.Errorf("noDownsizing sizes (-want +got):\n%s", diff)
		}
		if !strings.Contains(strings.Join(notes, "\n"), `dropped "small"`) {
			t.Errorf("the dropped size should be said, got notes %q", notes)
		}
	})
	t.Run("RenameKeepsValuesAndRules", func(t *testing.T) {
		ds, _, err := apply(t, "{renamePrefix: {from: '', to: valkey-}, hide: [valkey-small]}")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"valkey-small", "valkey-medium", "valkey-large"}, offered(t, ds)); diff != "" {
			t.Errorf("offered plans (-want +got):\n%s", diff)
		}
		if got := string(ds.Spec.Plan.Catalog[1].Values["memory"].Raw); got != `"4Gi"` {
			t.Errorf("the renamed plan lost its values: memory %s", got)
		}
		if diff := cmp.Diff([]string{"valkey-small"}, ds.Spec.Plan.Hidden); diff != "" {
			t.Errorf("hidden (-want +got):\n%s", diff)
		}
		if len(ds.Spec.Plan.Changes) != 1 {
			t.Errorf("the size rule must stay, got %+v", ds.Spec.Plan.Changes)
		}
	})
	t.Run("RenameThatLosesASizeFails", func(t *testing.T) {
		_, _, err := apply(t, "{rename: [{from: medium, to: m}]}")
		if err == nil || !strings.Contains(err.Error(), `spec.plan.changes[0].noDownsizing.sizes "medium"`) {
			t.Fatalf("want an error naming the rule that would lose medium, got %v", err)
		}
	})
	t.Run("AddListsTheCatalogFirst", func(t *testing.T) {
		ds, notes, err := apply(t, "{add: [{names: [xlarge-medium]}]}")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"small", "medium", "large", "xlarge-medium"}, ds.Spec.Compositions[0].Plans); diff != "" {
			t.Errorf("the composition's plans (-want +got):\n%s", diff)
		}
		if !strings.Contains(strings.Join(notes, "\n"), "added without values") {
			t.Errorf("the plan without values should be said, got notes %q", notes)
		}
	})
}

// TestRebrandRenamesCompositions: a rebrand that does not rename a generated Composition gives it
// a name of the new brand, so that the base's and the overlay's never clash, and says so.
func TestRebrandRenamesCompositions(t *testing.T) {
	base := testtools.ReadDataService(t, filepath.Join("..", "..", "examples", "klutch", "mongodb.yaml"))
	ds, notes, err := overlay.Apply(base, decodeOverlay(t, `
apiVersion: dataservice.klutch.io/v1alpha1
kind: DataServiceOverlay
metadata: {name: documentdb}
spec: {base: mongodb, group: dbaas.acme.io}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := ds.Spec.Compositions[0].Name; got != "a9s-documentdb" {
		t.Errorf("composition: want a9s-documentdb, got %s", got)
	}
	if !strings.Contains(strings.Join(notes, "\n"), "a9s-mongodb is renamed a9s-documentdb") {
		t.Errorf("the rename should be said, got notes %q", notes)
	}
	if _, err := generator.Generate(ds, inputv1beta1.Defaults{}); err != nil {
		t.Fatalf("the rebranded spec must generate: %v", err)
	}
}

func TestReplaceStringLiterals(t *testing.T) {
	m := map[string]string{"a8s-postgresql": "acme-pg", "it's": "x"}
	for in, want := range map[string]string{
		"self.compositionRef.name == 'a8s-postgresql'":                 "self.compositionRef.name == 'acme-pg'",
		`self.compositionRef.name == "a8s-postgresql"`:                 `self.compositionRef.name == "acme-pg"`,
		"self.plan.contains('a8s-postgresql-x')":                       "self.plan.contains('a8s-postgresql-x')",
		"a8s_postgresql == 'a8s-postgresql' && r'a8s-postgresql' == x": "a8s_postgresql == 'acme-pg' && r'a8s-postgresql' == x",
		`self.x == 'it\'s'`: `self.x == 'x'`,
	} {
		if got := overlay.ReplaceStringLiterals(in, m); got != want {
			t.Errorf("ReplaceStringLiterals(%q) = %q, want %q", in, got, want)
		}
	}
}
