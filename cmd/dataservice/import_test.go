package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/function-dataservice/function-dataservice/internal/reference"
)

func TestImport(t *testing.T) {
	dir := reference.PathOrSkip(t)
	mongo := filepath.Join(dir, "crossplane-api", "api", "a9s", "mongodb")
	tmpl := filepath.Join(dir, "bind", "mongodb_apiserviceexporttemplate.yaml")

	t.Run("ExactRoundTripThenGenerate", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "mongodb.yaml")
		var stderr bytes.Buffer
		if err := (&importCmd{Files: []string{mongo, tmpl}, Output: out, Strict: true}).Run(streams{Out: &bytes.Buffer{}, Err: &stderr}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stderr.String(), "it regenerates the input (every object equal as parsed YAML") {
			t.Errorf("want the exactness reported, got:\n%s", stderr.String())
		}
		mustGenerate(t, &generateCmd{Files: []string{out}, Output: filepath.Join(t.TempDir(), "package")})
	})

	t.Run("StrictFailsWhenInexact", func(t *testing.T) {
		comp, err := os.ReadFile(filepath.Join(mongo, "composition.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		// A patch policy is not something a DataService can say (P&T's transforms are).
		odd := strings.Replace(string(comp), "              - fromFieldPath: spec.plan\n                toFieldPath: spec.forProvider.planName\n",
			"              - fromFieldPath: spec.plan\n                toFieldPath: spec.forProvider.planName\n                policy: {toFieldPath: MergeObjects}\n", 1)
		p := filepath.Join(t.TempDir(), "composition.yaml")
		writeTestFile(t, p, odd)
		var stderr bytes.Buffer
		err = (&importCmd{Files: []string{filepath.Join(mongo, "definition.yaml"), p}, Strict: true}).Run(streams{Out: &bytes.Buffer{}, Err: &stderr})
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 3 {
			t.Fatalf("want exit code 3, got %v", err)
		}
		for _, want := range []string{"dropped patch spec.plan → spec.forProvider.planName", "does NOT regenerate the input (every object equal as parsed YAML"} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("want %q in:\n%s", want, stderr.String())
			}
		}
	})

	t.Run("RefusesOtherKinds", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "cm.yaml")
		writeTestFile(t, p, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
		err := (&importCmd{Files: []string{p}}).Run(streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
		if err == nil || !strings.Contains(err.Error(), "cm.yaml: v1 ConfigMap is not an XRD") {
			t.Fatalf("want an error naming the file and kind, got %v", err)
		}
	})
}

// TestImportPackageRoot imports what generate writes, as it is: the package meta is left out with a
// note. It needs no reference files.
func TestImportPackageRoot(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "package")
	mustGenerate(t, &generateCmd{Files: []string{filepath.Join("..", "..", "examples", "klutch", "mongodb.yaml")}, Output: root})
	var stderr bytes.Buffer
	cmd := &importCmd{Files: []string{root, filepath.Join(dir, "apiserviceexporttemplates.yaml")}, Strict: true}
	if err := cmd.Run(streams{Out: &bytes.Buffer{}, Err: &stderr}); err != nil {
		t.Fatalf("import of generate's package root: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"crossplane.yaml: note: ignored the package meta Configuration", "it regenerates the input (every object equal"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("want %q in:\n%s", want, stderr.String())
		}
	}
}
