// Package reference finds Klutch's hand-written data service APIs (anynines/klutchio), the fixtures
// the fidelity tests compare generated objects with. They are shared beside the project, not copied
// into it, so a clone without them runs every other test: the fidelity tests skip (Skip).
package reference

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// EnvDir names the environment variable that points at the klutchio reference folder.
const EnvDir = "KLUTCH_REFERENCE"

// howToGet says, in one line, where the files come from and where to put them.
const howToGet = "set " + EnvDir + " to a folder holding anynines/klutchio's crossplane-api/, bind/, examples/ and provider-anynines/, or put that folder at ../shared/reference/klutchio beside the clone"

// Dir returns the klutchio reference folder: $KLUTCH_REFERENCE, else ../shared/reference/klutchio
// from the root of this module (the folder of the go.mod above the working directory).
func Dir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		if _, err := os.Stat(d); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvDir, d, err)
		}
		return d, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	d := filepath.Join(filepath.Dir(root), "shared", "reference", "klutchio")
	if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
		return "", errors.New("no klutchio reference files at " + d + ": " + howToGet)
	}
	return d, nil
}

// moduleRoot is the nearest folder at or above the working directory that holds a go.mod: tests run
// in their package's folder.
func moduleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("cannot find the klutchio reference files: no go.mod at or above " + wd + ": " + howToGet)
		}
	}
}

// Path returns a file below the reference folder.
func Path(rel ...string) (string, error) {
	d, err := Dir()
	if err != nil {
		return "", err
	}
	return filepath.Join(append([]string{d}, rel...)...), nil
}

// PathOrSkip returns a file below the reference folder (the folder itself without rel), or skips
// the test with one line naming what is missing and how to get it. A $KLUTCH_REFERENCE that does not
// exist fails the test instead: whoever set it wants the fidelity tests to run.
func PathOrSkip(t testing.TB, rel ...string) string {
	t.Helper()
	p, err := Path(rel...)
	switch {
	case err != nil && os.Getenv(EnvDir) != "":
		t.Fatal(err)
	case err != nil:
		t.Skip("needs Klutch's reference APIs: " + err.Error())
	}
	return p
}
