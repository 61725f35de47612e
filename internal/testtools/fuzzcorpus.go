package testtools

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// FuzzSeed is one input of a fuzz target's seed corpus: the file it is kept in below
// testdata/fuzz/<target>, and the target's arguments ([]byte or string).
type FuzzSeed struct {
	Name string
	Args []any
}

// UpdateFuzzCorpusEnv names the environment variable that makes CheckFuzzCorpus write the corpus
// instead of failing on a stale one.
const UpdateFuzzCorpusEnv = "UPDATE_FUZZ_CORPUS"

// CheckFuzzCorpus makes sure testdata/fuzz/<target> of the calling package holds every seed, in
// the format `go test` reads, so that a plain `go test` runs the target on each of them and a
// fuzzing run starts from them. A missing or stale seed fails the test, which says how to write
// the corpus (UPDATE_FUZZ_CORPUS=1). Other files there (inputs the fuzzer found) are left alone.
func CheckFuzzCorpus(t *testing.T, target string, seeds []FuzzSeed) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", target)
	update := os.Getenv(UpdateFuzzCorpusEnv) != ""
	for _, s := range seeds {
		want, err := encodeFuzzSeed(s.Args)
		if err != nil {
			t.Fatalf("seed %s: %v", s.Name, err)
		}
		path := filepath.Join(dir, s.Name)
		got, err := os.ReadFile(path)
		if err == nil && bytes.Equal(got, want) {
			continue
		}
		if !update {
			t.Errorf("%s is missing or stale: run %s again with %s=1 and commit testdata/fuzz", path, t.Name(), UpdateFuzzCorpusEnv)
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
	}
}

// encodeFuzzSeed writes arguments the way `go test -fuzz` stores corpus files ("go test fuzz v1").
func encodeFuzzSeed(args []any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", v)
		case string:
			fmt.Fprintf(&b, "string(%q)\n", v)
		default:
			return nil, fmt.Errorf("cannot encode a %T: only []byte and string arguments are supported", a)
		}
	}
	return b.Bytes(), nil
}
