package pkgbuild

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestBuildShouldReadOnlyRegularFiles: a checkout is not trusted. A link to a device (which never
// ends: out of memory), a FIFO (which blocks the build forever) or a link to a file outside the
// root (which packaged it) is an error naming the path, and is never opened.
func TestBuildShouldReadOnlyRegularFiles(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "outside.yaml")
	if err := os.WriteFile(outside, []byte(strings.Replace(xrd, "xwidgets", "xsecrets", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	outsideDir := filepath.Dir(outside)
	cases := map[string]struct {
		reason string
		make   func(p string) error
		want   string
	}{
		"LinkToDevice": {
			reason: "A link x.yaml -> /dev/zero is refused, not read.",
			make:   func(p string) error { return os.Symlink("/dev/zero", p) },
			want:   "a symbolic link",
		},
		"FIFO": {
			reason: "A named pipe is refused without opening it (which blocks).",
			make:   func(p string) error { return syscall.Mkfifo(p, 0o644) },
			want:   "a named pipe",
		},
		"LinkOutsideTheRoot": {
			reason: "A link to an XRD outside the root does not package it.",
			make:   func(p string) error { return os.Symlink(outside, p) },
			want:   "a symbolic link",
		},
		"LinkToAFolder": {
			reason: "A link to a folder is refused: its files would be left out silently, or be files from outside the root.",
			make:   func(p string) error { return os.Symlink(outsideDir, strings.TrimSuffix(p, ".yaml")) },
			want:   "a symbolic link to a folder",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			root := tree(t, map[string]string{"crossplane.yaml": meta, "a/definition.yaml": xrd})
			p := filepath.Join(root, "x.yaml")
			if err := tc.make(p); err != nil {
				t.Fatal(err)
			}
			_, err := Build(context.Background(), Source{Root: root}, Configuration, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "x") {
				t.Fatalf("%s\nBuild(...): %v; want an error naming the path and saying %q", tc.reason, err, tc.want)
			}
		})
	}
}

// TestOpenRegularShouldRefuseSwappedFiles: a file swapped for a link or FIFO after the walk is
// refused when opened.
func TestOpenRegularShouldRefuseSwappedFiles(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link.yaml")
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{link, fifo} {
		if _, err := readRegular(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("readRegular(%s): %v; want an error naming it", p, err)
		}
		if _, err := (regularFs{}).Open(p); err == nil {
			t.Errorf("regularFs.Open(%s): no error", p)
		}
	}
}

// TestBuildShouldRefuseAMetaNameThatIsAPath: the package file is named after the meta's
// metadata.name, which is validated as the API server validates a name: "../../x" wrote the
// package outside the folder.
func TestBuildShouldRefuseAMetaNameThatIsAPath(t *testing.T) {
	for _, name := range []string{"../../x", "a/b", "UPPER", ".."} {
		t.Run(name, func(t *testing.T) {
			root := tree(t, map[string]string{"crossplane.yaml": strings.Replace(meta, "name: test-platform", "name: "+strconv.Quote(name), 1), "a/definition.yaml": xrd})
			_, err := Build(context.Background(), Source{Root: root}, Configuration, nil)
			want := "crossplane.yaml: Configuration " + strconv.Quote(name) + " (meta.pkg.crossplane.io/v1): metadata.name: Invalid value: " + strconv.Quote(name)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("Build(meta named %q): %v; want an error containing %q", name, err, want)
			}
		})
	}
}
