package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/function-dataservice/function-dataservice/internal/tree"
)

// listTree lists every path below dir (folders too), relative to it.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err == nil && p != dir {
			r, _ := filepath.Rel(dir, p)
			out = append(out, r)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// TestGenerateShouldNotTrustTheTree: generate writes only below -o, never through links, deletes
// only what its record proves it wrote, keeps the templates of package roots apart and leaves
// nothing behind when it fails.
func TestGenerateShouldNotTrustTheTree(t *testing.T) {
	klutch := filepath.Join("..", "..", "examples", "klutch")
	mongodb := filepath.Join(klutch, "mongodb.yaml")

	t.Run("SymlinkedFolderShouldNotBeWrittenThrough", func(t *testing.T) {
		base := t.TempDir()
		outside := t.TempDir()
		out := filepath.Join(base, "package")
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(outside, filepath.Join(out, "mongodb")); err != nil {
			t.Fatal(err)
		}
		err := generateErr(t, &generateCmd{Files: []string{mongodb}, Output: out})
		if err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("generate into a root with a symlinked folder: %v; want an error naming the link", err)
		}
		if got := listTree(t, outside); len(got) > 0 {
			t.Errorf("written through the link, outside the root: %v", got)
		}
	})

	t.Run("OtherOutputsShouldNotBeDeleted", func(t *testing.T) {
		base := t.TempDir()
		other := filepath.Join(base, "other")
		mustGenerate(t, &generateCmd{Files: []string{klutch}, Output: other, Exports: filepath.Join(other, "..", "other-templates.yaml")})
		notes := filepath.Join(base, "notes.yaml")
		writeTestFile(t, notes, tree.Marker+" - my notes on how generate works\n")
		before := listTree(t, base)

		var stderr bytes.Buffer
		err := (&generateCmd{Files: []string{mongodb}, Output: base, Name: "dataservices", Exports: filepath.Join(base, "..", filepath.Base(base)+"-templates.yaml")}).Run(context.Background(), streams{Out: &bytes.Buffer{}, Err: &stderr})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stderr.String(), "0 deleted") {
			t.Errorf("generate -o over other outputs: %q; want 0 deleted", stderr.String())
		}
		after := listTree(t, base)
		for _, p := range before {
			if _, err := os.Stat(filepath.Join(base, p)); err != nil {
				t.Errorf("%s was deleted (before: %v, after: %v)", p, before, after)
			}
		}
		if !strings.Contains(stderr.String(), "kept") || !strings.Contains(stderr.String(), "notes.yaml") {
			t.Errorf("stderr %q: want the files it kept, since no record lists them", stderr.String())
		}
	})

	t.Run("EditedFileShouldBeKept", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "package")
		mustGenerate(t, &generateCmd{Files: []string{klutch}, Output: out})
		def := filepath.Join(out, "postgresql", "definition.yaml")
		writeTestFile(t, def, readTestFile(t, def)+"# my note\n")
		var stderr bytes.Buffer
		if err := (&generateCmd{Files: []string{mongodb}, Output: out, Name: "dataservices"}).Run(context.Background(), streams{Out: &bytes.Buffer{}, Err: &stderr}); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(def); err != nil {
			t.Errorf("a generated file edited since was deleted: %v", err)
		}
		if _, err := os.Stat(filepath.Join(out, "servicebinding", "definition.yaml")); err == nil {
			t.Error("an unchanged generated file no spec produces any more was kept")
		}
		if !strings.Contains(stderr.String(), "kept 1 files") || !strings.Contains(stderr.String(), def) {
			t.Errorf("stderr %q: want the edited file named as kept", stderr.String())
		}
	})

	t.Run("PackageRootsSideBySideShouldKeepTheirTemplatesAndClusterRoles", func(t *testing.T) {
		base := t.TempDir()
		mustGenerate(t, &generateCmd{Files: []string{mongodb}, Output: filepath.Join(base, "pkgA")})
		templates := filepath.Join(base, "apiserviceexporttemplates.yaml")
		first := readTestFile(t, templates)
		err := generateErr(t, &generateCmd{Files: []string{filepath.Join(klutch, "postgresql.yaml")}, Output: filepath.Join(base, "pkgB")})
		if err == nil || !strings.Contains(err.Error(), "pkgA") || !strings.Contains(err.Error(), "--exports") {
			t.Errorf("second package root beside the first: %v; want a refusal naming pkgA and --exports", err)
		}
		if got := readTestFile(t, templates); got != first {
			t.Error("the first package root's templates were replaced")
		}
		mustGenerate(t, &generateCmd{Files: []string{filepath.Join(klutch, "postgresql.yaml")}, Output: filepath.Join(base, "pkgB"), Exports: filepath.Join(base, "pkgB-templates.yaml"), RBAC: filepath.Join(base, "pkgB-rbac.yaml")})
		if got := readTestFile(t, templates); got != first {
			t.Error("the first package root's templates were replaced")
		}
	})

	t.Run("TooLongNameShouldLeaveNothing", func(t *testing.T) {
		spec := readTestFile(t, mongodb)
		long := strings.Repeat("a", 243)
		spec = strings.Replace(spec, "    - name: a9s-mongodb\n", "    - name: "+long+"\n", 1)
		file := filepath.Join(t.TempDir(), "long.yaml")
		writeTestFile(t, file, spec)
		base := t.TempDir()
		err := generateErr(t, &generateCmd{Files: []string{file}, Output: filepath.Join(base, "package")})
		if err == nil || !strings.Contains(err.Error(), "nothing was written") || !strings.Contains(err.Error(), "255") {
			t.Errorf("a 243-character Composition name: %v; want an honest error naming the limit", err)
		}
		if got := listTree(t, base); len(got) > 0 {
			t.Errorf("left behind: %v", got)
		}
	})
}

// TestGenerateShouldNotTrustItsRecord: the record is part of the checkout; one that lists a file
// outside where generate writes, with the file's true digest, does not get it deleted.
func TestGenerateShouldNotTrustItsRecord(t *testing.T) {
	mongodb := filepath.Join("..", "..", "examples", "klutch", "mongodb.yaml")
	base := t.TempDir()
	out := filepath.Join(base, "a", "package")
	victim := filepath.Join(base, "victim.yaml")
	content := tree.Marker + "\nkind: Precious\n"
	writeTestFile(t, victim, content)
	mustGenerate(t, &generateCmd{Files: []string{mongodb}, Output: out})
	rec := filepath.Join(out, tree.RecordFile)
	sum := sha256.Sum256([]byte(content))
	writeTestFile(t, rec, readTestFile(t, rec)+hex.EncodeToString(sum[:])+"  ../../victim.yaml\n")
	mustGenerate(t, &generateCmd{Files: []string{mongodb}, Output: out})
	if got := readTestFile(t, victim); got != content {
		t.Errorf("a file outside the package root, listed in a tampered record, was changed: %q", got)
	}
}

// TestGenerateShouldRefuseReservedNamesBeforeWriting: a DataService named after a file of the
// package root (crossplane.yaml, the meta; examples, build's examples root) would put its folder
// where that file is: generate stopped half-way ("2 of 6 files were replaced"). It is refused
// before anything is written.
func TestGenerateShouldRefuseReservedNamesBeforeWriting(t *testing.T) {
	for _, name := range []string{"crossplane.yaml", "examples"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			spec := filepath.Join(dir, "specs", "x.yaml")
			writeTestFile(t, spec, strings.Replace(readTestFile(t, filepath.Join("..", "..", "examples", "render", "xr.yaml")), "name: cache", "name: "+name, 1))
			out := filepath.Join(dir, "out", "package")
			err := generateErr(t, &generateCmd{Files: []string{filepath.Join("..", "..", "examples", "klutch", "mongodb.yaml"), spec}, Output: out})
			want := "x.yaml: DataService \"" + name + "\" writes " + filepath.Join(out, name, "definition.yaml") + ", but " + name + " in the package root is"
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("generate of a DataService named %s: %v; want an error containing %q", name, err, want)
			}
			if got := listTree(t, filepath.Join(dir, "out")); len(got) > 0 {
				t.Errorf("written although refused: %v", got)
			}
		})
	}
}
