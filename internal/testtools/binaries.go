// Package testtools gives end-to-end tests the real tools they run against: the crossplane CLI and
// composition functions built from the Go module proxy (cached outside the clone by
// test/tools/gobin.sh, keyed by version), and servers started on loopback and stopped with the test.
package testtools

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// Pinned versions of the real tools the tests run.
const (
	CrossplaneV2      = "v2.2.1"  // newest with cmd/crank
	CrossplaneV1      = "v1.20.7" // crossplane render
	CrossplaneV1Beta  = "v1.16.0" // last with crossplane beta render
	PatchAndTransform = "v0.10.7"
	GoTemplating      = "v0.12.3"
	AutoReady         = "v0.7.0"
)

// tool is how one binary is built from the module proxy.
type tool struct {
	module, pkg string
}

func crossplaneTool(version string) tool {
	if strings.HasPrefix(version, "v2.") {
		return tool{module: "github.com/crossplane/crossplane/v2", pkg: "./cmd/crank"}
	}
	return tool{module: "github.com/crossplane/crossplane", pkg: "./cmd/crank"}
}

var functionTools = map[string]tool{
	"function-patch-and-transform": {module: "github.com/crossplane-contrib/function-patch-and-transform", pkg: "."},
	"function-go-templating":       {module: "github.com/crossplane-contrib/function-go-templating", pkg: "."},
	"function-auto-ready":          {module: "github.com/crossplane-contrib/function-auto-ready", pkg: "."},
}

// buildMu serialises builds: two at once on a 2-core machine are slower than one after the other.
var buildMu sync.Mutex

// Crossplane returns the crossplane CLI of a version, building it on first use.
func Crossplane(t testing.TB, version string) string {
	t.Helper()
	tl := crossplaneTool(version)
	return build(t, "crossplane", tl.module, version, tl.pkg)
}

// Function returns a composition function binary of a version, building it on first use.
func Function(t testing.TB, name, version string) string {
	t.Helper()
	tl := knownTool(t, "function", functionTools, name)
	return build(t, name, tl.module, version, tl.pkg)
}

// knownTool returns how the tool of a kind (function, provider) named name is built, failing the
// test for a name the table does not hold.
func knownTool(t testing.TB, kind string, tools map[string]tool, name string) tool {
	t.Helper()
	tl, ok := tools[name]
	if !ok {
		t.Fatalf("unknown %s %q", kind, name)
	}
	return tl
}

func build(t testing.TB, name, module, version, pkg string) string {
	t.Helper()
	return buildWithLDFlags(t, name, module, version, pkg, "")
}

// buildWithLDFlags builds as build does, linking with ldflags (besides -s -w). A cached binary
// linked with other flags is built again (test/tools/gobin.sh keeps them in NAME-VERSION.ldflags).
func buildWithLDFlags(t testing.TB, name, module, version, pkg, ldflags string) string {
	t.Helper()
	if p := cachedPath(name, version); isExecutable(p) && cachedLDFlags(p) == ldflags {
		return p
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	cmd := exec.Command("bash", filepath.Join(RepoRoot(t), "test", "tools", "gobin.sh"), name, module, version, pkg, ldflags)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cannot build %s %s from the module proxy: %v", name, version, err)
	}
	return strings.TrimSpace(string(out))
}

// CacheDir is where built tools are kept: $DATASERVICE_CACHE, else ~/.cache/function-dataservice.
func CacheDir() string {
	if d := os.Getenv("DATASERVICE_CACHE"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "function-dataservice-cache")
	}
	return filepath.Join(home, ".cache", "function-dataservice")
}

func cachedPath(name, version string) string {
	return filepath.Join(CacheDir(), "bin", name+"-"+version)
}

// cachedLDFlags returns the linker flags a cached binary was built with ("" when gobin.sh recorded
// none).
func cachedLDFlags(bin string) string {
	b, err := os.ReadFile(bin + ".ldflags")
	if err != nil {
		return ""
	}
	return string(b)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// RepoRoot is the root of this repository.
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the repository")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}
