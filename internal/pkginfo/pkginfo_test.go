package pkginfo

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg"
	"github.com/google/go-cmp/cmp"

	"github.com/function-dataservice/function-dataservice/internal/pkgbuild"
)

func TestDescribe(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"crossplane.yaml": `apiVersion: meta.pkg.crossplane.io/v1
kind: Configuration
metadata:
  name: platform
spec:
  crossplane:
    version: ">=v1.17.0"
  dependsOn:
  - function: xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform
    version: ">=v0.10.7"
  - apiVersion: pkg.crossplane.io/v1
    kind: Provider
    package: xpkg.crossplane.io/crossplane-contrib/provider-nop
    version: ">=v0.4.0"
`,
		"xrd.yaml": `apiVersion: apiextensions.crossplane.io/v1
kind: CompositeResourceDefinition
metadata:
  name: xwidgets.example.org
spec:
  group: example.org
  names: {kind: XWidget, plural: xwidgets}
  versions: [{name: v1, served: true, referenceable: true, schema: {openAPIV3Schema: {type: object}}}]
`,
		"examples/a.yaml": "apiVersion: example.org/v1\nkind: XWidget\nmetadata:\n  name: a\n",
	}
	for p, c := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pkg, err := pkgbuild.Build(context.Background(), pkgbuild.Source{Root: root}, pkgbuild.Configuration, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Describe(context.Background(), pkg.Image)
	if err != nil {
		t.Fatal(err)
	}
	wantMeta := &Object{APIVersion: "meta.pkg.crossplane.io/v1", Kind: "Configuration", Name: "platform", Crossplane: ">=v1.17.0",
		DependsOn: []string{"function xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform >=v0.10.7", "provider xpkg.crossplane.io/crossplane-contrib/provider-nop >=v0.4.0"}}
	if diff := cmp.Diff(wantMeta, got.Meta); diff != "" {
		t.Errorf("meta (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Object{{APIVersion: "apiextensions.crossplane.io/v1", Kind: "CompositeResourceDefinition", Name: "xwidgets.example.org"}}, got.Objects); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Object{{APIVersion: "example.org/v1", Kind: "XWidget", Name: "a"}}, got.Examples); diff != "" {
		t.Errorf("examples (-want +got):\n%s", diff)
	}
	if got.Digest != pkg.Digest.String() || got.PushDigest != pkg.PushDigest.String() {
		t.Errorf("digests %s, %s; want %s, %s", got.Digest, got.PushDigest, pkg.Digest, pkg.PushDigest)
	}
	var annotations []string
	for _, l := range got.Layers {
		annotations = append(annotations, l.Annotation)
	}
	if diff := cmp.Diff([]string{xpkg.PackageAnnotation, xpkg.ExamplesAnnotation}, annotations); diff != "" {
		t.Errorf("layer annotations (-want +got):\n%s", diff)
	}
}
