package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/function-dataservice/function-dataservice/internal/pkgbuild"
)

// aliases writes n aliases of the anchor a, one a line, as keys k1..kn at the indentation.
func aliases(indent string, n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%sk%d: *a\n", indent, i)
	}
	return b.String()
}

// aliasedPackage writes a package file whose package.yaml (or examples, with examples set) anchors
// a string of size bytes once and aliases it n times: a few KiB compressed.
func aliasedPackage(t testing.TB, dir string, size, n int, examples bool) string {
	t.Helper()
	meta := "apiVersion: meta.pkg.crossplane.io/v1\nkind: Configuration\nmetadata:\n  name: x\n  annotations:\n"
	aliased := meta + "    k0: &a " + strings.Repeat("x", size) + "\n" + aliases("    ", n)
	files := map[string]string{xpkg.StreamFile: aliased}
	labels := map[string]string{}
	if examples {
		files[xpkg.StreamFile] = meta + "    k0: x\n"
		files[xpkg.XpkgExamplesFile] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k0: &a " + strings.Repeat("x", size) + "\n" + aliases("  ", n)
	}
	img := empty.Image
	for _, name := range []string{xpkg.StreamFile, xpkg.XpkgExamplesFile} {
		content, ok := files[name]
		if !ok {
			continue
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		tw := tar.NewWriter(zw)
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
		tw.Close()
		zw.Close()
		layer := static.NewLayer(buf.Bytes(), types.DockerLayer)
		d, _ := layer.Digest()
		var err error
		if img, err = mutate.AppendLayers(img, layer); err != nil {
			t.Fatal(err)
		}
		labels[xpkg.Label(d.String())] = xpkg.PackageAnnotation
		if name == xpkg.XpkgExamplesFile {
			labels[xpkg.Label(d.String())] = xpkg.ExamplesAnnotation
		}
	}
	img, err := mutate.Config(img, v1.Config{Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "aliased.xpkg")
	if err := pkgbuild.Write(context.Background(), file, img); err != nil {
		t.Fatal(err)
	}
	return file
}

// TestAliasesAreBoundedByWhatTheyExpandTo: every YAML the CLI reads (specs, overlays, --defaults,
// imported and compared objects, package roots and their crossplane.yaml, a package's
// package.yaml and examples) is refused, naming the file and the limit, once what it expands to
// passes the limit of its kind. A large string anchored once and aliased many times got past the
// decoder's guard, which counts alias nodes (a 1 MB spec with 400 aliases: 3 GB).
func TestAliasesAreBoundedByWhatTheyExpandTo(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("x", 128<<10) // aliased 100 times: 12.5 MiB, beyond every limit
	spec := "apiVersion: dataservice.klutch.io/v1alpha1\nkind: DataService\nmetadata:\n  name: hostile\n  annotations:\n    k0: &a " + big + "\n" + aliases("    ", 100) +
		"spec:\n  group: hostile.example.com\n  kind: Hostile\n"
	writeTestFile(t, filepath.Join(dir, "spec.yaml"), spec)
	writeTestFile(t, filepath.Join(dir, "ok.yaml"), "apiVersion: dataservice.klutch.io/v1alpha1\nkind: DataService\nmetadata:\n  name: ok\nspec:\n  group: ok.example.com\n  kind: Ok\n")
	writeTestFile(t, filepath.Join(dir, "overlay.yaml"), "apiVersion: dataservice.klutch.io/v1alpha1\nkind: DataServiceOverlay\nmetadata:\n  name: o\n  annotations:\n    k0: &a "+big+"\n"+aliases("    ", 100)+"spec:\n  base: ok\n")
	writeTestFile(t, filepath.Join(dir, "defaults.yaml"), "apiVersion: dataservice.fn.crossplane.io/v1beta1\nkind: Input\nmetadata:\n  annotations:\n    k0: &a "+strings.Repeat("x", 16<<10)+"\n"+aliases("    ", 100))
	xrd := "apiVersion: apiextensions.crossplane.io/v1\nkind: CompositeResourceDefinition\nmetadata:\n  name: xs.example.com\n  annotations:\n    k0: &a " + big + "\n" + aliases("    ", 100)
	writeTestFile(t, filepath.Join(dir, "xrd.yaml"), xrd)
	root := filepath.Join(dir, "root")
	writeTestFile(t, filepath.Join(root, "crossplane.yaml"), "apiVersion: meta.pkg.crossplane.io/v1\nkind: Configuration\nmetadata:\n  name: x\n  annotations:\n    k0: &a "+strings.Repeat("x", 16<<10)+"\n"+aliases("    ", 100))
	root2 := filepath.Join(dir, "root2")
	writeTestFile(t, filepath.Join(root2, "crossplane.yaml"), "apiVersion: meta.pkg.crossplane.io/v1\nkind: Configuration\nmetadata:\n  name: x\n")
	writeTestFile(t, filepath.Join(root2, "xrd.yaml"), xrd)
	pkgDir, exDir := filepath.Join(dir, "pkg"), filepath.Join(dir, "ex")
	for _, d := range []string{pkgDir, exDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	pkg := aliasedPackage(t, pkgDir, 1<<10, 10, false)
	ex := aliasedPackage(t, exDir, 128<<10, 100, true)
	ctx := context.Background()
	s := func() streams { return streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}} }
	cases := map[string]struct {
		run  func() error
		want string
	}{
		"Spec": {
			run: func() error {
				return generateErr(t, &generateCmd{Files: []string{filepath.Join(dir, "spec.yaml")}, Output: filepath.Join(dir, "out")})
			},
			want: "spec.yaml: the document expands to 13 MiB (its 100 aliases each repeat what their anchor holds), beyond the 4.0 MiB one DataService spec may expand to",
		},
		"Overlay": {
			run: func() error {
				return generateErr(t, &generateCmd{Files: []string{filepath.Join(dir, "ok.yaml"), filepath.Join(dir, "overlay.yaml")}, Output: filepath.Join(dir, "out")})
			},
			want: "overlay.yaml: the document expands to 13 MiB",
		},
		"Defaults": {
			run: func() error {
				return generateErr(t, &generateCmd{Files: []string{filepath.Join(dir, "ok.yaml")}, Defaults: filepath.Join(dir, "defaults.yaml"), Output: filepath.Join(dir, "out")})
			},
			want: "defaults.yaml: the document expands to 1.6 MiB (its 100 aliases each repeat what their anchor holds), beyond the 1.0 MiB one function input (--defaults) may expand to",
		},
		"Import": {
			run:  func() error { return (&importCmd{Files: []string{filepath.Join(dir, "xrd.yaml")}}).Run(s()) },
			want: "xrd.yaml: the document expands to 13 MiB (its 100 aliases each repeat what their anchor holds), beyond the 8.0 MiB one Kubernetes manifest may expand to",
		},
		"CheckCompat": {
			run: func() error {
				return (&checkCompatCmd{Old: filepath.Join(dir, "xrd.yaml"), New: filepath.Join(dir, "xrd.yaml")}).Run(ctx, s())
			},
			want: "xrd.yaml: the document expands to 13 MiB",
		},
		"BuildMeta": {
			run:  func() error { return (&buildConfigurationCmd{PackageRoot: root, Examples: "examples"}).Run(ctx, s()) },
			want: "crossplane.yaml: the document expands to 1.6 MiB (its 100 aliases each repeat what their anchor holds), beyond the 1.0 MiB one package meta (crossplane.yaml) may expand to",
		},
		"BuildFile": {
			run:  func() error { return (&buildConfigurationCmd{PackageRoot: root2, Examples: "examples"}).Run(ctx, s()) },
			want: "xrd.yaml: the document expands to 13 MiB (its 100 aliases each repeat what their anchor holds), beyond the 8.0 MiB one package file may expand to",
		},
		"InspectPackageYAML": {
			run:  func() error { return (&inspectCmd{Package: pkg, Output: "text"}).Run(ctx, s()) },
			want: "package.yaml:6: an anchor (&name): a package.yaml holds none",
		},
		"InspectExamples": {
			run:  func() error { return (&inspectCmd{Package: ex, Output: "text"}).Run(ctx, s()) },
			want: ".up/examples.yaml: the document expands to 13 MiB",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.run()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v\nwant an error containing %q", err, tc.want)
			}
		})
	}
}

// runMainEnv, when set, makes the test binary run the dataservice command with the arguments it
// holds (separated by newlines) instead of the tests: a test measures the command as a process.
const runMainEnv = "DATASERVICE_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if args := os.Getenv(runMainEnv); args != "" {
		os.Args = append([]string{"dataservice"}, strings.Split(args, "\n")...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestInspectAliasedPackageWithinMemory: inspect of a package of a few KiB whose package.yaml
// aliases a 1 MiB string 100 times is refused, and the process's peak resident memory stays
// under 200 MiB (before: 586 MiB, and exit 0; 20 aliases more ran out of memory).
func TestInspectAliasedPackageWithinMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command as a process")
	}
	file := aliasedPackage(t, t.TempDir(), 1<<20, 100, false)
	if fi, err := os.Stat(file); err != nil || fi.Size() > 16<<10 {
		t.Fatalf("the package takes %v bytes (%v), want a few KiB", fi.Size(), err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), runMainEnv+"=inspect\n"+file)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err == nil || !strings.Contains(stderr.String(), "an anchor (&name): a package.yaml holds none") {
		t.Errorf("inspect: %v, stderr:\n%s\nwant it refused naming the anchor", err, stderr.String())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Fatalf("no resource usage for the process on this system")
	}
	rss := ru.Maxrss << 10 // KiB on Linux
	t.Logf("inspect of a %s package aliasing 1 MiB 100 times: peak RSS %d MiB", filepath.Base(file), rss>>20)
	if rss > 200<<20 {
		t.Errorf("inspect peaked at %d MiB resident, want under 200 MiB", rss>>20)
	}
}
