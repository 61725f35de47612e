package compat

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSimilar(t *testing.T) {
	cases := map[string]struct {
		a, b string
		want bool
	}{
		"CaseOnly":          {a: "maxConnections", b: "maxconnections", want: true},
		"KebabCase":         {a: "maxConnections", b: "max-connections", want: true},
		"SnakeCase":         {a: "max_connections", b: "maxConnections", want: true},
		"Typo":              {a: "workMem", b: "workMen", want: true},
		"Unrelated":         {a: "workMem", b: "tempFileLimit", want: false},
		"ShortNamesDiffer":  {a: "ssl", b: "tls", want: false},
		"SameNameIsNoHint":  {a: "plan", b: "plan", want: false},
		"TwoEditsLongNames": {a: "effectiveCacheSize", b: "effectiveCachSizes", want: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := similar(tc.a, tc.b); got != tc.want {
				t.Errorf("similar(%q, %q): want %v, got %v", tc.a, tc.b, tc.want, got)
			}
		})
	}
}

func TestRenameHints(t *testing.T) {
	removed := Change{API: "x", Path: "spec.parameters.maxConnections", Kind: FieldRemoved, Breaking: true, Reason: "field is removed"}
	added := Change{API: "x", Path: "spec.parameters.maxconnections", Kind: FieldAdded, Reason: "new optional field"}
	other := Change{API: "x", Path: "spec.parameters.workMem", Kind: FieldAdded, Reason: "new optional field"}
	elsewhere := Change{API: "x", Path: "spec.maxconnections", Kind: FieldAdded, Reason: "new optional field"}
	got := renameHints([]Change{removed, added, other, elsewhere})
	want := []Change{{
		API: "x", Path: "spec.parameters.maxConnections", Kind: PossibleRename, Breaking: true,
		Reason: "field is removed beside spec.parameters.maxconnections (equal but for case, '_' or '-'), a possible rename: claims setting maxConnections lose the value, the backend gets nothing under its key; " +
			"to rename without breaking them keep maxConnections beside maxconnections (say in its description it is deprecated) until no claim sets it",
	}, other, elsewhere}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("renameHints(): -want, +got:\n%s", diff)
	}
}
