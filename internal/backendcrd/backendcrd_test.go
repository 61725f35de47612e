package backendcrd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// testSet reads the CRDs of testdata.
func testSet(t *testing.T) *Set {
	t.Helper()
	s, err := Read("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestReadFolderFileAndList(t *testing.T) {
	s := testSet(t)
	if s.Len() != 2 {
		t.Fatalf("read %d CRDs from testdata, want 2 (Widget, and Gadget of a List; the ConfigMap skipped)", s.Len())
	}
	w := s.Lookup(schema.GroupKind{Group: "example.org", Kind: "Widget"})
	if w == nil || w.Where != filepath.Join("testdata", "widgets.yaml") {
		t.Fatalf("Widget: %+v", w)
	}
	g := s.Lookup(schema.GroupKind{Group: "example.org", Kind: "Gadget"})
	if g == nil || !strings.Contains(g.Where, "items[0]") {
		t.Fatalf("Gadget of the List: %+v", g)
	}
	if got := s.Scopes()[g.Kind()]; got != extv1.ClusterScoped {
		t.Errorf("scope of Gadget = %q", got)
	}
	if got := s.Plurals()[w.Kind()]; got != "widgets" {
		t.Errorf("plural of Widget = %q", got)
	}
	if w.StorageVersion().Name != "v1" || strings.Join(w.Served(), ",") != "v1" {
		t.Errorf("versions of Widget: storage %s, served %v", w.StorageVersion().Name, w.Served())
	}
	again, err := Read(filepath.Join("testdata", "gadgets.yaml"), filepath.Join("testdata", "widgets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if again.Key() != s.Key() {
		t.Error("the same CRDs read in another order have another key")
	}
}

func TestReadRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name  string
		paths []string
		want  string
	}{
		{
			name:  "NoCRD",
			paths: []string{write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")},
			want:  "cm.yaml: no CustomResourceDefinition (apiextensions.k8s.io/v1) found",
		},
		{
			name:  "V1beta1",
			paths: []string{write("old.yaml", "apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\nmetadata: {name: x}\n")},
			want:  "only apiextensions.k8s.io/v1 is read",
		},
		{
			name:  "NoVersions",
			paths: []string{write("empty.yaml", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: xs.example.org}\nspec: {group: example.org, names: {kind: X, plural: xs}}\n")},
			want:  "CustomResourceDefinition xs.example.org has no spec.versions",
		},
		{
			name: "DefinedTwiceDifferently",
			paths: []string{filepath.Join("testdata", "gadgets.yaml"), write("gadget2.yaml", `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.org}
spec:
  group: example.org
  names: {kind: Gadget, plural: gadgets}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true}]
`)},
			want: "defines Gadget.example.org again, differently from testdata/gadgets.yaml (items[0])",
		},
		{
			name:  "BadYAML",
			paths: []string{write("bad.yaml", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec: [\n")},
			want:  "bad.yaml",
		},
		{
			// An operator's CRD comes from a stranger: a large string anchored once and aliased
			// many times is refused before it is decoded (issue 29), by manifests.CRDs' limit.
			name:  "AliasAmplified",
			paths: []string{write("aliased.yaml", aliasedCRD(1<<20, 10))},
			want:  "aliased.yaml: the document expands to 10 MiB (its 9 aliases each repeat what their anchor holds), beyond the 8.0 MiB one CustomResourceDefinition may expand to",
		},
		{
			name:  "Missing",
			paths: []string{filepath.Join(dir, "nope")},
			want:  "no such file or folder",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(tc.paths...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Read(%v) = %v, want an error containing %q", tc.paths, err, tc.want)
			}
		})
	}
}

// aliasedCRD is a CRD whose description of n bytes is anchored once and aliased k-1 times.
func aliasedCRD(n, k int) string {
	var b strings.Builder
	b.WriteString("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: xs.example.org}\n")
	b.WriteString("spec:\n  group: example.org\n  names: {kind: X, plural: xs}\n  scope: Namespaced\n")
	b.WriteString("  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n")
	b.WriteString("        description: &d " + strings.Repeat("x", n) + "\n        properties:\n")
	for i := 1; i < k; i++ {
		fmt.Fprintf(&b, "          f%d: {type: string, description: *d}\n", i)
	}
	return b.String()
}
