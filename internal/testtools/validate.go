package testtools

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ValidateArgs returns the flags that let `crossplane beta validate` run offline. It validates
// against Crossplane's built-in schemas, which it downloads as the crossplane image unless its
// cache already holds them: the cache is filled with the CRDs of the Crossplane module of the same
// version, from the Go module cache.
func ValidateArgs(t testing.TB, version string) []string {
	t.Helper()
	module := "github.com/crossplane/crossplane/v2"
	if !strings.HasPrefix(version, "v2.") {
		module = "github.com/crossplane/crossplane"
	}
	dir := ModuleDir(t, module, version)
	image := "xpkg.crossplane.io/crossplane/crossplane:" + version
	cache := t.TempDir()
	target := filepath.Join(cache, strings.ReplaceAll(image, ":", "@"))
	if err := os.MkdirAll(target, 0o755); err != nil {
		t.Fatal(err)
	}
	crds, err := filepath.Glob(filepath.Join(dir, "cluster", "crds", "*.yaml"))
	if err != nil || len(crds) == 0 {
		t.Fatalf("no CRDs in %s/cluster/crds: %v", dir, err)
	}
	for _, c := range crds {
		b, err := os.ReadFile(c)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(target, filepath.Base(c)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return []string{"--cache-dir", cache, "--crossplane-image", image}
}
