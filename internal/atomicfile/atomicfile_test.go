package atomicfile

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// entries lists every path below dir, relative to it.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			r, _ := filepath.Rel(dir, p)
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a", "b", "f.yaml")
	if err := WriteFile(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "two" {
		t.Fatalf("read %q, %v; want two", b, err)
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	if diff := cmp.Diff([]string{"a", "a/b", "a/b/f.yaml"}, entries(t, dir)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
}

func TestWriteFailsLeavesNothing(t *testing.T) {
	cases := map[string]struct {
		reason string
		ctx    func() context.Context
		write  func(io.Writer) error
	}{
		"WriterFails": {
			reason: "A failing writer leaves neither the temporary file nor the folders made for it.",
			ctx:    context.Background,
			write: func(w io.Writer) error {
				w.Write([]byte("half"))
				return errors.New("boom")
			},
		},
		"Interrupted": {
			reason: "A write after ctx ended fails: an interrupt stops a long write.",
			ctx: func() context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			},
			write: func(w io.Writer) error {
				_, err := w.Write([]byte("x"))
				return err
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := Write(tc.ctx(), filepath.Join(dir, "new", "deeper", "f.yaml"), 0o644, tc.write); err == nil {
				t.Fatalf("%s\nWrite: no error", tc.reason)
			}
			if got := entries(t, dir); len(got) != 0 {
				t.Errorf("%s\nleft behind: %v", tc.reason, got)
			}
		})
	}
}

// TestWriteLongName: a target whose name is as long as the file system allows (255 bytes) still
// gets a temporary file; one beyond fails with nothing left behind.
func TestWriteLongName(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "sub", strings.Repeat("a", 250)+".yaml")
	if err := WriteFile(ok, []byte("x"), 0o644); err != nil {
		t.Fatalf("255-byte name: %v", err)
	}
	os.RemoveAll(filepath.Join(dir, "sub"))
	long := filepath.Join(dir, "sub", strings.Repeat("a", 251)+".yaml")
	if err := WriteFile(long, []byte("x"), 0o644); err == nil {
		t.Fatal("256-byte name: no error")
	}
	if got := entries(t, dir); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
}

// TestCommitReplacesSymlink: a symlink at the target is replaced by the file, never written
// through.
func TestCommitReplacesSymlink(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "outside")
	if err := os.WriteFile(outside, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "f.yaml")
	if err := os.Symlink(outside, p); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(outside); string(b) != "keep" {
		t.Errorf("written through the symlink: outside holds %q", b)
	}
	if fi, _ := os.Lstat(p); fi.Mode()&os.ModeSymlink != 0 {
		t.Error("the target is still a symlink")
	}
}

func TestStageDiscard(t *testing.T) {
	dir := t.TempDir()
	write := func(w io.Writer) error { _, err := w.Write([]byte("x")); return err }
	a, err := Stage(context.Background(), filepath.Join(dir, "n", "a.yaml"), 0o644, write)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Stage(context.Background(), filepath.Join(dir, "n", "b.yaml"), 0o644, write)
	if err != nil {
		t.Fatal(err)
	}
	b.Discard()
	a.Discard()
	if got := entries(t, dir); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
}
