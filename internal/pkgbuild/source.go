package pkgbuild

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/spf13/afero"
)

// Source is where a package is built from.
type Source struct {
	// Root is the package root: the folder that holds crossplane.yaml and the package's objects.
	Root string
	// Examples is the examples root. A relative path is relative to Root. When it does not exist the
	// package has no examples layer. Files below it never go into the package layer.
	Examples string
	// Ignore are file patterns (filepath.Match), relative to Root, left out of the package.
	Ignore []string
}

// files are the files a package is built from, in the order Crossplane's builder reads them.
type files struct {
	// root and examples are the two roots as absolute paths.
	root, examples string
	// pkg and ex list the files of each root, as absolute paths in lexical order.
	pkg, ex []string
	// hasExamples says whether the examples root exists.
	hasExamples bool
}

// collect lists the files of the package and its examples the way `crossplane xpkg build` does
// (*.yaml and *.yml, non-empty, lexical order), except that hidden folders and files (.git, .github,
// editor swap files) are skipped and the examples root is always left out of the package layer.
func collect(ctx context.Context, src Source) (*files, error) {
	root, err := filepath.Abs(src.Root)
	if err != nil {
		return nil, err
	}
	ex := src.Examples
	if ex == "" {
		ex = DefaultExamples
	}
	if !filepath.IsAbs(ex) {
		ex = filepath.Join(root, ex)
	}
	ex = filepath.Clean(ex)
	f := &files{root: root, examples: ex}
	var total int64

	if f.pkg, err = walk(ctx, root, ex, root, src.Ignore, &total); err != nil {
		return nil, err
	}
	switch fi, err := os.Stat(ex); {
	case os.IsNotExist(err):
	case err != nil:
		return nil, err
	case !fi.IsDir():
		return nil, &os.PathError{Op: "read examples", Path: ex, Err: errNotDir}
	default:
		f.hasExamples = true
		if f.ex, err = walk(ctx, ex, "", root, src.Ignore, &total); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// walk lists the YAML files below dir, skipping hidden entries, the folder skip and ignored files.
func walk(ctx context.Context, dir, skip, root string, ignore []string, total *int64) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("interrupted: %w", err)
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if skip != "" && p == skip {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			// A link is never followed: it would package a file from outside the root (or a
			// device that never ends). One to a folder would silently leave its files out.
			if fi, err := os.Stat(p); err == nil && fi.IsDir() {
				return &os.PathError{Op: "read", Path: p, Err: errLinkedFolder}
			}
		}
		if ext := filepath.Ext(p); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		if !d.Type().IsRegular() {
			return &os.PathError{Op: "read", Path: p, Err: notRegular(d.Type())}
		}
		for _, pattern := range ignore {
			if ok, err := filepath.Match(filepath.Join(root, pattern), p); err != nil {
				return err
			} else if ok {
				return nil
			}
		}
		// Like Crossplane's builder: empty files are skipped (by the size lstat reports).
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Size() == 0 {
			return nil
		}
		if *total += fi.Size(); *total > MaxPackageSize {
			return &os.PathError{Op: "read", Path: p, Err: fmt.Errorf("the package files take more than %d MiB, what Crossplane reads of a package at most", MaxPackageSize>>20)}
		}
		out = append(out, p)
		return nil
	})
	// WalkDir's order (lexical within each folder) is the order of Crossplane's builder, which
	// decides the bytes of the package: never sort the full paths instead.
	return out, err
}

// MaxPackageSize bounds the files of one package together: what Crossplane's package manager reads
// of a package.yaml at most (crossplane-runtime pkg/xpkg, maxPackageSize; pkginfo.MaxPackageYAML).
const MaxPackageSize = 200 << 20

var errLinkedFolder = errors.New("a symbolic link to a folder: build does not follow links; copy the folder into the package root or remove the link")

// notRegular says what a file that is not a regular file is, and that build does not read it.
func notRegular(m fs.FileMode) error {
	what := "not a regular file"
	switch {
	case m&fs.ModeSymlink != 0:
		what = "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case m&fs.ModeDevice != 0:
		what = "a device"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	}
	return fmt.Errorf("%s: build packages only regular files inside the package root and never follows links; replace it with the file, or remove it or --ignore it", what)
}

// openRegular opens a file only when it is a regular file: without following a symbolic link
// (O_NOFOLLOW) and without blocking on a named pipe (O_NONBLOCK), checked again on the open file,
// since the checkout may change between the walk and the read.
func openRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, &os.PathError{Op: "read", Path: path, Err: notRegular(fs.ModeSymlink)}
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &os.PathError{Op: "read", Path: path, Err: notRegular(fi.Mode())}
	}
	if fi.Size() > MaxPackageSize {
		f.Close()
		return nil, &os.PathError{Op: "read", Path: path, Err: fmt.Errorf("it takes more than %d MiB, what Crossplane reads of a package at most", MaxPackageSize>>20)}
	}
	return f, nil
}

// readRegular reads a regular file (see openRegular), at most MaxPackageSize bytes of it.
func readRegular(path string) ([]byte, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxPackageSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxPackageSize {
		return nil, &os.PathError{Op: "read", Path: path, Err: fmt.Errorf("it grew beyond %d MiB while read", MaxPackageSize>>20)}
	}
	return b, nil
}

// regularFs is the file system Crossplane's builder reads the package files from: the operating
// system's, but opening regular files only (see openRegular), so that a file swapped for a link
// or a FIFO after the walk is refused rather than followed or blocked on.
type regularFs struct{ afero.Fs }

func (r regularFs) Open(name string) (afero.File, error) {
	fi, err := os.Lstat(name)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return r.Fs.Open(name) // the walk reads folders
	}
	return openRegular(name)
}

func (r regularFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	if flag != os.O_RDONLY {
		return nil, &os.PathError{Op: "open", Path: name, Err: errors.ErrUnsupported}
	}
	return r.Open(name)
}
