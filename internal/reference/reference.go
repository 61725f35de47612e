// Package reference finds Klutch's hand-written data service APIs (anynines/klutchio), the fixtures
// the fidelity tests compare generated objects with. They are shared beside the project, not copied
// into it.
package reference

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// EnvDir names the environment variable that points at the klutchio reference folder.
const EnvDir = "KLUTCH_REFERENCE"

// Dir returns the klutchio reference folder: $KLUTCH_REFERENCE, else shared/reference/klutchio in a
// parent of the working directory (../shared from the project root), else /work/shared.
func Dir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		if _, err := os.Stat(d); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvDir, d, err)
		}
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	candidates := []string{}
	for d := wd; ; d = filepath.Dir(d) {
		candidates = append(candidates, filepath.Join(d, "shared", "reference", "klutchio"))
		if filepath.Dir(d) == d {
			break
		}
	}
	candidates = append(candidates, "/work/shared/reference/klutchio")
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && fi.IsDir() {
			return c, nil
		}
	}
	return "", errors.New("cannot find the klutchio reference files: set " + EnvDir + " to the folder holding crossplane-api/, bind/ and examples/ (../shared/reference/klutchio from the project root)")
}

// Path returns a file below the reference folder.
func Path(rel ...string) (string, error) {
	d, err := Dir()
	if err != nil {
		return "", err
	}
	return filepath.Join(append([]string{d}, rel...)...), nil
}
