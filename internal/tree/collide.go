package tree

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
)

// reserved are the names in the package root that generate or build give a meaning of their own:
// a DataService named after one would put its folder where the meta, the record or the examples
// root is (a DataService named crossplane.yaml made generate stop half-way, its meta file where its
// folder had to be).
var reserved = map[string]string{
	"crossplane.yaml": "the package meta",
	RecordFile:        "generate's record of what it wrote",
	"examples":        "the examples root build reads (never part of the package)",
}

// collisions refuses a layout in which one file would be the folder of another, or a DataService's
// folder a reserved name of the root, before anything is written. from says which DataService
// writes each file ("" for the files of the package as a whole).
func collisions(files map[string][]byte, from map[string]string, l Layout) error {
	root := filepath.Clean(l.Root)
	var errs []error
	for _, p := range slices.Sorted(maps.Keys(files)) {
		who := from[p]
		if who == "" {
			continue
		}
		// Every folder above the file, up to the root: none may be a file itself.
		for dir := filepath.Dir(p); dir != root && dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
			if filepath.Dir(dir) == root {
				if what, ok := reserved[filepath.Base(dir)]; ok {
					errs = append(errs, fmt.Errorf("%s writes %s, but %s in the package root is %s: rename the DataService; nothing was written", who, p, filepath.Base(dir), what))
					break
				}
			}
			if _, ok := files[dir]; ok {
				errs = append(errs, fmt.Errorf("%s writes %s, but %s is a file generate writes too: rename the DataService or choose other paths; nothing was written", who, p, dir))
				break
			}
		}
	}
	return errors.Join(errs...)
}
