package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/reference"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// TestValidateClaimsAgainstGeneratedXRDs runs `crossplane beta validate` (v2.2.1) of Klutch's example
// claims against the XRDs generated from the Klutch DataServices: they pass, as they pass against
// Klutch's hand-written XRDs, and a claim with a plan the service does not offer fails.
func TestValidateClaimsAgainstGeneratedXRDs(t *testing.T) {
	skipRenderIfShort(t)
	root := testtools.RepoRoot(t)
	defaults := compositionDefaults(t, filepath.Join(root, "examples", "render", "composition.yaml"))
	specs, err := filepath.Glob(filepath.Join(root, "examples", "klutch", "*.yaml"))
	if err != nil || len(specs) == 0 {
		t.Fatalf("no Klutch DataServices in examples/klutch: %v", err)
	}
	xrds := t.TempDir()
	for _, spec := range specs {
		out, err := generator.Generate(testtools.ReadDataService(t, spec), defaults)
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		writeTestFile(t, filepath.Join(xrds, filepath.Base(spec)), string(toYAML(t, out.XRD.Object)))
	}
	claims := reference.PathOrSkip(t, "examples")

	t.Run("ExampleClaimsPass", func(t *testing.T) {
		out, err := crossplaneValidate(t, xrds, claims, "--error-on-missing-schemas")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, "0 missing schemas") || !strings.Contains(out, " 0 failure cases") {
			t.Errorf("validate of the example claims: want no missing schema and no failure, got\n%s", out)
		}
	})

	t.Run("ClaimWithBadPlanFails", func(t *testing.T) {
		data, err := os.ReadFile(filepath.Join(claims, "serviceinstance-claim.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		bad := filepath.Join(t.TempDir(), "claim.yaml")
		writeTestFile(t, bad, strings.Replace(string(data), "plan: mongodbsspl-single-nano-ssl", "plan: mongodbsspl-single-huge", 1))
		out, err := crossplaneValidate(t, xrds, bad, "--error-on-missing-schemas")
		if err == nil || !exitedNonZero(err) {
			t.Fatalf("validate of a claim with a bad plan: want a failure, got error %v and\n%s", err, out)
		}
		if want := `spec.plan: Unsupported value: "mongodbsspl-single-huge"`; !strings.Contains(out, want) {
			t.Errorf("validate does not say %q:\n%s", want, out)
		}
	})
}

// testRenderedObjectsValidate renders the example DataServices with CLI v2.2.1, the full XR included,
// and validates everything rendered with `crossplane beta validate`: the DataService against the
// DataService XRD of the platform package, the composed XRDs and Compositions against Crossplane's
// own CRDs, the pipeline inputs of the generated Compositions against function-patch-and-transform's
// input CRD, the export templates against klutch-bind's CRD. The platform package's own Composition
// is validated too, its input against the input CRD of this function.
func testRenderedObjectsValidate(t *testing.T, fn servedFunction) {
	root := testtools.RepoRoot(t)
	cli := renderCLIs()[0]
	rendered := t.TempDir()
	specs := append(globExamples(t, "klutch"), append(globExamples(t, "klutch-v2"), globExamples(t, "render")...)...)
	for _, spec := range specs {
		if readObjects(t, spec)[0].GetKind() != "DataService" {
			continue
		}
		out, err := crossplaneRender(t, cli, spec, filepath.Join(root, "examples", "render", "composition.yaml"), fn.functions, "--include-full-xr")
		if err != nil {
			t.Fatal(err)
		}
		name := strings.ReplaceAll(strings.TrimPrefix(spec, root+string(filepath.Separator)), string(filepath.Separator), "-")
		writeTestFile(t, filepath.Join(rendered, name), string(out))
	}
	writeTestFile(t, filepath.Join(rendered, "apis-composition.yaml"), string(readFile(t, filepath.Join(root, "apis", "composition.yaml"))))
	validateRendered(t, root, rendered)
}

// validateRendered runs `crossplane beta validate` on the rendered objects in dir against the
// schemas of what function-dataservice renders (the DataService XRD, this function's and
// function-patch-and-transform's inputs, klutch-bind's template, Crossplane's own kinds) and the
// CRDs of the folders or files more names, and fails on a missing schema or a failure.
func validateRendered(t *testing.T, root, dir string, more ...string) {
	t.Helper()
	pt := testtools.ModuleDir(t, "github.com/crossplane-contrib/function-patch-and-transform", testtools.PatchAndTransform)
	extensions := strings.Join(append([]string{
		filepath.Join(root, "apis", "definition.yaml"),
		filepath.Join(root, "package", "input"),
		filepath.Join(root, "test", "crds"),
		filepath.Join(pt, "package", "input"),
	}, more...), ",")
	out, err := crossplaneValidate(t, extensions, dir, "--error-on-missing-schemas")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "0 missing schemas") || !strings.Contains(out, " 0 failure cases") {
		t.Errorf("validate of the rendered objects: want no missing schema and no failure, got\n%s", out)
	}
}

// crossplaneValidate runs `crossplane beta validate` of CLI v2.2.1 offline and returns its output. It
// validates Crossplane's own kinds against the schemas of the crossplane image, which it would
// download unless its cache holds them: the cache is filled with the CRDs of the Crossplane module
// of the same version.
func crossplaneValidate(t *testing.T, extensions, resources string, flags ...string) (string, error) {
	t.Helper()
	image := "xpkg.crossplane.io/crossplane/crossplane:" + testtools.CrossplaneV2
	cache := t.TempDir()
	crds, err := filepath.Glob(filepath.Join(testtools.CrossplaneCRDs(t, testtools.CrossplaneV2), "*.yaml"))
	if err != nil || len(crds) == 0 {
		t.Fatalf("no Crossplane CRDs: %v", err)
	}
	var pkg bytes.Buffer
	for _, c := range crds {
		b, err := os.ReadFile(c)
		if err != nil {
			t.Fatal(err)
		}
		pkg.Write(b)
		pkg.WriteString("\n---\n")
	}
	entry := filepath.Join(cache, strings.ReplaceAll(image, ":", "@"))
	if err := os.MkdirAll(entry, 0o755); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(entry, "package.yaml"), pkg.String())

	args := append([]string{"beta", "validate", extensions, resources, "--cache-dir", cache, "--crossplane-image", image}, flags...)
	cmd := exec.Command(testtools.Crossplane(t, testtools.CrossplaneV2), args...)
	var outBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outBuf, &outBuf
	start := time.Now()
	err = cmd.Run()
	t.Logf("crossplane %s %s: %s", testtools.CrossplaneV2, strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	if err != nil {
		return outBuf.String(), fmt.Errorf("crossplane beta validate: %w\n%s", err, outBuf.String())
	}
	return outBuf.String(), nil
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// globExamples returns the YAML files of an examples folder.
func globExamples(t *testing.T, folder string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(testtools.RepoRoot(t), "examples", folder, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples in examples/%s: %v", folder, err)
	}
	return files
}
