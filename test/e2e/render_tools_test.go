package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/internal/manifests"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// Helpers of the render tests: composition functions served on loopback for crossplane render's
// Development runtime, and the real crossplane CLIs run against them.

// skipRenderIfShort skips end-to-end render tests in the fast inner loop (make unit).
func skipRenderIfShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: runs the real crossplane CLIs against served functions; run without -short (make test)")
	}
}

// renderCLI is one crossplane CLI and how it renders.
type renderCLI struct {
	version string
	// render is the command, `render` or (v1.16 and earlier) `beta render`.
	render []string
}

// renderCLIs are the CLIs of both Crossplane lines the function must answer: v2, v1's render, and
// the last CLI with beta render (v1.16, the v1beta1 function protocol). All three read the bundled
// examples/render/functions.yaml as it is: a pkg.crossplane.io/v1beta1 Function, the only version
// v1.16 knows, which v1.20 and v2 read too.
func renderCLIs() []renderCLI {
	return []renderCLI{
		{version: testtools.CrossplaneV2, render: []string{"render"}},
		{version: testtools.CrossplaneV1, render: []string{"render"}},
		{version: testtools.CrossplaneV1Beta, render: []string{"beta", "render"}},
	}
}

// servedFunction is a composition function listening on loopback.
type servedFunction struct {
	name    string
	address string
	// functions is the functions.yaml that points crossplane render at it: for function-dataservice
	// the bundled examples/render/functions.yaml itself.
	functions string
}

// bundledFunctions is the functions file of examples/render, which the README's render commands and
// the render tests use unchanged.
func bundledFunctions(t *testing.T) string {
	t.Helper()
	return filepath.Join(testtools.RepoRoot(t), "examples", "render", "functions.yaml")
}

// serveDataServiceFunction builds function-dataservice from this checkout and serves it in plain
// text where the bundled examples/render/functions.yaml points crossplane render's Development
// runtime (127.0.0.1:9443), as the README tells a user to, until the test ends. That address is the
// same for every checkout on the machine, so a machine-wide lock lets one test run serve it at a
// time; anything else listening there fails the test with what to stop.
func serveDataServiceFunction(t *testing.T) servedFunction {
	t.Helper()
	functions := bundledFunctions(t)
	objs := readObjects(t, functions)
	if len(objs) != 1 || objs[0].GetAPIVersion() != "pkg.crossplane.io/v1beta1" || objs[0].GetKind() != "Function" ||
		objs[0].GetAnnotations()["render.crossplane.io/runtime"] != "Development" {
		t.Fatalf("%s: want one pkg.crossplane.io/v1beta1 Function with the Development runtime (the version crossplane v1.16 reads, and v1.20 and v2 too)", functions)
	}
	addr := objs[0].GetAnnotations()["render.crossplane.io/runtime-development-target"]
	if addr == "" {
		t.Fatalf("%s: no render.crossplane.io/runtime-development-target annotation", functions)
	}
	lockAddress(t, addr)
	if l, err := net.Listen("tcp", addr); err != nil {
		t.Fatalf("cannot serve function-dataservice at %s, where %s points crossplane render: %v; stop what listens there (e.g. a function-dataservice you started) and run the test again", addr, functions, err)
	} else {
		_ = l.Close()
	}
	bin := filepath.Join(t.TempDir(), "function-dataservice")
	build := exec.Command("go", "build", "-o", bin, "./cmd/function-dataservice")
	build.Dir = testtools.RepoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("cannot build function-dataservice: %v\n%s", err, out)
	}
	// Its own metrics address, so that it clashes with nothing else on the host.
	fn := serveFunctionAt(t, "function-dataservice", bin, addr, "--metrics-address", freeAddress(t))
	fn.functions = functions
	return fn
}

// lockAddress holds a machine-wide lock on a loopback address until the test ends, waiting a bounded
// time for another test run that holds it.
func lockAddress(t *testing.T, addr string) {
	t.Helper()
	p := filepath.Join(os.TempDir(), "function-dataservice-serve-"+strings.NewReplacer(":", "-", "/", "-").Replace(addr)+".lock")
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() }) // closing releases the lock
	deadline := time.Now().Add(20 * time.Minute)
	for logged := false; ; {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			t.Fatalf("cannot lock %s: %v", p, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("another test run has served function-dataservice at %s for 20 minutes (lock %s)", addr, p)
		}
		if !logged {
			t.Logf("waiting for another test run serving function-dataservice at %s (lock %s)", addr, p)
			logged = true
		}
		time.Sleep(time.Second)
	}
}

// servePatchAndTransform serves the real function-patch-and-transform until the test ends.
func servePatchAndTransform(t *testing.T) servedFunction {
	t.Helper()
	return serveFunction(t, "function-patch-and-transform", testtools.Function(t, "function-patch-and-transform", testtools.PatchAndTransform))
}

// serveFunction starts a function binary with --insecure on a free loopback port, as serveFunctionAt
// does.
func serveFunction(t *testing.T, name, bin string, args ...string) servedFunction {
	t.Helper()
	return serveFunctionAt(t, name, bin, freeAddress(t), args...)
}

// serveFunctionAt starts a function binary with --insecure on addr and waits until it accepts
// connections. It is killed when the test ends; its output is shown when the test failed.
func serveFunctionAt(t *testing.T, name, bin, addr string, args ...string) servedFunction {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"--insecure", "--debug", "--address", addr}, args...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot start %s: %v", name, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		_ = logFile.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("%s log:\n%s", name, b)
			}
		}
	})

	// Wait until it listens; a function that exits instead fails the test with its log.
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return servedFunction{name: name, address: addr}
		}
		select {
		case err := <-exited:
			b, _ := os.ReadFile(logPath)
			t.Fatalf("%s exited before serving: %v\n%s", name, err, b)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not listen at %s after a minute: %v", name, addr, err)
		}
	}
}

// freeAddress returns a loopback address no one listens on.
func freeAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// writeFunctions writes a functions.yaml for crossplane render with released functions served on
// loopback (function-dataservice has the bundled one, see serveDataServiceFunction): each a Function
// of the bundled file's apiVersion, which every CLI reads, with the Development runtime annotations
// pointing at where it is served.
func writeFunctions(t *testing.T, dir string, fns ...servedFunction) string {
	t.Helper()
	example := readObjects(t, bundledFunctions(t))[0]
	var docs []string
	for _, fn := range fns {
		f := &unstructured.Unstructured{Object: map[string]any{
			"metadata": map[string]any{"name": fn.name},
			"spec":     map[string]any{"package": "xpkg.crossplane.io/crossplane-contrib/" + fn.name + ":" + testtools.PatchAndTransform},
		}}
		f.SetAPIVersion(example.GetAPIVersion())
		f.SetKind("Function")
		f.SetAnnotations(map[string]string{
			"render.crossplane.io/runtime":                    "Development",
			"render.crossplane.io/runtime-development-target": fn.address,
		})
		docs = append(docs, string(toYAML(t, f.Object)))
	}
	p := filepath.Join(dir, "functions.yaml")
	writeTestFile(t, p, strings.Join(docs, "---\n"))
	return p
}

// crossplaneRender runs `crossplane render` (or `beta render`) of a CLI version and returns its
// standard output; a failed render returns its standard error in the error.
func crossplaneRender(t *testing.T, cli renderCLI, xr, composition, functions string, flags ...string) ([]byte, error) {
	t.Helper()
	args := append(append(append([]string{}, cli.render...), xr, composition, functions), flags...)
	cmd := exec.Command(testtools.Crossplane(t, cli.version), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("crossplane %s %s: %s", cli.version, strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	if err != nil {
		return stdout.Bytes(), fmt.Errorf("crossplane %s %s: %w\n%s", cli.version, strings.Join(cli.render, " "), err, stderr.String())
	}
	return stdout.Bytes(), nil
}

// parseStream parses a YAML stream (what crossplane render prints) into objects.
func parseStream(t *testing.T, name string, data []byte) []*unstructured.Unstructured {
	t.Helper()
	docs, err := manifests.Split(name, data)
	if err != nil {
		t.Fatalf("cannot split %s: %v", name, err)
	}
	objs := make([]*unstructured.Unstructured, 0, len(docs))
	for _, d := range docs {
		m := map[string]any{}
		if err := yaml.Unmarshal(d.Data, &m); err != nil {
			t.Fatalf("%s: %v", d.Where(), err)
		}
		if len(m) == 0 {
			continue
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
	return objs
}

// readObjects reads the objects of a YAML file.
func readObjects(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return parseStream(t, path, data)
}

// plain turns an object into what JSON makes of it (numbers as float64), so that objects built in
// Go and objects parsed from YAML compare equal when their JSON is equal.
func plain(t *testing.T, obj map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func toYAML(t *testing.T, obj any) []byte {
	t.Helper()
	b, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeTestFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// nestedString returns the string at a dotted path of u ("" when absent), for assertions.
func nestedString(u *unstructured.Unstructured, path ...string) string {
	s, _, _ := unstructured.NestedString(u.Object, path...)
	return s
}

// exitedNonZero tells whether err is a command that ran and failed (not one that could not start).
func exitedNonZero(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee)
}
