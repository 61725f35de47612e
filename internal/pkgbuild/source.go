package pkgbuild

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
func collect(src Source) (*files, error) {
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

	if f.pkg, err = walk(root, ex, root, src.Ignore); err != nil {
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
		if f.ex, err = walk(ex, "", root, src.Ignore); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// walk lists the YAML files below dir, skipping hidden entries, the folder skip and ignored files.
func walk(dir, skip, root string, ignore []string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
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
		if ext := filepath.Ext(p); ext != ".yaml" && ext != ".yml" {
			return nil
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
		out = append(out, p)
		return nil
	})
	// WalkDir's order (lexical within each folder) is the order of Crossplane's builder, which
	// decides the bytes of the package: never sort the full paths instead.
	return out, err
}
