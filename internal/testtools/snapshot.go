package testtools

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// Snapshot reads every file below dir (hidden temporary files included), by path relative to dir:
// what tests of atomic writes compare before and after a failed or interrupted write.
func Snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[rel] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
