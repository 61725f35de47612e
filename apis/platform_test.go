package apis

import (
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// TestPlatformPackageContent guards the platform Configuration's content: make xpkg and the
// end-to-end tests stage apis/*.yaml into it, and a Configuration may hold only XRDs and
// Compositions (Crossplane's package linter). Schemas that only the CLI reads (the overlay's, for
// dataservice explain) live under apis/schemas/.
func TestPlatformPackageContent(t *testing.T) {
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no apis/*.yaml: %v", err)
	}
	allowed := map[string]bool{"CompositeResourceDefinition": true, "Composition": true}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(b, &u.Object); err != nil {
			t.Fatalf("apis/%s: %v", f, err)
		}
		if !allowed[u.GetKind()] || u.GroupVersionKind().Group != "apiextensions.crossplane.io" {
			t.Errorf("apis/%s is a %s %s: the platform Configuration stages every apis/*.yaml and may hold only XRDs and Compositions; move it under apis/schemas/", f, u.GetAPIVersion(), u.GetKind())
		}
	}
}
