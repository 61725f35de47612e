package v1alpha1_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/internal/bindcrds"
)

// TestCRDMirrorsKlutchBind proves the Go type mirrors klutch-bind's APIServiceExportTemplate: the CRD
// controller-gen generates from it (make generate writes test/crds/) equals the CRD klutch-bind
// ships (vendored in internal/bindcrds, which proves it equal to klutch-bind's source), field by
// field, descriptions included. Only the controller-gen version annotation differs.
func TestCRDMirrorsKlutchBind(t *testing.T) {
	const name = "example-backend.klutch.anynines.com_apiserviceexporttemplates.yaml"
	ours := load(t, filepath.Join("..", "..", "..", "test", "crds", name))
	ref := map[string]any{}
	if err := yaml.Unmarshal(bindcrds.KlutchBindCRD, &ref); err != nil {
		t.Fatal(err)
	}
	for _, o := range []map[string]any{ours, ref} {
		delete(o["metadata"].(map[string]any), "annotations")
	}
	if diff := cmp.Diff(ref, ours); diff != "" {
		t.Errorf("generated CRD differs from klutch-bind's (-klutch-bind +ours):\n%s", diff)
	}
}

func load(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}
