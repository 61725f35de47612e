package packaging

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPackageGenerateCheck runs the built CLI: `generate --check` passes (exit 0) on a fresh tree
// and fails (exit 2, with the diff) on a stale one.
func TestPackageGenerateCheck(t *testing.T) {
	e2e(t)
	bin := cli(t)
	root := filepath.Join(t.TempDir(), "package")
	must(t, nil, bin, "generate", "-f", "examples/klutch", "-o", root)

	if r := run(t, nil, bin, "generate", "-f", "examples/klutch", "-o", root, "--check"); r.code != 0 {
		t.Fatalf("--check on a fresh tree: exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
	}

	def := filepath.Join(root, "mongodb", "definition.yaml")
	b, err := os.ReadFile(def)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(def, []byte(strings.Replace(string(b), "served: true", "served: false", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, bin, "generate", "-f", "examples/klutch", "-o", root, "--check")
	if r.code != 2 {
		t.Fatalf("--check on a stale tree: exit %d, want 2\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "served: false") || !strings.Contains(r.stdout, "served: true") {
		t.Errorf("--check does not show the diff:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "stale") {
		t.Errorf("--check does not say the tree is stale:\n%s", r.stderr)
	}

	// Regenerating makes it fresh again, and build takes it.
	must(t, nil, bin, "generate", "-f", "examples/klutch", "-o", root)
	must(t, nil, bin, "generate", "-f", "examples/klutch", "-o", root, "--check")
}
