package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGenerate(t *testing.T) {
	klutch := filepath.Join("..", "..", "examples", "klutch")
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	writeTestFile(t, bad, "apiVersion: dataservice.klutch.io/v1alpha1\nkind: DataService\nmetadata: {name: bad}\nspec: {group: nodot, kind: Bad, compositions: [{name: a}]}\n")

	t.Run("WritesPackageRootAndTemplatesBeside", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "package")
		mustGenerate(t, &generateCmd{Files: []string{klutch}, Output: out})
		for _, f := range []string{"crossplane.yaml", "mongodb/definition.yaml", "mongodb/composition-a9s-mongodb.yaml", "postgresql/definition.yaml", "servicebinding/composition-a9s-servicebinding.yaml"} {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Error(err)
			}
		}
		templates := readTestFile(t, filepath.Join(filepath.Dir(out), "apiserviceexporttemplates.yaml"))
		if n := strings.Count(templates, "kind: APIServiceExportTemplate"); n != 3 {
			t.Errorf("want 3 templates beside the package root, got %d", n)
		}
		if strings.Contains(readTestFile(t, filepath.Join(out, "mongodb", "definition.yaml")), "APIServiceExportTemplate") {
			t.Error("a template went into the package root")
		}
	})

	t.Run("PackageAndClusterRoleNamedAfterTheDataServices", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "package")
		var stderr bytes.Buffer
		if err := (&generateCmd{Files: []string{klutch}, Output: out}).Run(context.Background(), streams{Out: &bytes.Buffer{}, Err: &stderr}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stderr.String(), "note: the package is named mongodb-postgresql-servicebinding") {
			t.Errorf("the defaulted name should be said on stderr, got:\n%s", stderr.String())
		}
		if !strings.Contains(readTestFile(t, filepath.Join(out, "crossplane.yaml")), "name: mongodb-postgresql-servicebinding") {
			t.Error("crossplane.yaml is not named after the DataServices")
		}
		if !strings.Contains(readTestFile(t, filepath.Join(filepath.Dir(out), "crossplane-rbac.yaml")), "name: crossplane:composite:mongodb-postgresql-servicebinding") {
			t.Error("the ClusterRole is not named after the package")
		}
	})

	t.Run("RefusesToReplaceAnotherRootsClusterRole", func(t *testing.T) {
		dir := t.TempDir()
		valkey := filepath.Join("..", "..", "examples", "internal", "v2")
		mustGenerate(t, &generateCmd{Files: []string{klutch}, Output: filepath.Join(dir, "klutch")})
		err := generateErr(t, &generateCmd{Files: []string{valkey}, Output: filepath.Join(dir, "valkey"), Exports: filepath.Join(dir, "valkey-templates.yaml")})
		if err == nil || !strings.Contains(err.Error(), "the ClusterRole of package root klutch") || !strings.Contains(err.Error(), "--rbac") {
			t.Fatalf("want a refusal naming the other root and --rbac, got %v", err)
		}
	})

	t.Run("InvalidSpecWritesNothing", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "package")
		err := generateErr(t, &generateCmd{Files: []string{klutch, bad}, Output: out})
		if err == nil || !strings.Contains(err.Error(), "spec.group") || !strings.Contains(err.Error(), "bad.yaml") {
			t.Fatalf("want an error naming the file and field, got %v", err)
		}
		if _, err := os.Stat(filepath.Dir(out)); err == nil {
			entries, _ := os.ReadDir(filepath.Dir(out))
			if len(entries) > 0 {
				t.Errorf("an invalid spec must write nothing, found %d entries", len(entries))
			}
		}
	})

	t.Run("CheckDetectsDriftAndRefusesForeignFiles", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "package")
		mustGenerate(t, &generateCmd{Files: []string{klutch}, Output: out})
		mustGenerate(t, &generateCmd{Files: []string{klutch}, Output: out, Check: true})

		def := filepath.Join(out, "mongodb", "definition.yaml")
		writeTestFile(t, def, strings.Replace(readTestFile(t, def), "anynines.com", "example.com", 1))
		var stdout bytes.Buffer
		err := (&generateCmd{Files: []string{klutch}, Output: out, Check: true}).Run(context.Background(), streams{Out: &stdout, Err: &bytes.Buffer{}})
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 {
			t.Fatalf("--check on a stale tree: want exit code 2, got %v", err)
		}
		if !strings.Contains(stdout.String(), "-  group: example.com") && !strings.Contains(stdout.String(), "example.com") {
			t.Errorf("--check must show the diff, got:\n%s", stdout.String())
		}

		// A file generate did not write is not overwritten without --force.
		writeTestFile(t, def, "# mine\nkind: Mine\n")
		if err := generateErr(t, &generateCmd{Files: []string{klutch}, Output: out}); err == nil || !strings.Contains(err.Error(), "--force") {
			t.Fatalf("want a refusal naming --force, got %v", err)
		}
		if got := readTestFile(t, def); got != "# mine\nkind: Mine\n" {
			t.Errorf("refused run changed the file: %q", got)
		}
		mustGenerate(t, &generateCmd{Files: []string{klutch}, Output: out, Force: true})
		mustGenerate(t, &generateCmd{Files: []string{klutch}, Output: out, Check: true})
	})

	t.Run("DeletesWhatNoSpecGeneratesAnyMore", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "package")
		mustGenerate(t, &generateCmd{Files: []string{klutch}, Output: out})
		mustGenerate(t, &generateCmd{Files: []string{filepath.Join(klutch, "mongodb.yaml")}, Output: out})
		if _, err := os.Stat(filepath.Join(out, "postgresql", "definition.yaml")); !os.IsNotExist(err) {
			t.Errorf("stale generated file kept: %v", err)
		}
	})

	t.Run("KeepsTheOperatorsMeta", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "package")
		meta := "apiVersion: meta.pkg.crossplane.io/v1\nkind: Configuration\nmetadata: {name: mine}\n"
		writeTestFile(t, filepath.Join(out, "crossplane.yaml"), meta)
		mustGenerate(t, &generateCmd{Files: []string{klutch}, Output: out})
		if got := readTestFile(t, filepath.Join(out, "crossplane.yaml")); got != meta {
			t.Errorf("operator's crossplane.yaml changed: %q", got)
		}
	})
}

func mustGenerate(t *testing.T, c *generateCmd) {
	t.Helper()
	if err := generateErr(t, c); err != nil {
		t.Fatal(err)
	}
}

func generateErr(t *testing.T, c *generateCmd) error {
	t.Helper()
	if c.Name == "" {
		c.Name = "dataservices"
	}
	return c.Run(context.Background(), streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
}

func writeTestFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readTestFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
