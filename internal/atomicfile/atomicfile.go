// Package atomicfile writes files so that a reader never sees half of one: the content goes to a
// hidden temporary file beside the target, synced to disk, which is then renamed over it. It is
// the one writer of every file the project writes (generate's tree, package files, extract and
// import output, the generated platform XRD). A write that fails or is interrupted leaves the old
// file (or none) and no temporary file, and removes the folders it created for it.
package atomicfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// tmpPattern names the temporary file of a target: hidden, so that neither manifest readers nor
// package builds pick one up, and naming the target (".NAME.tmp-*", so that a file left by a
// killed process says whose it is), unless that would be longer than the file system allows
// (255 bytes; CreateTemp adds up to 10 digits): then ".tmp-*".
func tmpPattern(path string) string {
	if p := "." + filepath.Base(path) + ".tmp-*"; len(p)-1+10 <= 255 {
		return p
	}
	return ".tmp-*"
}

// Staged is content written to a temporary file beside its target, not yet in place. Commit puts
// it in place; Discard removes it and the folders created for it. Staging every file first and
// committing them only once all are written makes a set of files nearly all-or-nothing.
type Staged struct {
	tmp, path string
	// created are the folders made for the file, deepest first.
	created []string
}

// Path is the target.
func (s *Staged) Path() string { return s.path }

// Stage writes what write writes to a temporary file beside path, creating the missing folders,
// with permissions perm. When write fails or ctx ends while it writes, nothing is left behind.
func Stage(ctx context.Context, path string, perm fs.FileMode, write func(io.Writer) error) (*Staged, error) {
	dir := filepath.Dir(path)
	created, err := mkdirAll(dir)
	if err != nil {
		return nil, err
	}
	s := &Staged{path: path, created: created}
	tmp, err := os.CreateTemp(dir, tmpPattern(path))
	if err != nil {
		s.Discard()
		return nil, err
	}
	s.tmp = tmp.Name()
	fail := func(err error) (*Staged, error) {
		tmp.Close()
		s.Discard()
		return nil, err
	}
	if err := write(ctxWriter{ctx, tmp}); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Chmod(perm); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	return s, nil
}

// Commit renames the temporary file over the target. A symlink at the target is replaced, never
// written through. On error the temporary file is removed.
func (s *Staged) Commit() error {
	if err := os.Rename(s.tmp, s.path); err != nil {
		s.Discard()
		return err
	}
	s.tmp, s.created = "", nil
	return nil
}

// Discard removes the temporary file and the folders created for it when they are empty. It is a
// no-op after Commit.
func (s *Staged) Discard() {
	if s.tmp != "" {
		os.Remove(s.tmp)
		s.tmp = ""
	}
	for _, d := range s.created {
		if os.Remove(d) != nil { // not empty: another file staged there
			break
		}
	}
	s.created = nil
}

// Write replaces path atomically with what write writes (see Stage): a reader sees the old file or
// the new one, never half of one.
func Write(ctx context.Context, path string, perm fs.FileMode, write func(io.Writer) error) error {
	s, err := Stage(ctx, path, perm, write)
	if err != nil {
		return err
	}
	return s.Commit()
}

// WriteFile replaces path atomically with data.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return Write(context.Background(), path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// mkdirAll is os.MkdirAll that returns the folders it created, deepest first.
func mkdirAll(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err == nil {
			if !fi.IsDir() {
				return nil, &fs.PathError{Op: "mkdir", Path: d, Err: errors.New("not a folder")}
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			for _, d := range missing[i+1:] {
				os.Remove(d)
			}
			return nil, err
		}
	}
	return missing, nil
}

// ctxWriter fails writes once ctx is done, so an interrupt stops a long write.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, fmt.Errorf("interrupted: %w", err)
	}
	return c.w.Write(p)
}
