package testtools

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/manifests"
	"github.com/function-dataservice/function-dataservice/internal/overlay"
)

// An Example is a DataService the bundled examples make: one a file holds, or one an overlay makes
// of another example.
type Example struct {
	// Name says where it comes from: the file below examples/ (klutch/mongodb.yaml), and for an
	// overlay the base's file too (overlays/acme-documentdb.yaml on klutch/mongodb.yaml).
	Name string
	// Files are the files the CLI takes to make it (-f each), the base's first.
	Files []string
	// DataService is what the files make.
	DataService *v1alpha1.DataService
}

// Examples finds every DataService under root (the examples folder), in every folder, so that a
// new example joins every test that walks them without an edit; each DataServiceOverlay is applied
// to every example DataService of its base's name. Files that hold neither (a Composition for
// crossplane render, RBAC) are skipped.
func Examples(t testing.TB, root string) []Example {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []Example
	type overlayAt struct {
		path string
		o    *v1alpha1.DataServiceOverlay
	}
	var overlays []overlayAt
	for _, p := range paths {
		docs, err := manifests.Read(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		for _, d := range docs {
			tm, err := d.TypeMeta()
			if err != nil || tm.APIVersion != v1alpha1.GroupVersion.String() {
				continue
			}
			switch tm.Kind {
			case v1alpha1.DataServiceKind:
				ds, err := v1alpha1.Decode(d.Data)
				if err != nil {
					t.Fatalf("%s: %v", d.Where(), err)
				}
				out = append(out, Example{Name: filepath.ToSlash(rel), Files: []string{p}, DataService: ds})
			case v1alpha1.DataServiceOverlayKind:
				o := &v1alpha1.DataServiceOverlay{}
				if err := yaml.UnmarshalStrict(d.Data, o); err != nil {
					t.Fatalf("%s: %v", d.Where(), err)
				}
				overlays = append(overlays, overlayAt{path: p, o: o})
			}
		}
	}
	bases := len(out)
	for _, ov := range overlays {
		found := false
		rel, _ := filepath.Rel(root, ov.path)
		for _, b := range out[:bases] {
			if b.DataService.Name != ov.o.Spec.Base {
				continue
			}
			found = true
			ds, _, err := overlay.Apply(b.DataService, ov.o)
			if err != nil {
				t.Fatalf("%s on %s: %v", ov.path, b.Name, err)
			}
			out = append(out, Example{Name: fmt.Sprintf("%s on %s", filepath.ToSlash(rel), b.Name), Files: []string{b.Files[0], ov.path}, DataService: ds})
		}
		if !found {
			t.Fatalf("%s: no example DataService named %s to overlay", ov.path, ov.o.Spec.Base)
		}
	}
	return out
}
