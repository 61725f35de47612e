package backendcrd

import (
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func widgetSchema(t *testing.T) *Set {
	t.Helper()
	return testSet(t)
}

func TestLookup(t *testing.T) {
	s := schemaOf(widgetSchema(t).Lookup(schema.GroupKind{Group: "example.org", Kind: "Widget"}).Version("v1"))
	for _, tc := range []struct {
		path string
		typ  string
		open bool
		// at is where the path fails, -1 when it exists; why is why.
		at  int
		why reason
	}{
		{path: "spec.size", typ: typeString, at: -1},
		{path: "spec.replicas", typ: typeInteger, at: -1},
		{path: "spec.storage", typ: typeIntOrString, at: -1},
		{path: "spec.labels[app.kubernetes.io/name]", typ: typeString, at: -1},
		{path: "spec.labels.app", typ: typeString, at: -1},
		{path: "spec.config.mode", typ: typeString, at: -1},
		{path: "spec.config.anything.below", typ: typeAny, open: true, at: -1},
		{path: "spec.containers[0].image", typ: typeString, at: -1},
		{path: "spec.template.metadata.name", typ: typeString, at: -1},
		{path: "spec.template.spec.whatever", typ: typeAny, open: true, at: -1},
		{path: "metadata.labels[crossplane.io/claim-name]", typ: typeString, at: -1},
		{path: "metadata.namespace", typ: typeString, at: -1},
		{path: "apiVersion", typ: typeString, at: -1},
		{path: "status.ready", typ: typeBoolean, at: -1},
		{path: "spec.sise", at: 1, why: noSuchField},
		{path: "spec.containers.image", at: 2, why: fieldOfList},
		{path: "spec.size.small", at: 2, why: fieldOfScalar},
		{path: "spec.size[0]", at: 2, why: indexOfNonList},
		{path: "metadata.nam", at: 1, why: noSuchMetadata},
		{path: "metadata.labels.a.b", at: 3, why: metadataMap},
		{path: "specs.size", at: 0, why: noSuchField},
	} {
		t.Run(tc.path, func(t *testing.T) {
			segs, err := fieldpath.Parse(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			f := lookup(s, segs)
			if f.at != tc.at || f.why != tc.why || (tc.at < 0 && (f.typ != tc.typ || f.open != tc.open)) {
				t.Errorf("lookup(%s) = at %d why %d type %q open %v; want at %d why %d type %q open %v", tc.path, f.at, f.why, f.typ, f.open, tc.at, tc.why, tc.typ, tc.open)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	s := schemaOf(widgetSchema(t).Lookup(schema.GroupKind{Group: "example.org", Kind: "Widget"}).Version("v1"))
	for _, tc := range []struct{ path, want string }{
		{"spec.sise", "spec.size"},
		{"spec.Replicas", "spec.replicas"},
		{"spec.contaners[0].imag", "spec.containers[0].image"},
		{"spec.volume.sizes", "spec.volume.size"},
		{"spec.volum.bogus", "spec.volume"}, // fixed as far as it goes
		{"status.redy", "status.ready"},
		{"metadata.nmae", "metadata.name"},
		{"spec.sizing.whatever.x", ""},
		{"spec.xyzzy", ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			segs, _ := fieldpath.Parse(tc.path)
			f := lookup(s, segs)
			got := ""
			if sg := suggest(s, segs, f); sg != nil {
				got = sg.String()
			}
			if got != tc.want {
				t.Errorf("suggest(%s) = %q, want %q", tc.path, got, tc.want)
			}
		})
	}
}

func TestSuggestMisplaced(t *testing.T) {
	s := schemaOf(widgetSchema(t).Lookup(schema.GroupKind{Group: "example.org", Kind: "Widget"}).Version("v1"))
	// size is a field of spec and of spec.volume: spec.volume.size is found below spec. A name
	// put a level too high is found where it is.
	segs, _ := fieldpath.Parse("spec.image")
	if got := suggest(s, segs, lookup(s, segs)); got.String() != "spec.containers[0].image" {
		t.Errorf("suggest(spec.image) = %q, want spec.containers[0].image", got.String())
	}
}

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{{"storag", "storage", 1}, {"", "abc", 3}, {"kitten", "sitting", 3}, {"nmae", "name", 1}, {"same", "same", 0}} {
		if got := distance(tc.a, tc.b); got != tc.want {
			t.Errorf("distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
