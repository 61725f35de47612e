package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestInspectNamesEachDigest: for a package file, inspect's Digest is the file's manifest and
// "Pushed as" the digest push gives it, the one build announces, as its help says.
func TestInspectNamesEachDigest(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "package")
	mustGenerate(t, &generateCmd{Files: []string{filepath.Join("..", "..", "examples", "klutch", "mongodb.yaml")}, Output: root})
	pkg := filepath.Join(dir, "mongodb.xpkg")
	var built bytes.Buffer
	if err := (&buildConfigurationCmd{PackageRoot: root, Examples: "examples", Output: pkg}).Run(context.Background(), streams{Out: &bytes.Buffer{}, Err: &built}); err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`digest (sha256:[0-9a-f]+), pushed as (sha256:[0-9a-f]+)`).FindStringSubmatch(built.String())
	if m == nil {
		t.Fatalf("build does not name both digests:\n%s", built.String())
	}
	var out bytes.Buffer
	if err := (&inspectCmd{Package: pkg, Output: "text"}).Run(context.Background(), streams{Out: &out, Err: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Digest:    " + m[1] + " (the file's manifest)", "Pushed as: " + m[2]} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("inspect lacks %q:\n%s", want, out.String())
		}
	}
	if m[1] == m[2] {
		t.Error("a file's digest and its pushed digest differ, as inspect's help says")
	}
	help := (&inspectCmd{}).Help()
	if !strings.Contains(help, `"Pushed as" the manifest digest a registry gives it once pushed`) || strings.Contains(help, "equals the manifest digest it gets when pushed") {
		t.Errorf("inspect's help must say which digest is which:\n%s", help)
	}
}
