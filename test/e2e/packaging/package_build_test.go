package packaging

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// claim is an example shipped in the package's examples layer.
const claim = `apiVersion: anynines.com/v1
kind: MongoDBInstance
metadata:
  name: example-mongodb
  namespace: default
spec:
  service: a9s-mongodb
  plan: mongodb-single-small
`

// klutchRoot generates the Klutch data services of examples/klutch into a package root with an
// examples folder, and returns the root.
func klutchRoot(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "package")
	must(t, nil, cli(t), "generate", "-f", "examples/klutch", "-o", root, "--name", "dataservices")
	write(t, filepath.Join(root, "examples", "mongodb.yaml"), claim)
	return root
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func imageDigest(t *testing.T, path string) v1.Hash {
	t.Helper()
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestPackageBuildEqualsCrossplane builds the generated Klutch package root with dataservice and
// with `crossplane xpkg build` v2.2.1: the files, and so the image digests, must be equal.
func TestPackageBuildEqualsCrossplane(t *testing.T) {
	e2e(t)
	crank := testtools.Crossplane(t, testtools.CrossplaneV2)
	root := klutchRoot(t)
	out := t.TempDir()
	ours, theirs := filepath.Join(out, "ours.xpkg"), filepath.Join(out, "crossplane.xpkg")

	must(t, nil, cli(t), "build", root, "-o", ours)
	must(t, isolated(t), crank, "xpkg", "build", "--package-root="+root, "--examples-root="+filepath.Join(root, "examples"), "--package-file="+theirs)

	od, cd := imageDigest(t, ours), imageDigest(t, theirs)
	t.Logf("dataservice build:          %s (file sha256 %s)", od, fileSHA256(t, ours))
	t.Logf("crossplane xpkg build v2.2.1: %s (file sha256 %s)", cd, fileSHA256(t, theirs))
	if od != cd {
		t.Fatalf("image digests differ: dataservice %s, crossplane %s", od, cd)
	}
	if fileSHA256(t, ours) != fileSHA256(t, theirs) {
		t.Errorf("package files differ byte for byte although their image digests are equal")
	}

	t.Run("SecondBuildShouldBeIdentical", func(t *testing.T) {
		again := filepath.Join(out, "again.xpkg")
		must(t, nil, cli(t), "build", root, "-o", again)
		if fileSHA256(t, again) != fileSHA256(t, ours) {
			t.Errorf("a second build of the same root differs")
		}
	})

	t.Run("HiddenFoldersShouldNotChangeThePackage", func(t *testing.T) {
		write(t, filepath.Join(root, ".github", "workflows", "ci.yaml"), "on: push\njobs: {}\n")
		write(t, filepath.Join(root, ".git", "hooks.yaml"), "not: a package object\n")
		defer os.RemoveAll(filepath.Join(root, ".github"))
		defer os.RemoveAll(filepath.Join(root, ".git"))
		hidden := filepath.Join(out, "hidden.xpkg")
		must(t, nil, cli(t), "build", root, "-o", hidden)
		if d := imageDigest(t, hidden); d != od {
			t.Errorf("with .git and .github: digest %s, want %s", d, od)
		}
		// crossplane xpkg build itself reads them and fails.
		if r := run(t, isolated(t), crank, "xpkg", "build", "--package-root="+root, "--examples-root="+filepath.Join(root, "examples"), "--package-file="+filepath.Join(out, "x.xpkg")); r.code == 0 {
			t.Log("note: crossplane xpkg build accepted the hidden folders too")
		}
	})

	t.Run("DefaultOutputShouldBeBesideTheRoot", func(t *testing.T) {
		r := must(t, nil, cli(t), "build", root)
		want := filepath.Join(filepath.Dir(root), "dataservices.xpkg")
		if d := imageDigest(t, want); d != od {
			t.Errorf("%s: digest %s, want %s", want, d, od)
		}
		if !strings.Contains(r.stderr, od.String()) {
			t.Errorf("build did not report the digest %s:\n%s", od, r.stderr)
		}
	})
}

// TestPackageBuildShouldRefuseForeignKinds puts the APIServiceExportTemplates and a ConfigMap into
// the package root: the build fails naming the file, line and object, and where they belong.
func TestPackageBuildShouldRefuseForeignKinds(t *testing.T) {
	e2e(t)
	root := klutchRoot(t)
	templates, err := os.ReadFile(filepath.Join(filepath.Dir(root), "apiserviceexporttemplates.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(root, "apiserviceexporttemplates.yaml"), string(templates))
	write(t, filepath.Join(root, "settings", "cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n")
	out := filepath.Join(t.TempDir(), "refused.xpkg")

	r := run(t, nil, cli(t), "build", root, "-o", out)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		`apiserviceexporttemplates.yaml: APIServiceExportTemplate "mongodbinstances"`,
		"apply it to the control plane beside the package",
		`settings/cm.yaml: ConfigMap "settings" (v1) does not belong in a Configuration package`,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not contain %q:\n%s", want, r.stderr)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused build wrote %s", out)
	}
}
