package testtools

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
)

// ReadDataService reads and decodes the DataService in the file at path, as the CLI does, and fails
// the test with the path when it cannot.
func ReadDataService(t testing.TB, path string) *v1alpha1.DataService {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := v1alpha1.Decode(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return ds
}

// NestedParameters is a parameters schema of leaves string parameters, depth levels deep under
// 60-character names: a generated Composition patches each parameter with its full path, so it
// grows with leaves times depth (1,000 leaves 10 deep: 1.3 MiB), far beyond the spec (27 KiB).
func NestedParameters(leaves, depth int) string {
	ps := make([]string, leaves)
	for i := range ps {
		ps[i] = fmt.Sprintf(`"p%d":{"type":"string"}`, i)
	}
	schema := `{"type":"object","properties":{` + strings.Join(ps, ",") + `}}`
	for i := range depth {
		schema = `{"type":"object","properties":{"` + strings.Repeat(string(rune('a'+i)), 60) + `":` + schema + `}}`
	}
	return schema
}
