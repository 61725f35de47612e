package testtools

import (
	"os"
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
