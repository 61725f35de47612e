package tree

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/function-dataservice/function-dataservice/internal/manifests"
)

// RecordFile, in the package root, lists every file generate wrote there and beside it, with the
// digest of what it wrote: the proof that lets a later run delete a file no spec generates any
// more. Hidden, so that neither manifest readers nor package builds pick it up.
const RecordFile = ".dataservice-generated"

const recordHeader = "# Files dataservice generate wrote, with the SHA-256 of their content; only these are ever deleted. DO NOT EDIT.\n"

func (l Layout) recordPath() string { return filepath.Join(l.Root, RecordFile) }

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// record is the record of the wanted files: one "DIGEST  PATH" line each, the path relative to
// the root (the exports manifest's starts with ../ unless it is inside).
func (l Layout) record(files map[string][]byte) []byte {
	var b strings.Builder
	b.WriteString(recordHeader)
	for _, p := range slices.Sorted(maps.Keys(files)) {
		rel, err := filepath.Rel(l.Root, p)
		if err != nil {
			rel = p
		}
		fmt.Fprintf(&b, "%s  %s\n", digest(files[p]), filepath.ToSlash(rel))
	}
	return []byte(b.String())
}

// rawRecord is the record on disk, nil when it cannot be read.
func (l Layout) rawRecord() []byte {
	b, _ := os.ReadFile(l.recordPath())
	return b
}

// readRecord reads the record: digests by path; false when there is none.
func (l Layout) readRecord() (map[string]string, bool, error) {
	p := l.recordPath()
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > 16<<20 {
		return nil, false, fmt.Errorf("%s is %s of %d bytes, not generate's record: remove it", p, kind(fi), fi.Size())
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, false, err
	}
	rec := map[string]string{}
	for i, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		d, rel, ok := strings.Cut(line, "  ")
		if !ok || len(d) != sha256.Size*2 || rel == "" {
			return nil, false, fmt.Errorf("%s:%d: not a line of generate's record (DIGEST  PATH): remove the file, and delete stale generated files by hand", p, i+1)
		}
		rec[filepath.Join(l.Root, filepath.FromSlash(rel))] = d
	}
	return rec, true, nil
}

// markedFiles are the files below the root and the exports manifest that start with the marker
// but are not wanted: what generate deleted before it kept a record.
func (l Layout) markedFiles(want map[string][]byte) ([]string, error) {
	var out []string
	consider := func(p string) error {
		if _, ok := want[p]; ok {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		head := make([]byte, len(Marker))
		if n, _ := io.ReadFull(f, head); n == len(head) && generated(head) {
			out = append(out, p)
		}
		return nil
	}
	if _, err := os.Stat(l.Root); err == nil {
		err := filepath.WalkDir(l.Root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() || !manifests.IsManifest(p) {
				return err
			}
			return consider(p)
		})
		if err != nil {
			return nil, err
		}
	}
	for _, p := range []string{l.Exports, l.RBAC} {
		if p == "" {
			continue
		}
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() {
			if err := consider(p); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func generated(b []byte) bool { return bytes.HasPrefix(b, []byte(Marker)) }
