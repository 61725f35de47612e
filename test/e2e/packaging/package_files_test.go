package packaging

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// limited runs the CLI with its file size limit (RLIMIT_FSIZE) at kib KiB, as a full disk or a
// quota would: a write beyond it fails midway with EFBIG.
func limited(t *testing.T, kib int, args ...string) result {
	t.Helper()
	return run(t, nil, "bash", append([]string{"-c", fmt.Sprintf(`ulimit -f %d && exec "$0" "$@"`, kib), cli(t)}, args...)...)
}

// TestGenerateShouldNeverLeaveAPartialTree lets generate fail midway through writing: the package
// root and the export templates stay exactly as they were, without temporary files.
func TestGenerateShouldNeverLeaveAPartialTree(t *testing.T) {
	e2e(t)
	out := t.TempDir()
	root := filepath.Join(out, "package")
	must(t, nil, cli(t), "generate", "-f", "examples/klutch/mongodb.yaml", "-o", root)
	before := testtools.Snapshot(t, out)

	// Adding PostgreSQL and ServiceBinding changes the export templates and adds files, the
	// PostgreSQL XRD (17 KiB) beyond the limit.
	r := limited(t, 8, "generate", "-f", "examples/klutch", "-o", root)
	t.Logf("generate with an 8 KiB file size limit: exit %d\n%s", r.code, r.stderr)
	if r.code == 0 {
		t.Fatal("generate succeeded although it could not write the PostgreSQL XRD")
	}
	for _, want := range []string{"cannot write " + filepath.Join(root, "postgresql", "definition.yaml"), "file too large", "nothing was changed"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the error does not say %q:\n%s", want, r.stderr)
		}
	}
	if diff := cmp.Diff(before, testtools.Snapshot(t, out)); diff != "" {
		t.Errorf("generate changed the tree although it failed: -before, +after:\n%s", diff)
	}

	// Without the limit the same command writes everything.
	must(t, nil, cli(t), "generate", "-f", "examples/klutch", "-o", root)
	// Three XRDs, five Compositions (a9s and a8s), crossplane.yaml, the export templates, the
	// ClusterRole beside the package and generate's record of them (.dataservice-generated).
	if got := testtools.Snapshot(t, out); len(got) != 12 {
		t.Errorf("after a successful generate: %d files, want 12:\n%v", len(got), keys(got))
	}
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// TestBuildShouldNeverLeaveAPartialPackage lets build fail while writing the package file, and
// interrupts build function with SIGTERM and SIGKILL while it writes: the package file is the
// previous one or the complete new one, never part of one.
func TestBuildShouldNeverLeaveAPartialPackage(t *testing.T) {
	e2e(t)
	root := klutchRoot(t)

	t.Run("FileSizeLimit", func(t *testing.T) {
		dir := t.TempDir()
		pkg := filepath.Join(dir, "dataservices.xpkg")
		write(t, pkg, "the previous package")
		r := limited(t, 4, "build", root, "-o", pkg)
		t.Logf("build with a 4 KiB file size limit: exit %d\n%s", r.code, r.stderr)
		if r.code == 0 {
			t.Fatal("build succeeded although it could not write the package")
		}
		for _, want := range []string{"cannot write " + pkg, "file too large", "nothing was written"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("the error does not say %q:\n%s", want, r.stderr)
			}
		}
		if diff := cmp.Diff(map[string]string{"dataservices.xpkg": "the previous package"}, testtools.Snapshot(t, dir)); diff != "" {
			t.Errorf("build changed the folder although it failed: -want, +got:\n%s", diff)
		}
	})

	// A Function package on a large runtime image, so that writing it takes a while: the signal
	// lands while the temporary file is written.
	rt := bigRuntime(t, 128<<20)
	function := func(out string) []string {
		return []string{"build", "function", "-f", filepath.Join(testtools.RepoRoot(t), "package"), "--embed-runtime-image-tarball", rt, "-o", out}
	}
	const name = "function-dataservice-amd64.xpkg"
	completeDir := t.TempDir()
	must(t, nil, cli(t), function(completeDir)...)
	want := imageDigest(t, filepath.Join(completeDir, name))

	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			pkg := filepath.Join(dir, name)
			cmd := exec.Command(cli(t), function(dir)...)
			cmd.Dir = testtools.RepoRoot(t)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			tmp := waitForTemp(t, dir, exited)
			if tmp != "" {
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
			}
			var err error
			select {
			case err = <-exited:
			case <-time.After(2 * time.Minute):
				_ = cmd.Process.Kill()
				t.Fatal("build did not exit")
			}
			code := cmd.ProcessState.ExitCode()
			t.Logf("build function signalled with %v while writing %s: %v\n%s", sig, tmp, err, stderr.String())

			files := testtools.Snapshot(t, dir)
			if _, ok := files[name]; ok {
				// The write finished before the signal landed: the package must be complete.
				if d := imageDigest(t, pkg); d != want {
					t.Errorf("the package left behind has digest %s, want %s (the complete package)", d, want)
				}
				delete(files, name)
				t.Log("the write finished before the signal landed")
			}
			switch sig {
			case syscall.SIGTERM:
				if tmp != "" && code != 0 {
					if code != 128+int(syscall.SIGTERM) || !strings.Contains(stderr.String(), "interrupted") {
						t.Errorf("exit %d, want %d with a message that build was interrupted:\n%s", code, 128+int(syscall.SIGTERM), stderr.String())
					}
				}
				if len(files) > 0 {
					t.Errorf("files left after SIGTERM: %v; the temporary file must be removed", keys(files))
				}
			case syscall.SIGKILL:
				// Nothing runs after SIGKILL: the hidden temporary file may stay, the package file
				// is never partial, and the next build is not disturbed by the leftover.
				for f := range files {
					if !strings.HasPrefix(f, "."+name+".tmp-") {
						t.Errorf("unexpected file after SIGKILL: %s", f)
					}
				}
				must(t, nil, cli(t), function(dir)...)
				if d := imageDigest(t, pkg); d != want {
					t.Errorf("build after a killed build: digest %s, want %s", d, want)
				}
			}
		})
	}
}

// waitForTemp waits until the build's hidden temporary file appears in dir and returns its name,
// or "" when the build exits first (so fast that no signal can land midway).
func waitForTemp(t *testing.T, dir string, exited <-chan error) string {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.Contains(e.Name(), ".tmp-") {
				return e.Name()
			}
		}
		select {
		case err := <-exited:
			t.Logf("build exited (%v) before its temporary file was seen", err)
			return ""
		case <-time.After(2 * time.Millisecond):
		}
	}
	t.Fatal("build wrote no temporary file")
	return ""
}

// bigRuntime writes a linux/amd64 runtime image tarball with a layer of size random bytes.
func bigRuntime(t *testing.T, size int64) string {
	t.Helper()
	img, err := random.Image(size, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "runtime-amd64.tar")
	if err := tarball.WriteToFile(path, nil, img); err != nil {
		t.Fatal(err)
	}
	return path
}
