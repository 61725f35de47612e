package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// TestRenderInternalPlans renders an instance of each plan of the internal Valkey examples
// (examples/internal) through the Composition the generator writes, with the real crossplane CLI
// of the example's line and the real function-patch-and-transform, and asserts that the composed
// Valkey carries the plan's CPU, memory, storage and replicas and the service's image. It then
// changes the plan of an instance whose Valkey exists (given to render as observed): the Valkey
// keeps its name and takes the new plan's values, an upgrade in place.
func TestRenderInternalPlans(t *testing.T) {
	skipRenderIfShort(t)
	pt := servePatchAndTransform(t)
	root := testtools.RepoRoot(t)
	for _, tc := range []struct {
		line string
		cli  renderCLI
		// valkey is where the operator's CR is in the composed resource.
		valkey []string
	}{
		{line: "v2", cli: renderCLIs()[0], valkey: nil},
		{line: "v1", cli: renderCLIs()[1], valkey: []string{"spec", "forProvider", "manifest"}},
	} {
		t.Run(tc.line, func(t *testing.T) {
			spec := filepath.Join(root, "examples", "internal", tc.line, "valkey.yaml")
			ds := testtools.ReadDataService(t, spec)
			out, err := generator.Generate(ds, inputv1beta1.Defaults{})
			if err != nil {
				t.Fatalf("generate %s: %v", spec, err)
			}
			if len(out.Compositions) != 1 {
				t.Fatalf("want one Composition, got %d", len(out.Compositions))
			}
			dir := t.TempDir()
			composition := filepath.Join(dir, "composition.yaml")
			writeTestFile(t, composition, string(toYAML(t, out.Compositions[0].Object)))
			functions := writeFunctions(t, dir, pt)
			service := ds.Spec.Service.Catalog[0]

			render := func(t *testing.T, plan string, observed *unstructured.Unstructured) (*unstructured.Unstructured, *unstructured.Unstructured) {
				t.Helper()
				xr := internalInstance(ds, out.API, plan, service.Name)
				d := t.TempDir()
				xrPath := filepath.Join(d, "xr.yaml")
				writeTestFile(t, xrPath, string(toYAML(t, xr.Object)))
				var flags []string
				if observed != nil {
					p := filepath.Join(d, "observed.yaml")
					writeTestFile(t, p, string(toYAML(t, observed.Object)))
					flags = append(flags, "--observed-resources", p)
				}
				got, err := crossplaneRender(t, tc.cli, xrPath, composition, functions, flags...)
				if err != nil {
					t.Fatal(err)
				}
				objs := parseStream(t, "render output", got)
				var backend, policy *unstructured.Unstructured
				for _, o := range objs[1:] {
					switch o.GetAnnotations()["crossplane.io/composition-resource-name"] {
					case "valkey":
						backend = o
					case "network-policy":
						policy = o
					}
				}
				if backend == nil {
					t.Fatalf("no composed resource named valkey:\n%s", got)
				}
				return backend, policy
			}

			backends := map[string]*unstructured.Unstructured{}
			for _, plan := range ds.Spec.Plan.Catalog {
				t.Run(plan.Name, func(t *testing.T) {
					backend, policy := render(t, plan.Name, nil)
					valkey := nestedObject(t, backend, tc.valkey)
					assertPlanValues(t, valkey, plan, service)
					t.Logf("plan %s: %s", plan.Name, describeValkey(valkey))
					if tc.line == "v2" && policy == nil {
						t.Error("no NetworkPolicy composed beside the Valkey")
					}
					backends[plan.Name] = backend
				})
			}

			t.Run("PlanChangeInPlace", func(t *testing.T) {
				from, to := ds.Spec.Plan.Catalog[0], ds.Spec.Plan.Catalog[1]
				observed := backends[from.Name]
				if observed == nil {
					t.Skip("the first plan did not render")
				}
				observed = observed.DeepCopy()
				// What the API server makes of the composed resource: a name from its generateName.
				name := observed.GetName()
				if name == "" {
					name = observed.GetGenerateName() + "b7x2k"
					observed.SetName(name)
				}
				backend, _ := render(t, to.Name, observed)
				if got := backend.GetName(); got != name {
					t.Errorf("plan %s → %s: the composed resource is %q, want the existing %q (a new name replaces the instance)", from.Name, to.Name, got, name)
				}
				valkey := nestedObject(t, backend, tc.valkey)
				assertPlanValues(t, valkey, to, service)
				t.Logf("plan %s → %s: %s keeps its name, now %s", from.Name, to.Name, name, describeValkey(valkey))
			})
		})
	}
}

// internalInstance is what app developers create of plan and service: on v2 a namespaced composite,
// on v1 the composite Crossplane makes of a claim.
func internalInstance(ds *v1alpha1.DataService, api v1alpha1.ServedAPI, plan, service string) *unstructured.Unstructured {
	obj := namespacedInstance(api, "cache", "team-a", plan, service)
	if ds.Spec.CrossplaneVersion == v1alpha1.CrossplaneV1 {
		return compositeOfClaim(obj, api.CompositeKind)
	}
	return obj
}

// namespacedInstance is what an app developer creates of the API on either line: the namespaced
// composite on v2, the claim on 1.x, both of the API's kind.
func namespacedInstance(api v1alpha1.ServedAPI, name, namespace, plan, service string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": api.Group + "/" + api.Version,
		"kind":       api.Kind,
		"metadata":   map[string]any{"name": name, "namespace": namespace},
		"spec":       map[string]any{"plan": plan, "service": service},
	}}
}

// nestedObject is the object at path of u (u itself when path is empty).
func nestedObject(t *testing.T, u *unstructured.Unstructured, path []string) map[string]any {
	t.Helper()
	if len(path) == 0 {
		return u.Object
	}
	m, ok, _ := unstructured.NestedMap(u.Object, path...)
	if !ok {
		t.Fatalf("composed %s has no %s", u.GetKind(), strings.Join(path, "."))
	}
	return m
}

// assertPlanValues states what the operator needs of the Valkey CR for a plan and service.
func assertPlanValues(t *testing.T, valkey map[string]any, plan, service v1alpha1.Offering) {
	t.Helper()
	value := func(o v1alpha1.Offering, name string) any {
		var v any
		if err := json.Unmarshal(o.Values[name].Raw, &v); err != nil {
			t.Fatalf("%s.%s: %v", o.Name, name, err)
		}
		return v
	}
	checks := []struct {
		path []string
		want any
	}{
		{[]string{"apiVersion"}, "hyperspike.io/v1"},
		{[]string{"kind"}, "Valkey"},
		{[]string{"spec", "image"}, value(service, "image")},
		{[]string{"spec", "resources", "requests", "cpu"}, value(plan, "cpu")},
		{[]string{"spec", "resources", "limits", "cpu"}, value(plan, "cpu")},
		{[]string{"spec", "resources", "requests", "memory"}, value(plan, "memory")},
		{[]string{"spec", "resources", "limits", "memory"}, value(plan, "memory")},
		{[]string{"spec", "storage", "spec", "resources", "requests", "storage"}, value(plan, "storage")},
		{[]string{"spec", "replicas"}, value(plan, "replicas")},
		{[]string{"spec", "nodes"}, 1},
	}
	for _, c := range checks {
		got, _, _ := unstructured.NestedFieldNoCopy(valkey, c.path...)
		if diff := cmp.Diff(plainValue(t, c.want), plainValue(t, got)); diff != "" {
			t.Errorf("plan %s: Valkey %s: -want, +got:\n%s", plan.Name, strings.Join(c.path, "."), diff)
		}
	}
}

func describeValkey(valkey map[string]any) string {
	get := func(path ...string) any {
		v, _, _ := unstructured.NestedFieldNoCopy(valkey, path...)
		return v
	}
	return fmt.Sprintf("cpu=%v memory=%v storage=%v replicas=%v image=%v",
		get("spec", "resources", "requests", "cpu"), get("spec", "resources", "requests", "memory"),
		get("spec", "storage", "spec", "resources", "requests", "storage"), get("spec", "replicas"), get("spec", "image"))
}
