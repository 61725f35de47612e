package packaging

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// fnMain is the stand-in function binary: quick to cross-compile, packaged like the real one.
const fnMain = "./test/e2e/packaging/testdata/fnmain"

// TestPackageFunctionMultiPlatform builds the Function package of this project's package root for
// linux/amd64 and linux/arm64 without Docker, pushes both as one multi-platform package and checks
// the index with go-containerregistry: both platforms, the runtime, and the package layer annotated
// io.crossplane.xpkg: base. `crossplane xpkg push` of the same files gives the same index.
func TestPackageFunctionMultiPlatform(t *testing.T) {
	e2e(t)
	crank := testtools.Crossplane(t, testtools.CrossplaneV2)
	out := t.TempDir()
	r := must(t, nil, cli(t), "build", "function", "--package-root", "package", "--main", fnMain, "-o", out)
	t.Logf("%s", r.stderr)
	files := []string{filepath.Join(out, "function-dataservice-amd64.xpkg"), filepath.Join(out, "function-dataservice-arm64.xpkg")}

	t.Run("RebuildShouldBeReproducible", func(t *testing.T) {
		again := t.TempDir()
		must(t, nil, cli(t), "build", "function", "--package-root", "package", "--main", fnMain, "-o", again)
		for _, f := range files {
			if a, b := imageDigest(t, f), imageDigest(t, filepath.Join(again, filepath.Base(f))); a != b {
				t.Errorf("%s: %s, rebuilt %s", filepath.Base(f), a, b)
			}
		}
	})

	for regName, opts := range registries() {
		t.Run(regName, func(t *testing.T) {
			reg := testtools.StartPackageRegistry(t, opts...)
			e := env(t, reg)
			ref := reg.Ref("crossplane-contrib/function-dataservice:v0.1.0")
			r := must(t, e, cli(t), "push", ref, "-f", files[0], "-f", files[1])
			pushed := strings.TrimSpace(r.stdout)
			t.Logf("dataservice push: %s", pushed)

			d, err := name.NewDigest(pushed[:strings.Index(pushed, ":v0.1.0@")] + pushed[strings.Index(pushed, "@"):])
			if err != nil {
				t.Fatal(err)
			}
			idx, err := remote.Index(d, keychain(t, reg))
			if err != nil {
				t.Fatal(err)
			}
			m, err := idx.IndexManifest()
			if err != nil {
				t.Fatal(err)
			}
			var platforms []string
			for _, desc := range m.Manifests {
				platforms = append(platforms, desc.Platform.String())
				img, err := idx.Image(desc.Digest)
				if err != nil {
					t.Fatal(err)
				}
				checkFunctionImage(t, desc.Platform.String(), img)
			}
			if got := strings.Join(platforms, ","); got != "linux/amd64,linux/arm64" {
				t.Errorf("index platforms %s, want linux/amd64,linux/arm64", got)
			}

			crankRef := reg.Ref("crossplane-contrib/function-dataservice-crossplane:v0.1.0")
			// crossplane xpkg push uploads both platforms' packages at once, and their shared layers
			// with them; distribution v3.0.0 then now and again refuses one manifest with
			// DIGEST_INVALID and MANIFEST_BLOB_UNKNOWN (seen once in four runs of make test). That is
			// the reference tool racing itself against the registry, not what is compared here: it
			// gets one more try, and must succeed then.
			args := []string{"xpkg", "push", "--package-files=" + strings.Join(files, ","), crankRef}
			if r := run(t, e, crank, args...); r.code != 0 {
				if !strings.Contains(r.stderr, "DIGEST_INVALID") {
					t.Fatalf("crossplane xpkg push: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
				}
				t.Logf("crossplane xpkg push raced the registry (%s); pushing again", strings.TrimSpace(r.stderr))
				must(t, e, crank, args...)
			}
			if got := headDigest(t, reg, crankRef); got != d.DigestStr() {
				t.Errorf("index digests differ: dataservice %s, crossplane xpkg push %s", d.DigestStr(), got)
			}

			r = must(t, e, cli(t), "inspect", ref)
			if !strings.Contains(r.stdout, "Platforms: linux/amd64, linux/arm64") || !strings.Contains(r.stdout, "Meta:      Function function-dataservice") {
				t.Errorf("inspect of the index:\n%s", r.stdout)
			}
		})
	}
}

// checkFunctionImage checks a pushed Function package image: runtime config, the program layer
// and the package layer annotated io.crossplane.xpkg: base holding the Function meta and input CRD.
func checkFunctionImage(t *testing.T, platform string, img v1.Image) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := cf.Platform().String(); got != platform {
		t.Errorf("%s: config platform %s", platform, got)
	}
	if strings.Join(cf.Config.Entrypoint, " ") != "/function" || cf.Config.User != "65532:65532" {
		t.Errorf("%s: entrypoint %v user %q, want /function as 65532:65532", platform, cf.Config.Entrypoint, cf.Config.User)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	var base []v1.Descriptor
	for _, l := range m.Layers {
		if l.Annotations[xpkg.AnnotationKey] == xpkg.PackageAnnotation {
			base = append(base, l)
		}
	}
	if len(base) != 1 || len(m.Layers) != 2 {
		t.Fatalf("%s: %d layers, %d annotated %s: base; want the program layer and one package layer", platform, len(m.Layers), len(base), xpkg.AnnotationKey)
	}
	files := map[string][]byte{}
	rc := mutate.Extract(img)
	defer rc.Close()
	readTar(t, rc, files)
	if len(files["function"]) == 0 {
		t.Errorf("%s: no /function in the image", platform)
	}
	stream := string(files[xpkg.StreamFile])
	for _, want := range []string{"kind: Function", "name: function-dataservice", "kind: CustomResourceDefinition", "inputs.dataservice.fn.crossplane.io"} {
		if !strings.Contains(stream, want) {
			t.Errorf("%s: package.yaml does not contain %q", platform, want)
		}
	}
}

// TestPackageFunctionEmbedsRuntimeTarball builds the Function package on a prebuilt runtime image
// tarball with dataservice and with `crossplane xpkg build --embed-runtime-image-tarball`: equal.
func TestPackageFunctionEmbedsRuntimeTarball(t *testing.T) {
	e2e(t)
	crank := testtools.Crossplane(t, testtools.CrossplaneV2)
	dir := t.TempDir()
	runtimeTar := filepath.Join(dir, "runtime-arm64.tar")
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "arm64"
	cf.Config.Entrypoint = []string{"/function"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag("runtime:arm64")
	if err := tarball.WriteToFile(runtimeTar, tag, img); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(dir, "ours")
	must(t, nil, cli(t), "build", "function", "--package-root", "package", "--embed-runtime-image-tarball", runtimeTar, "-o", out)
	ours := filepath.Join(out, "function-dataservice-arm64.xpkg")
	theirs := filepath.Join(dir, "crossplane.xpkg")
	must(t, isolated(t), crank, "xpkg", "build", "--package-root=package", "--examples-root="+filepath.Join(dir, "no-examples"),
		"--embed-runtime-image-tarball="+runtimeTar, "--package-file="+theirs)
	od, cd := imageDigest(t, ours), imageDigest(t, theirs)
	t.Logf("embedded runtime: dataservice %s, crossplane %s", od, cd)
	if od != cd {
		t.Errorf("digests differ: dataservice %s, crossplane xpkg build %s", od, cd)
	}
	if _, err := os.Stat(filepath.Join(out, "function-dataservice-amd64.xpkg")); !os.IsNotExist(err) {
		t.Errorf("an amd64 package was built although only an arm64 runtime was given")
	}
}
