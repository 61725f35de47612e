package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// testRenderControlPlaneLines renders Klutch's MongoDB with the CLI of each line, given the CRD of
// XRDs of a Crossplane release as --extra-resources, which is how a control plane before v2.2 tells
// the function its line: render delivers it as Crossplane does. With v1.20.7's CRD (no version v2)
// the template is composed inside a provider-kubernetes Object, which validates against
// provider-kubernetes' own CRD; with v2.2.1's the template is composed directly, as render v2.2.1
// composes it without any (capabilities).
func testRenderControlPlaneLines(t *testing.T, fn servedFunction) {
	root := testtools.RepoRoot(t)
	composition := filepath.Join(root, "examples", "render", "composition.yaml")
	spec := filepath.Join(root, "examples", "klutch", "mongodb.yaml")
	want, err := generator.Generate(testtools.ReadDataService(t, spec), compositionDefaults(t, composition))
	if err != nil {
		t.Fatal(err)
	}
	crd := func(module, version string) string {
		return filepath.Join(testtools.ModuleDir(t, module, version), "cluster", "crds", "apiextensions.crossplane.io_compositeresourcedefinitions.yaml")
	}
	v1CRD := crd("github.com/crossplane/crossplane", testtools.CrossplaneV1)
	v2CRD := crd("github.com/crossplane/crossplane/v2", testtools.CrossplaneV2)
	clis := renderCLIs()

	for _, tc := range []struct {
		name string
		cli  renderCLI
		crd  string // --extra-resources, none when ""
		line xpline.Line
	}{
		{"render-" + testtools.CrossplaneV2, clis[0], "", xpline.V2},
		{"render-" + testtools.CrossplaneV1 + "/crd-" + testtools.CrossplaneV1, clis[1], v1CRD, xpline.V1},
		{"render-" + testtools.CrossplaneV1 + "/crd-" + testtools.CrossplaneV2, clis[1], v2CRD, xpline.V2},
		{"render-" + testtools.CrossplaneV1Beta + "/crd-" + testtools.CrossplaneV1, clis[2], v1CRD, xpline.V1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			flags := []string{"--include-function-results"}
			if tc.crd != "" {
				flags = append(flags, "--extra-resources", tc.crd)
			}
			out, err := crossplaneRender(t, tc.cli, spec, composition, fn.functions, flags...)
			if err != nil {
				t.Fatal(err)
			}
			objs := parseStream(t, "render output", out)
			assertRendered(t, objs, want, tc.line)
			// Told the line, the function assumes nothing: no warning about it.
			for _, o := range objs {
				if msg, _, _ := unstructured.NestedString(o.Object, "message"); o.GetKind() == "Result" && strings.Contains(msg, "cannot tell which Crossplane") {
					t.Errorf("the function was given the CRD of XRDs but warns: %s", msg)
				}
			}
			if tc.line == xpline.V1 {
				validateObjects(t, root, out)
			}
		})
	}

	t.Run("render-"+testtools.CrossplaneV1+"/no-crd-warns", func(t *testing.T) {
		out, err := crossplaneRender(t, clis[1], spec, composition, fn.functions, "--include-function-results")
		if err != nil {
			t.Fatal(err)
		}
		warned := false
		for _, o := range parseStream(t, "render output", out) {
			msg, _, _ := unstructured.NestedString(o.Object, "message")
			warned = warned || (o.GetKind() == "Result" && strings.Contains(msg, "cannot tell which Crossplane runs function-dataservice") && strings.Contains(msg, "composing for Crossplane 1.x"))
		}
		if !warned {
			t.Errorf("render without the CRD of XRDs: want a warning that Crossplane 1.x is assumed, got\n%s", out)
		}
	})
}

// validateObjects runs `crossplane beta validate` on the composed resources of rendered output,
// provider-kubernetes' Object against provider-kubernetes' own CRD, and on what each Object holds
// (the template, against klutch-bind's CRD).
func validateObjects(t *testing.T, root string, rendered []byte) {
	t.Helper()
	dir := t.TempDir()
	var docs []string
	for _, o := range parseStream(t, "render output", rendered)[1:] { // the XR first, without its spec
		if o.GetKind() == "Result" {
			continue
		}
		docs = append(docs, string(toYAML(t, o.Object)))
		if m, ok, _ := unstructured.NestedMap(o.Object, "spec", "forProvider", "manifest"); ok && o.GetKind() == "Object" {
			docs = append(docs, string(toYAML(t, m)))
		}
	}
	writeTestFile(t, filepath.Join(dir, "rendered.yaml"), strings.Join(docs, "---\n"))
	pk := testtools.ModuleDir(t, "github.com/crossplane-contrib/provider-kubernetes", testtools.ProviderKubernetes)
	validateRendered(t, root, dir, filepath.Join(pk, "package", "crds"))
}

// inObject is how the function composes a namespaced object on Crossplane 1.x, stated here as the
// contract: a provider-kubernetes Object named name holding it, with the ProviderConfig of the
// platform Composition's input and provider-kubernetes' defaults spelt out.
func inObject(u *unstructured.Unstructured, name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kubernetes.crossplane.io/v1alpha2",
		"kind":       "Object",
		"metadata":   map[string]any{"name": name},
		"spec": map[string]any{
			"forProvider":       map[string]any{"manifest": u.DeepCopy().Object},
			"providerConfigRef": map[string]any{"name": "kubernetes-provider"},
			"deletionPolicy":    "Delete",
			"readiness":         map[string]any{"policy": "SuccessfulCreate"},
		},
	}}
}
