package compat_test

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/compat"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

func composition(name, apiVersion, kind string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.crossplane.io/v1", "kind": "Composition",
		"metadata": map[string]any{"name": name},
		"spec":     map[string]any{"compositeTypeRef": map[string]any{"apiVersion": apiVersion, "kind": kind}},
	}}
}

func readExample(t *testing.T, name string) *v1alpha1.DataService {
	t.Helper()
	return testtools.ReadDataService(t, filepath.Join("..", "..", "examples", "klutch", name))
}

// rule adds a spec-level rule to a DataService.
func rule(cel string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		ds.Spec.Rules = append(ds.Spec.Rules, v1alpha1.Rule{Rule: cel, Message: "composition not offered"})
	}
}

func mongodbAPI(t *testing.T, e edit) compat.API {
	t.Helper()
	return generate(t, readExample(t, "mongodb.yaml"), e)
}

func generate(t *testing.T, ds *v1alpha1.DataService, e edit) compat.API {
	t.Helper()
	if e != nil {
		e(t, ds)
	}
	out, err := generator.Generate(ds, inputv1beta1.Defaults{})
	if err != nil {
		t.Fatalf("the edited DataService must generate: %v", err)
	}
	a := compat.API{XRD: compat.Object{Where: ds.Name, Object: out.XRD}}
	for _, o := range out.Objects() {
		switch o.GetKind() {
		case "Composition":
			a.Compositions = append(a.Compositions, compat.Object{Where: ds.Name, Object: o})
		case "APIServiceExportTemplate":
			a.ExportTemplates = append(a.ExportTemplates, compat.Object{Where: ds.Name, Object: o})
		}
	}
	return a
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func rawYAML(t *testing.T, s string) runtime.RawExtension {
	t.Helper()
	b, err := yaml.YAMLToJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return runtime.RawExtension{Raw: b}
}

func both(es ...edit) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		for _, e := range es {
			e(t, ds)
		}
	}
}

// param sets a top-level parameter's schema.
func param(name, schema string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		var s map[string]any
		if err := json.Unmarshal(ds.Spec.Parameters.Schema.Raw, &s); err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		if err := json.Unmarshal(rawYAML(t, schema).Raw, &p); err != nil {
			t.Fatal(err)
		}
		s["properties"].(map[string]any)[name] = p
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		ds.Spec.Parameters.Schema.Raw = b
	}
}

func addField(name string, required bool, schema string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		ds.Spec.Fields = append(ds.Spec.Fields, v1alpha1.Field{Name: name, Required: required, Schema: rawYAML(t, schema)})
	}
}

func setField(name string, required bool, schema string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		for i := range ds.Spec.Fields {
			if ds.Spec.Fields[i].Name == name {
				ds.Spec.Fields[i] = v1alpha1.Field{Name: name, Required: required, Schema: rawYAML(t, schema)}
				return
			}
		}
		t.Fatalf("no field %s", name)
	}
}

// removeField drops a field and the backend mapping that reads it.
func removeField(name string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		var fs []v1alpha1.Field
		for _, f := range ds.Spec.Fields {
			if f.Name != name {
				fs = append(fs, f)
			}
		}
		ds.Spec.Fields = fs
		b := ds.Spec.Compositions[0].Backend
		var ms []v1alpha1.Mapping
		for _, m := range b.Fields {
			if m.From != "spec."+name {
				ms = append(ms, m)
			}
		}
		b.Fields = ms
	}
}

func renameField(from, to string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		for i := range ds.Spec.Fields {
			if ds.Spec.Fields[i].Name == from {
				ds.Spec.Fields[i].Name = to
			}
		}
		for i, m := range ds.Spec.Compositions[0].Backend.Fields {
			if m.From == "spec."+from {
				ds.Spec.Compositions[0].Backend.Fields[i].From = "spec." + to
			}
		}
	}
}

func addRule(rule, message string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		ds.Spec.Rules = append(ds.Spec.Rules, v1alpha1.Rule{Rule: rule, Message: message})
	}
}

func compositionNamed(t *testing.T, ds *v1alpha1.DataService, name string) *v1alpha1.Composition {
	t.Helper()
	for i := range ds.Spec.Compositions {
		if ds.Spec.Compositions[i].Name == name {
			return &ds.Spec.Compositions[i]
		}
	}
	t.Fatalf("no composition %s", name)
	return nil
}

func removePlan(comp, plan string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		c := compositionNamed(t, ds, comp)
		c.Plans = slices.DeleteFunc(c.Plans, func(p string) bool { return p == plan })
	}
}

func addPlan(comp, plan string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		c := compositionNamed(t, ds, comp)
		c.Plans = append(c.Plans, plan)
	}
}

func setServices(comp string, services ...string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) { compositionNamed(t, ds, comp).Services = services }
}

// addComposition adds a composition composed elsewhere (no backend), so that services and plans
// become compositionRef-keyed CEL rules.
func addComposition(name string, services []string, plans ...string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		ds.Spec.Compositions = append(ds.Spec.Compositions, v1alpha1.Composition{Name: name, Services: services, Plans: plans})
	}
}

func renameComposition(from, to string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) { compositionNamed(t, ds, from).Name = to }
}

func crossplaneV2(scope string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		ds.Spec.CrossplaneVersion = v1alpha1.CrossplaneV2
		ds.Spec.Scope = scope
	}
}

func v(name string, referenceable bool) v1alpha1.APIVersion {
	return v1alpha1.APIVersion{Name: name, Referenceable: referenceable}
}

func versions(vs ...v1alpha1.APIVersion) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) { ds.Spec.Versions = vs }
}

func secretKeys(keys ...string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) { ds.Spec.ConnectionSecretKeys = keys }
}

func kubeBind(versions ...string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		ds.Spec.Export = &v1alpha1.Export{KubeBind: &v1alpha1.KubeBindExport{Versions: versions}}
	}
}

// TestPlanChangeReasons checks that plan rules are judged by the pairs they answer differently, each
// pair named, and the rule quoted whole.
