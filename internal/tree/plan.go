package tree

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/function-dataservice/function-dataservice/internal/manifests"
)

// nameMax is the longest file name (one path element, in bytes) Linux file systems allow.
const nameMax = 255

// Plan is what generate would change on disk.
type Plan struct {
	// Changes make the disk match: files to write and generated files to delete.
	Changes []Change
	// Conflicts are files in the way that generate did not write (or wrote for another package
	// root); they are overwritten only when forced.
	Conflicts []string
	// Kept are files no spec generates any more that generate cannot prove it wrote (not in the
	// record, or changed since): they are left alone, and the caller says so.
	Kept []string
	// Record is the new record of what generate wrote, to apply with the changes; nil when the
	// record on disk says the same.
	Record *Change
}

// Plan compares the wanted files with the disk. It returns the changes that make the disk match,
// the files in the way and the stale files it keeps. Only files the record (RecordFile in the
// root) lists, unchanged since they were written, are ever deleted: a text marker proves nothing,
// since any file can start with it. An operator's own crossplane.yaml is kept. It refuses paths
// that go through a symbolic link below the root, and names too long for the file system.
func (l Layout) Plan(want map[string][]byte) (*Plan, error) {
	paths := slices.Sorted(maps.Keys(want))
	pl := &Plan{}
	written := maps.Clone(want) // what the record lists: not the operator's own meta
	for _, p := range paths {
		if err := l.checkPath(p); err != nil {
			return nil, err
		}
		fi, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			pl.Changes = append(pl.Changes, Change{Path: p, New: want[p]})
			continue
		case err != nil:
			return nil, err
		case !fi.Mode().IsRegular():
			// Never read through a link or from a device; replacing it with the file is the
			// operator's call.
			pl.Conflicts = append(pl.Conflicts, p+" ("+kind(fi)+")")
			pl.Changes = append(pl.Changes, Change{Path: p, New: want[p]})
			continue
		}
		old, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		switch {
		case !generated(old):
			if filepath.Base(p) == "crossplane.yaml" && filepath.Dir(p) == filepath.Clean(l.Root) {
				delete(written, p)
				continue // the operator's own meta
			}
			pl.Conflicts = append(pl.Conflicts, p)
		case p == l.Exports && owner(old) != "" && owner(old) != rootName(l, p):
			pl.Conflicts = append(pl.Conflicts, fmt.Sprintf("%s (the templates of package root %s: pass --exports FILE to keep both)", p, owner(old)))
		case p == l.RBAC && owner(old) != "" && owner(old) != rootName(l, p):
			pl.Conflicts = append(pl.Conflicts, fmt.Sprintf("%s (the ClusterRole of package root %s: pass --rbac FILE to keep both)", p, owner(old)))
		}
		if !bytes.Equal(old, want[p]) {
			pl.Changes = append(pl.Changes, Change{Path: p, Old: old, New: want[p]})
		}
	}
	rec, hadRecord, err := l.readRecord()
	if err != nil {
		return nil, err
	}
	for _, p := range slices.Sorted(maps.Keys(rec)) {
		if _, ok := want[p]; ok {
			continue
		}
		if l.checkPath(p) != nil {
			pl.Kept = append(pl.Kept, p)
			continue
		}
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil || !fi.Mode().IsRegular() {
			pl.Kept = append(pl.Kept, p)
			continue
		}
		old, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		if digest(old) != rec[p] || !generated(old) || !manifests.IsManifest(p) || !l.mayDelete(p) {
			// Changed since generate wrote it, or not what generate writes where it writes:
			// the record is part of the checkout, and a hostile one may list any file.
			pl.Kept = append(pl.Kept, p)
			continue
		}
		pl.Changes = append(pl.Changes, Change{Path: p, Old: old})
	}
	if !hadRecord {
		// A tree generated before the record existed: its stale files are found by the marker,
		// and kept, since the marker proves nothing.
		stale, err := l.markedFiles(want)
		if err != nil {
			return nil, err
		}
		pl.Kept = append(pl.Kept, stale...)
	}
	if rec := l.record(written); !hadRecord || !bytes.Equal(rec, l.rawRecord()) {
		pl.Record = &Change{Path: l.recordPath(), New: rec}
	}
	return pl, nil
}

// mayDelete says whether p is where generate writes: below the root, or beside it or the exports
// manifest (an exports manifest of an earlier run).
func (l Layout) mayDelete(p string) bool {
	if rel, err := filepath.Rel(filepath.Clean(l.Root), p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return true
	}
	d := filepath.Dir(p)
	return d == filepath.Dir(filepath.Clean(l.Root)) || d == filepath.Dir(l.Exports)
}

func kind(fi fs.FileInfo) string {
	switch m := fi.Mode(); {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m.IsDir():
		return "a folder"
	default:
		return "not a regular file"
	}
}

// checkPath refuses a path whose folders below the root are symbolic links (writing there would
// write outside the root) or are not folders, and a path element longer than the file system
// allows. The exports manifest, outside the root, is checked from its own folder.
func (l Layout) checkPath(p string) error {
	base := filepath.Clean(l.Root)
	rel, err := filepath.Rel(base, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		base, rel = filepath.Dir(p), filepath.Base(p)
	}
	for _, e := range strings.Split(rel, string(filepath.Separator)) {
		if len(e) > nameMax {
			return fmt.Errorf("cannot write %s: the file name %s is %d bytes long, the file system allows %d: shorten the name of the object it holds; nothing was written", p, e, len(e), nameMax)
		}
	}
	dir := base
	elems := strings.Split(rel, string(filepath.Separator))
	for _, e := range elems[:len(elems)-1] {
		dir = filepath.Join(dir, e)
		fi, err := os.Lstat(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if !fi.IsDir() {
			return fmt.Errorf("cannot write %s: %s is %s, not a folder: generate writes only below %s, never through links; remove it or choose another -o; nothing was written", p, dir, kind(fi), l.Root)
		}
	}
	return nil
}
