package testtools

import (
	"archive/zip"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The cache the test/tools scripts fill is shared by every test package of a `go test ./...` run,
// which run in parallel: these tests start builds of one tool into an empty cache at the same time
// and interrupt builds half-way.

// fakeModule is a tiny command module served by a file:// GOPROXY, so gobin.sh builds a real module
// from a proxy in a second without the network.
const (
	fakeModule  = "example.invalid/fdtest/hello"
	fakeVersion = "v1.0.0"
)

func fakeProxy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	v := filepath.Join(dir, fakeModule, "@v")
	if err := os.MkdirAll(v, 0o755); err != nil {
		t.Fatal(err)
	}
	gomod := "module " + fakeModule + "\n\ngo 1.22\n"
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for name, body := range map[string]string{
		"go.mod":  gomod,
		"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello\") }\n",
	} {
		w, err := zw.Create(fakeModule + "@" + fakeVersion + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{
		fakeVersion + ".info": []byte(`{"Version":"` + fakeVersion + `","Time":"2024-01-01T00:00:00Z"}`),
		fakeVersion + ".mod":  []byte(gomod),
		fakeVersion + ".zip":  zb.Bytes(),
		"list":                []byte(fakeVersion + "\n"),
	} {
		if err := os.WriteFile(filepath.Join(v, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return "file://" + dir
}

// toolScript runs a test/tools script (or bash -c code) with its own cache folder.
func toolScript(t *testing.T, cache string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("bash", args...)
	cmd.Dir = RepoRoot(t)
	cmd.Env = append(os.Environ(), "DATASERVICE_CACHE="+cache)
	// Its own process group, so an interruption reaches the build's children as Ctrl-C would.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd
}

type scriptResult struct {
	stdout, stderr string
	err            error
}

// runAtOnce starts the commands together and waits for all of them.
func runAtOnce(cmds ...*exec.Cmd) []scriptResult {
	res := make([]scriptResult, len(cmds))
	var wg sync.WaitGroup
	for i, cmd := range cmds {
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Start(); err != nil {
			res[i].err = err
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := cmd.Wait()
			res[i] = scriptResult{stdout: out.String(), stderr: errOut.String(), err: err}
		}()
	}
	wg.Wait()
	return res
}

func TestGobinBuildsOnceWhenAskedTwiceAtOnce(t *testing.T) {
	proxy := fakeProxy(t)
	cache := filepath.Join(t.TempDir(), "cache")
	var cmds []*exec.Cmd
	for range 2 {
		cmd := toolScript(t, cache, "test/tools/gobin.sh", "hello", fakeModule, fakeVersion, ".")
		cmd.Env = append(cmd.Env, "GOPROXY="+proxy, "GOSUMDB=off", "GONOSUMDB="+fakeModule)
		cmds = append(cmds, cmd)
	}
	res := runAtOnce(cmds...)

	want := filepath.Join(cache, "bin", "hello-"+fakeVersion)
	builds := 0
	for i, r := range res {
		if r.err != nil {
			t.Fatalf("gobin.sh #%d: %v\n%s", i, r.err, r.stderr)
		}
		if got := strings.TrimSpace(r.stdout); got != want {
			t.Errorf("gobin.sh #%d printed %q, want %q", i, got, want)
		}
		builds += strings.Count(r.stderr, "building hello")
	}
	if builds != 1 {
		t.Errorf("hello was built %d times, want once:\n%s\n%s", builds, res[0].stderr, res[1].stderr)
	}
	out, err := exec.Command(want).Output()
	if err != nil || string(out) != "hello\n" {
		t.Errorf("built binary: %q, %v", out, err)
	}
	if diff := cmp.Diff([]string{"hello-" + fakeVersion, "hello-" + fakeVersion + ".lock"}, dirNames(t, filepath.Join(cache, "bin"))); diff != "" {
		t.Errorf("cache/bin holds more than the binary and its lock (-want +got):\n%s", diff)
	}
}

// cachedBuildScript sources lib.sh and runs cached_build with a build that records each run in
// runs, writes an executable, then sleeps: long enough for a second caller to arrive, or for the
// test to interrupt it.
func cachedBuildScript(out, runs, sleep string) string {
	return `set -euo pipefail
. test/tools/lib.sh
slow() {
  echo run >>` + runs + `
  printf '#!/bin/sh\necho built\n' >"$BUILD_OUT"; chmod +x "$BUILD_OUT"
  sleep ` + sleep + `
}
cached_build ` + out + ` "" slow`
}

func TestCachedBuildWaitsForTheBuildInProgress(t *testing.T) {
	cache := t.TempDir()
	out, runs := filepath.Join(cache, "bin", "tool-v1"), filepath.Join(cache, "runs")
	script := cachedBuildScript(out, runs, "1")
	res := runAtOnce(toolScript(t, cache, "-c", script), toolScript(t, cache, "-c", script))
	for i, r := range res {
		if r.err != nil {
			t.Fatalf("cached_build #%d: %v\n%s", i, r.err, r.stderr)
		}
		if got := strings.TrimSpace(r.stdout); got != out {
			t.Errorf("cached_build #%d printed %q, want %q", i, got, out)
		}
	}
	b, err := os.ReadFile(runs)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "run"); n != 1 {
		t.Errorf("the build ran %d times, want once", n)
	}
}

func TestCachedBuildInterruptedLeavesNoBinary(t *testing.T) {
	cases := map[string]struct {
		signal syscall.Signal
		// wantTemp: a killed build cannot clean up; its temporary file keeps a name no caller takes
		// for the binary, and the next build removes it.
		wantTemp bool
	}{
		"CtrlCShouldRemoveTheTemporaryFile": {signal: syscall.SIGINT},
		"KillShouldLeaveOnlyATemporaryFile": {signal: syscall.SIGKILL, wantTemp: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cache := t.TempDir()
			bin := filepath.Join(cache, "bin")
			out, runs := filepath.Join(bin, "tool-v1"), filepath.Join(cache, "runs")
			cmd := toolScript(t, cache, "-c", cachedBuildScript(out, runs, "30"))
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Interrupt once the build has written its binary, half-way through.
			deadline := time.Now().Add(20 * time.Second)
			for !hasTemp(t, bin) {
				if time.Now().After(deadline) {
					_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
					_ = cmd.Wait()
					t.Fatal("the build wrote no temporary file in 20s")
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err := syscall.Kill(-cmd.Process.Pid, tc.signal); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err == nil {
				t.Fatal("the interrupted build succeeded")
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("an interrupted build left %s (stat: %v)", out, err)
			}
			if got := hasTemp(t, bin); got != tc.wantTemp {
				t.Errorf("temporary file left: %v, want %v (%v)", got, tc.wantTemp, dirNames(t, bin))
			}

			// The next build builds it, and tidies up.
			cmd = toolScript(t, cache, "-c", cachedBuildScript(out, runs, "0"))
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("build after the interruption: %v\n%s", err, b)
			}
			if diff := cmp.Diff([]string{"tool-v1", "tool-v1.lock"}, dirNames(t, bin)); diff != "" {
				t.Errorf("cache/bin after the next build (-want +got):\n%s", diff)
			}
		})
	}
}

func hasTemp(t *testing.T, dir string) bool {
	t.Helper()
	for _, n := range dirNames(t, dir) {
		if strings.Contains(n, ".tmp.") {
			return true
		}
	}
	return false
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
