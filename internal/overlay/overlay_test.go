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
	ds, err := overlay.Apply(base, decodeOverlay(t, acmeOverlay))
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
	ds, err := overlay.Apply(base, o)
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
			_, err := overlay.Apply(base, decodeOverlay(t, "apiVersion: dataservice.klutch.io/v1alpha1\nkind: DataServiceOverlay\n"+tc.overlay))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error containing %q, got %v", tc.want, err)
			}
		})
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
