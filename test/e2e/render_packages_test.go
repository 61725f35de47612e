package e2e

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// TestPackagesBuildWithCrossplaneCLIs builds the platform Configuration (crossplane.yaml with the
// DataService XRD and its Composition) and the Function package (package/) with `crossplane xpkg
// build` of both Crossplane lines, whose parsers and linters are those of the package manager: the
// metas are valid where Klutch runs (1.20) and on v2, and the Configuration holds only kinds a
// Configuration may hold.
func TestPackagesBuildWithCrossplaneCLIs(t *testing.T) {
	skipRenderIfShort(t)
	root := testtools.RepoRoot(t)
	for _, version := range []string{testtools.CrossplaneV2, testtools.CrossplaneV1} {
		t.Run(version, func(t *testing.T) {
			cli := testtools.Crossplane(t, version)

			cfg := t.TempDir()
			for _, f := range []string{"crossplane.yaml", filepath.Join("apis", "definition.yaml"), filepath.Join("apis", "composition.yaml")} {
				writeTestFile(t, filepath.Join(cfg, filepath.Base(f)), string(readFile(t, filepath.Join(root, f))))
			}
			xpkgBuild(t, cli, cfg)

			fn := t.TempDir()
			writeTestFile(t, filepath.Join(fn, "crossplane.yaml"), string(readFile(t, filepath.Join(root, "package", "crossplane.yaml"))))
			inputs, err := filepath.Glob(filepath.Join(root, "package", "input", "*.yaml"))
			if err != nil || len(inputs) == 0 {
				t.Fatalf("no input CRD in package/input (make generate): %v", err)
			}
			for _, in := range inputs {
				writeTestFile(t, filepath.Join(fn, filepath.Base(in)), string(readFile(t, in)))
			}
			xpkgBuild(t, cli, fn)
		})
	}
}

// xpkgBuild builds the package in root, from root so that no examples folder is picked up.
func xpkgBuild(t *testing.T, cli, root string) {
	t.Helper()
	cmd := exec.Command(cli, "xpkg", "build", "--package-root", root, "-o", filepath.Join(t.TempDir(), "package.xpkg"))
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("crossplane xpkg build of %s: %v\n%s", root, err, out)
	}
}
