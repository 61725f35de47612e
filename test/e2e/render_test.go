package e2e

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// TestRender runs function-dataservice, built from this checkout and served on loopback, under the
// real crossplane CLI of each Crossplane line. One function serves every subtest: building it is
// the slow part.
func TestRender(t *testing.T) {
	skipRenderIfShort(t)
	fn := serveDataServiceFunction(t)
	t.Run("Examples", func(t *testing.T) { testRenderExamples(t, fn) })
	t.Run("ControlPlaneLines", func(t *testing.T) { testRenderControlPlaneLines(t, fn) })
	t.Run("BrokenDataServiceFails", func(t *testing.T) { testRenderBrokenDataServiceFails(t, fn) })
	t.Run("RenderedObjectsValidate", func(t *testing.T) { testRenderedObjectsValidate(t, fn) })
	t.Run("ClaimsThroughGeneratedComposition", func(t *testing.T) { testRenderClaimsThroughGeneratedComposition(t, fn) })
	t.Run("TypeChecksAgainstExtraResources", func(t *testing.T) { testRenderTypeChecksAgainstExtraResources(t, fn) })
}

// testRenderExamples renders every example DataService with each CLI and asserts that what the
// function composes is exactly what the generator generates, under stable names, with the served
// API in the DataService's status. CLIs before v2.2 advertise no capabilities, and render delivers
// no CRD of XRDs unless given one: the function assumes Crossplane 1.x there, composes the export
// template inside a provider-kubernetes Object and refuses a v2 API (testRenderControlPlaneLines
// gives them the CRD).
func testRenderExamples(t *testing.T, fn servedFunction) {
	root := testtools.RepoRoot(t)
	composition := filepath.Join(root, "examples", "render", "composition.yaml")
	defaults := compositionDefaults(t, composition)
	specs := exampleDataServices(t)

	for _, cli := range renderCLIs() {
		t.Run(cli.version, func(t *testing.T) {
			line := renderLine(cli)
			for _, spec := range specs {
				rel, _ := filepath.Rel(root, spec)
				t.Run(rel, func(t *testing.T) {
					ds := testtools.ReadDataService(t, spec)
					want, err := generator.Generate(ds, defaults)
					if err != nil {
						t.Fatalf("generator: %v", err)
					}
					out, err := crossplaneRender(t, cli, spec, composition, fn.functions)
					if api, _ := xpline.OfXRD(want.XRD.GetAPIVersion()); !line.Serves(api) {
						assertRefused(t, out, err, ds.GetName(), api)
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					assertRendered(t, parseStream(t, "render output", out), want, line)
				})
			}
		})
	}
}

// renderLine is the Crossplane line the function takes a CLI's render for, given no CRD of XRDs:
// v2 from v2.2 on (capabilities), 1.x before.
func renderLine(cli renderCLI) xpline.Line {
	if cli.version == testtools.CrossplaneV2 {
		return xpline.V2
	}
	return xpline.V1
}

// assertRefused asserts that render failed with the function's fatal result refusing an API the
// control plane (1.x) cannot serve, and printed nothing.
func assertRefused(t *testing.T, out []byte, err error, name string, api xpline.Line) {
	t.Helper()
	if err == nil || !exitedNonZero(err) {
		t.Fatalf("render of a %s API for Crossplane 1.x: want a failed render, got error %v and output\n%s", api.Name, err, out)
	}
	want := `pipeline step "generate" returned a fatal result: DataService "` + name + `" generates an API for Crossplane ` + api.Name + ` (an ` + api.XRDAPIVersion + ` XRD), which Crossplane 1.x cannot serve`
	if !strings.Contains(err.Error(), want) {
		t.Errorf("render error does not say %q:\n%v", want, err)
	}
	if len(parseStream(t, "render output", out)) != 0 {
		t.Errorf("a failed render printed objects:\n%s", out)
	}
}

// testRenderBrokenDataServiceFails renders an invalid DataService with each CLI: render fails with
// the function's fatal result, which lists every problem with its field path, typos included.
func testRenderBrokenDataServiceFails(t *testing.T, fn servedFunction) {
	root := testtools.RepoRoot(t)
	composition := filepath.Join(root, "examples", "render", "composition.yaml")
	broken := filepath.Join(t.TempDir(), "broken.yaml")
	writeTestFile(t, broken, `apiVersion: dataservice.klutch.io/v1alpha1
kind: DataService
metadata:
  name: broken
spec:
  group: nodot
  kind: CacheInstance
  plns: [cache-small]
  compositions:
    - name: cache
      plans: [cache-small]
      backend:
        apiVersion: dataservices.anynines.com/v1
        kind: ServiceInstance
        fields:
          - {from: spec.pln, to: spec.forProvider.planName}
`)

	for _, cli := range renderCLIs() {
		t.Run(cli.version, func(t *testing.T) {
			out, err := crossplaneRender(t, cli, broken, composition, fn.functions)
			if err == nil || !exitedNonZero(err) {
				t.Fatalf("render of a broken DataService: want a failed render, got error %v and output\n%s", err, out)
			}
			for _, want := range []string{
				`pipeline step "generate" returned a fatal result: DataService "broken" is invalid (3 errors): `,
				`spec.plns: Forbidden: unknown field`,
				`spec.group: Invalid value: "nodot": must contain a dot`,
				`spec.compositions[0].backend.fields[0].from: Invalid value: "spec.pln"`,
			} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("render error does not say %q:\n%v", want, err)
				}
			}
			if len(parseStream(t, "render output", out)) != 0 {
				t.Errorf("a failed render printed objects:\n%s", out)
			}
		})
	}
}

// TestRenderExampleCompositionIsTheAPIs keeps the render example's Composition the one the platform
// package ships.
func TestRenderExampleCompositionIsTheAPIs(t *testing.T) {
	root := testtools.RepoRoot(t)
	got := readObjects(t, filepath.Join(root, "examples", "render", "composition.yaml"))
	want := readObjects(t, filepath.Join(root, "apis", "composition.yaml"))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("examples/render/composition.yaml differs from apis/composition.yaml: -apis, +example:\n%s", diff)
	}
}

// assertRendered compares render's output with the generator's: the DataService (XR) first, with
// the served API and the generated objects in its status, then one composed resource per generated
// object under its stable name, equal to it once what render adds (owner, composite label,
// composition-resource-name annotation, generateName) is taken off. On a control plane of line v1
// (Crossplane 1.x) the namespaced klutch-bind template is composed inside a provider-kubernetes
// Object (see inObject).
func assertRendered(t *testing.T, got []*unstructured.Unstructured, want *generator.Output, line xpline.Line) {
	t.Helper()
	if len(got) == 0 || got[0].GetKind() != v1alpha1.DataServiceKind {
		t.Fatalf("render output does not start with the DataService: %d objects", len(got))
	}
	xr := got[0]
	wantAPI := plain(t, map[string]any{"api": want.API})["api"]
	if diff := cmp.Diff(wantAPI, plain(t, xr.Object)["status"].(map[string]any)["api"]); diff != "" {
		t.Errorf("status.api of the DataService: -want, +got:\n%s", diff)
	}
	// The stable names of the composed resources are part of the contract: Crossplane matches what a
	// function desires with what exists by them.
	wantByName := map[string]*unstructured.Unstructured{"xrd": want.XRD}
	var compositions []string
	for _, c := range want.Compositions {
		wantByName["composition-"+c.GetName()] = c
		compositions = append(compositions, c.GetName())
	}
	if diff := cmp.Diff(compositions, statusStrings(xr, "generated", "compositions")); diff != "" {
		t.Errorf("status.generated.compositions: -want, +got:\n%s", diff)
	}
	if got, want := nestedString(xr, "status", "generated", "xrd"), want.XRD.GetName(); got != want {
		t.Errorf("status.generated.xrd: want %q, got %q", want, got)
	}
	if et := want.ExportTemplate; et != nil {
		wantByName["export-template"] = et
		if !line.NamespacedRefs {
			delete(wantByName, "export-template")
			wantByName["export-template-object"] = inObject(et, xr.GetName()+"-export-template")
		}
		if got, want := nestedString(xr, "status", "generated", "exportTemplate"), et.GetNamespace()+"/"+et.GetName(); got != want {
			t.Errorf("status.generated.exportTemplate: want %q, got %q", want, got)
		}
	}
	if kb := want.KubeBindTemplate; kb != nil {
		wantByName["kubebind-export-template"] = kb
		if got, want := nestedString(xr, "status", "generated", "kubeBindTemplate"), kb.GetName(); got != want {
			t.Errorf("status.generated.kubeBindTemplate: want %q, got %q", want, got)
		}
	}

	gotByName := map[string]*unstructured.Unstructured{}
	for _, o := range got[1:] {
		if o.GetKind() == "Result" {
			continue // --include-function-results
		}
		name := o.GetAnnotations()["crossplane.io/composition-resource-name"]
		if _, dup := gotByName[name]; dup {
			t.Errorf("two composed resources named %q", name)
		}
		gotByName[name] = o
	}
	if diff := cmp.Diff(sortedKeys(wantByName), sortedKeys(gotByName)); diff != "" {
		t.Fatalf("composed resource names: -want, +got:\n%s", diff)
	}
	for name, w := range wantByName {
		if diff := cmp.Diff(plain(t, w.Object), plain(t, withoutRenderMetadata(gotByName[name]).Object)); diff != "" {
			t.Errorf("composed %q (%s %s) differs from the generator's: -generator, +render:\n%s", name, w.GetKind(), w.GetName(), diff)
		}
	}
}

// withoutRenderMetadata takes off what Crossplane adds to every composed resource.
func withoutRenderMetadata(u *unstructured.Unstructured) *unstructured.Unstructured {
	o := u.DeepCopy()
	o.SetOwnerReferences(nil)
	o.SetGenerateName("")
	a := o.GetAnnotations()
	delete(a, "crossplane.io/composition-resource-name")
	if len(a) == 0 {
		a = nil // SetAnnotations(nil) removes the field, an empty map would stay
	}
	o.SetAnnotations(a)
	l := o.GetLabels()
	delete(l, "crossplane.io/composite")
	if len(l) == 0 {
		l = nil
	}
	o.SetLabels(l)
	return o
}

// exampleDataServices returns every DataService under examples/ (the Klutch services, the other
// a9s services, the render example), so that each example is proven renderable.
func exampleDataServices(t *testing.T) []string {
	t.Helper()
	// One level down, and two for an example with a spec per Crossplane line (examples/internal).
	files, err := filepath.Glob(filepath.Join(testtools.RepoRoot(t), "examples", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	deeper, err := filepath.Glob(filepath.Join(testtools.RepoRoot(t), "examples", "*", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, deeper...)
	var specs []string
	for _, f := range files {
		objs := readObjects(t, f)
		if len(objs) == 1 && objs[0].GetKind() == v1alpha1.DataServiceKind {
			specs = append(specs, f)
		}
	}
	if len(specs) < 5 {
		t.Fatalf("found only %d example DataServices under examples/", len(specs))
	}
	return specs
}

// compositionDefaults returns the defaults the Composition's function-dataservice step passes, so
// that the expected objects are generated with what the function receives.
func compositionDefaults(t *testing.T, path string) inputv1beta1.Defaults {
	t.Helper()
	comp := readObjects(t, path)[0]
	steps, _, _ := unstructured.NestedSlice(comp.Object, "spec", "pipeline")
	for _, s := range steps {
		step := s.(map[string]any)
		if ref, _ := step["functionRef"].(map[string]any); ref["name"] != "function-dataservice" {
			continue
		}
		in := &inputv1beta1.Input{}
		b := toYAML(t, step["input"])
		if err := yaml.UnmarshalStrict(b, in); err != nil {
			t.Fatalf("%s: input of the function-dataservice step: %v", path, err)
		}
		return in.Defaults
	}
	t.Fatalf("%s has no function-dataservice step", path)
	return inputv1beta1.Defaults{}
}

func statusStrings(u *unstructured.Unstructured, path ...string) []string {
	s, _, _ := unstructured.NestedStringSlice(u.Object, append([]string{"status"}, path...)...)
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
