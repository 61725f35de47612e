package e2e

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/backendcrd"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// TestRenderInternalExamplesIntoOperatorCRs renders an instance of every plan and service of each
// internal example (examples/internal/v1 and v2: Valkey by hyperspike's operator, PostgreSQL by
// CloudNativePG) through the Composition generate writes with --crd, with the crossplane CLI of the
// example's line and the real function-patch-and-transform. What P&T composes is the operator's CR
// (on 1.x the manifest of the provider-kubernetes Object): every value a mapping takes from the
// catalog is where the mapping writes it, and the CR is one the API server accepts, validated
// against the operator's CRD with the API server's own code (internal/crvalidate).
func TestRenderInternalExamplesIntoOperatorCRs(t *testing.T) {
	skipRenderIfShort(t)
	pt := servePatchAndTransform(t)
	root := testtools.RepoRoot(t)
	crds, err := backendcrd.Read(filepath.Join(root, "examples", "internal", "crds"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		line string
		cli  renderCLI
	}{
		{line: "v2", cli: renderCLIs()[0]},
		{line: "v1", cli: renderCLIs()[1]},
	} {
		specs, err := filepath.Glob(filepath.Join(root, "examples", "internal", tc.line, "*.yaml"))
		if err != nil || len(specs) < 2 {
			t.Fatalf("examples/internal/%s: %v (%d specs)", tc.line, err, len(specs))
		}
		for _, spec := range specs {
			t.Run(tc.line+"/"+strings.TrimSuffix(filepath.Base(spec), ".yaml"), func(t *testing.T) {
				ds := testtools.ReadDataService(t, spec)
				out, err := generator.GenerateWith(context.Background(), ds, inputv1beta1.Defaults{}, generator.Options{CRDs: crds})
				if err != nil {
					t.Fatalf("generate --crd %s: %v", spec, err)
				}
				dir := t.TempDir()
				composition := filepath.Join(dir, "composition.yaml")
				writeTestFile(t, composition, string(toYAML(t, out.Compositions[0].Object)))
				functions := writeFunctions(t, dir, pt)
				backend := ds.Spec.Compositions[0].Backend
				services := []string{""}
				if ds.Spec.Service != nil {
					services = nil
					for _, s := range ds.Spec.Service.Catalog {
						services = append(services, s.Name)
					}
				}
				for _, service := range services {
					for _, plan := range ds.Spec.Plan.Catalog {
						xr := internalInstance(ds, out.API, plan.Name, service)
						xrPath := filepath.Join(t.TempDir(), "xr.yaml")
						writeTestFile(t, xrPath, string(toYAML(t, xr.Object)))
						got, err := crossplaneRender(t, tc.cli, xrPath, composition, functions)
						if err != nil {
							t.Fatal(err)
						}
						var composed *unstructured.Unstructured
						for _, o := range parseStream(t, "render output", got)[1:] {
							if o.GetAnnotations()["crossplane.io/composition-resource-name"] == ds.Spec.Compositions[0].Name {
								composed = o
							}
						}
						if composed == nil {
							t.Fatalf("plan %s: no composed backend:\n%s", plan.Name, got)
						}
						for _, m := range backend.Fields {
							what, name, ok := strings.Cut(m.Value, ".")
							if !ok {
								continue
							}
							offer := plan
							if what == "service" {
								offer = serviceOffer(ds, service)
							}
							var want any
							if err := json.Unmarshal(offer.Values[name].Raw, &want); err != nil {
								t.Fatal(err)
							}
							v, err := fieldpath.Pave(composed.Object).GetValue(m.To)
							if err != nil {
								t.Errorf("plan %s, service %s: %s holds nothing, want %v (%s)", plan.Name, service, m.To, want, m.Value)
								continue
							}
							if diff := cmp.Diff(plainValue(t, want), plainValue(t, v)); diff != "" {
								t.Errorf("plan %s, service %s: %s (%s): -want, +got:\n%s", plan.Name, service, m.To, m.Value, diff)
							}
						}
						cr := composed.Object
						if composed.GetKind() == "Object" {
							cr = nestedObject(t, composed, []string{"spec", "forProvider", "manifest"})
						}
						validateAgainstCRD(t, crds, cr, "plan "+plan.Name+", service "+service)
					}
				}
			})
		}
	}
}

func serviceOffer(ds *v1alpha1.DataService, name string) v1alpha1.Offering {
	for _, s := range ds.Spec.Service.Catalog {
		if s.Name == name {
			return s
		}
	}
	return v1alpha1.Offering{}
}

// validateAgainstCRD validates an operator's CR as the API server does on create, against its
// CRD of crds.
func validateAgainstCRD(t *testing.T, crds *backendcrd.Set, cr map[string]any, what string) {
	t.Helper()
	u := &unstructured.Unstructured{Object: cr}
	gv, err := schema.ParseGroupVersion(u.GetAPIVersion())
	if err != nil {
		t.Fatal(err)
	}
	crd := crds.Lookup(gv.WithKind(u.GetKind()).GroupKind())
	if crd == nil {
		t.Fatalf("no CRD of %s %s", u.GetAPIVersion(), u.GetKind())
	}
	v, err := crd.Validator(gv.Version)
	if err != nil {
		t.Fatal(err)
	}
	obj := plain(t, cr)
	if _, ok := obj["metadata"]; !ok || u.GetName() == "" {
		obj["metadata"] = map[string]any{"name": "composed"} // the API server names it from generateName
	}
	if errs := v.Create(context.Background(), obj); len(errs) > 0 {
		t.Errorf("%s: the API server refuses the composed %s: %v", what, u.GetKind(), errs)
	} else {
		t.Logf("%s: %s %s accepted by its CRD", what, u.GetAPIVersion(), u.GetKind())
	}
}

// TestRenderREADMEInternalInstance renders the instance of the README's operator path
// (examples/render/internal/postgres.yaml) through the Composition generate --crd writes for
// examples/internal/v2/postgres.yaml, with the functions file the README names and the real
// function-patch-and-transform served where that file points: the CloudNativePG Cluster it
// composes carries the plan's, the service's and the parameter's values, and its CRD accepts it.
func TestRenderREADMEInternalInstance(t *testing.T) {
	skipRenderIfShort(t)
	root := testtools.RepoRoot(t)
	functions := filepath.Join(root, "examples", "render", "internal", "functions.yaml")
	addr := readObjects(t, functions)[0].GetAnnotations()["render.crossplane.io/runtime-development-target"]
	lockAddress(t, addr)
	serveFunctionAt(t, "function-patch-and-transform", testtools.Function(t, "function-patch-and-transform", testtools.PatchAndTransform), addr)
	crds, err := backendcrd.Read(filepath.Join(root, "examples", "internal", "crds"))
	if err != nil {
		t.Fatal(err)
	}
	ds := testtools.ReadDataService(t, filepath.Join(root, "examples", "internal", "v2", "postgres.yaml"))
	out, err := generator.GenerateWith(context.Background(), ds, inputv1beta1.Defaults{}, generator.Options{CRDs: crds})
	if err != nil {
		t.Fatal(err)
	}
	composition := filepath.Join(t.TempDir(), "composition-postgres.yaml")
	writeTestFile(t, composition, string(toYAML(t, out.Compositions[0].Object)))
	got, err := crossplaneRender(t, renderCLIs()[0], filepath.Join(root, "examples", "render", "internal", "postgres.yaml"), composition, functions)
	if err != nil {
		t.Fatal(err)
	}
	objs := parseStream(t, "render output", got)
	if len(objs) != 2 || objs[1].GetKind() != "Cluster" {
		t.Fatalf("want the instance and one Cluster, got:\n%s", got)
	}
	cluster := objs[1]
	for path, want := range map[string]any{
		"spec.imageName":    "ghcr.io/cloudnative-pg/postgresql:17.2",
		"spec.instances":    int64(2),
		"spec.storage.size": "20Gi",
		"spec.postgresql.parameters.max_connections": "200",
	} {
		v, err := fieldpath.Pave(cluster.Object).GetValue(path)
		if err != nil || !cmp.Equal(plainValue(t, want), plainValue(t, v)) {
			t.Errorf("the Cluster's %s = %v (%v), want %v", path, v, err, want)
		}
	}
	validateAgainstCRD(t, crds, cluster.Object, "the README's instance")
}

// testRenderTypeChecksAgainstExtraResources renders the internal Valkey through the DataService's
// Composition with function-dataservice, the operator's CRD given as --extra-resources, which is
// how crossplane render delivers what the function asks Crossplane for: a typo in a mapping fails
// the render with generate --crd's message, on the v2 CLI and on 1.x's; the example renders
// checked, without a warning; without the CRD it renders with a warning naming the kind.
func testRenderTypeChecksAgainstExtraResources(t *testing.T, fn servedFunction) {
	root := testtools.RepoRoot(t)
	composition := filepath.Join(root, "examples", "render", "composition.yaml")
	valkeyCRD := filepath.Join(root, "examples", "internal", "crds", "hyperspike.io_valkeys.yaml")
	example := filepath.Join(root, "examples", "internal", "v2", "valkey.yaml")
	typo := filepath.Join(t.TempDir(), "valkey.yaml")
	writeTestFile(t, typo, strings.Replace(string(readFile(t, example)), "to: spec.storage.spec.resources", "to: spec.storag.spec.resources", 1))
	const typoMessage = `spec.compositions[0].backend.fields[5].to: Invalid value: "spec.storag.spec.resources.requests.storage": spec.storag: no such field in hyperspike.io/v1 Valkey; did you mean spec.storage.spec.resources.requests.storage?`
	const unchecked = "hyperspike.io/v1 Valkey is composed without type-checking what the DataService maps onto it"
	warnings := func(out []byte) string {
		var msgs []string
		for _, o := range parseStream(t, "render output", out) {
			if msg, _, _ := unstructured.NestedString(o.Object, "message"); o.GetKind() == "Result" {
				msgs = append(msgs, msg)
			}
		}
		return strings.Join(msgs, "\n")
	}
	// On 1.x the function tells the line from the CRD of XRDs, delivered beside the operator's.
	onePointX := t.TempDir()
	xrdCRD := filepath.Join(testtools.ModuleDir(t, "github.com/crossplane/crossplane", testtools.CrossplaneV1), "cluster", "crds", "apiextensions.crossplane.io_compositeresourcedefinitions.yaml")
	writeTestFile(t, filepath.Join(onePointX, "xrd-crd.yaml"), string(readFile(t, xrdCRD)))
	writeTestFile(t, filepath.Join(onePointX, "valkey-crd.yaml"), string(readFile(t, valkeyCRD)))

	for _, tc := range []struct {
		cli   renderCLI
		extra string
	}{{renderCLIs()[0], valkeyCRD}, {renderCLIs()[1], onePointX}} {
		t.Run("TypoFails/"+tc.cli.version, func(t *testing.T) {
			out, err := crossplaneRender(t, tc.cli, typo, composition, fn.functions, "--extra-resources", tc.extra)
			if err == nil || !strings.Contains(err.Error(), `pipeline step "generate" returned a fatal result: DataService "valkey" is invalid`) || !strings.Contains(err.Error(), typoMessage) {
				t.Errorf("render of a typo with the operator's CRD: want the fatal result holding\n%s\ngot %v\n%s", typoMessage, err, out)
			}
		})
	}
	t.Run("ExampleRendersChecked", func(t *testing.T) {
		out, err := crossplaneRender(t, renderCLIs()[0], example, composition, fn.functions, "--extra-resources", valkeyCRD, "--include-function-results")
		if err != nil {
			t.Fatal(err)
		}
		if w := warnings(out); strings.Contains(w, unchecked) {
			t.Errorf("given the operator's CRD, the function warns that it did not check:\n%s", w)
		}
	})
	t.Run("WithoutTheCRDAWarningNamesTheKind", func(t *testing.T) {
		out, err := crossplaneRender(t, renderCLIs()[0], typo, composition, fn.functions, "--include-function-results")
		if err != nil {
			t.Fatalf("without the operator's CRD the DataService composes: %v", err)
		}
		if w := warnings(out); !strings.Contains(w, unchecked) {
			t.Errorf("without the operator's CRD: want a warning %q, got\n%s", unchecked, w)
		}
	})
}
