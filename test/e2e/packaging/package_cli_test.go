// Package packaging holds the end-to-end tests of the package toolkit: the dataservice CLI, built
// from this checkout, against the real crossplane CLI v2.2.1 and distribution's registry on
// 127.0.0.1 (without auth and with htpasswd auth).
package packaging

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
	cliDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if cliDir != "" {
		os.RemoveAll(cliDir)
	}
	os.Exit(code)
}

// e2e skips the test in -short runs: it runs real binaries.
func e2e(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: runs the dataservice and crossplane CLIs and the registry")
	}
}

// cli builds bin/dataservice of this checkout once per test binary.
func cli(t *testing.T) string {
	t.Helper()
	cliOnce.Do(func() {
		if cliDir, cliErr = os.MkdirTemp("", "dataservice-e2e-"); cliErr != nil {
			return
		}
		cliPath = filepath.Join(cliDir, "dataservice")
		cmd := exec.Command("go", "build", "-o", cliPath, "./cmd/dataservice")
		cmd.Dir = testtools.RepoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			cliErr = errors.New(err.Error() + "\n" + string(out))
		}
	})
	if cliErr != nil {
		t.Fatalf("cannot build the dataservice CLI: %v", cliErr)
	}
	return cliPath
}

// result is what a command did.
type result struct {
	stdout, stderr string
	code           int
}

// run runs a binary in the repository root with the environment given (os.Environ() when nil).
func run(t *testing.T, env []string, bin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = testtools.RepoRoot(t)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("cannot run %s: %v", bin, err)
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// must runs a binary and fails the test unless it exits 0.
func must(t *testing.T, env []string, bin string, args ...string) result {
	t.Helper()
	r := run(t, env, bin, args...)
	if r.code != 0 {
		t.Fatalf("%s %s: exit %d\nstdout:\n%s\nstderr:\n%s", filepath.Base(bin), strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// isolated is an environment whose Docker config is an empty folder: no credentials of the machine.
func isolated(t *testing.T) []string {
	return append(os.Environ(), "DOCKER_CONFIG="+t.TempDir())
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func gunzip(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHelpShouldTeachEveryCommand(t *testing.T) {
	e2e(t)
	bin := cli(t)
	for _, args := range [][]string{
		{"build", "--help"}, {"build", "function", "--help"}, {"push", "--help"},
		{"inspect", "--help"}, {"extract", "--help"}, {"generate", "--help"},
	} {
		r := must(t, nil, bin, args...)
		if !strings.Contains(r.stdout, "Examples:") {
			t.Errorf("dataservice %s has no examples:\n%s", strings.Join(args, " "), r.stdout)
		}
	}
	if r := must(t, nil, bin, "version"); strings.TrimSpace(r.stdout) == "" {
		t.Error("dataservice version printed nothing")
	}
	if r := must(t, nil, bin, "completions", "--help"); !strings.Contains(r.stdout, "completions") {
		t.Errorf("no shell completion command:\n%s", r.stdout)
	}
}

// readTar reads the regular files of a tar stream into files.
func readTar(t *testing.T, r io.Reader, files map[string][]byte) {
	t.Helper()
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[strings.TrimPrefix(h.Name, "/")] = b
	}
}
