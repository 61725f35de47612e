package e2e

import (
	"strings"
	"testing"
)

// TestSubsetDiff proves the comparison the control plane test judges live objects with: what the
// API server adds is no difference, anything changed, missing or of another length is.
func TestSubsetDiff(t *testing.T) {
	cases := map[string]struct {
		want, got any
		diff      string // "" for none, else a part of the joined differences
	}{
		"EqualShouldMatch":          {map[string]any{"a": "x"}, map[string]any{"a": "x"}, ""},
		"DefaultedKeysShouldMatch":  {map[string]any{"a": "x"}, map[string]any{"a": "x", "served": true}, ""},
		"NestedListItemDefaulted":   {map[string]any{"l": []any{map[string]any{"n": "v1"}}}, map[string]any{"l": []any{map[string]any{"n": "v1", "served": true}}}, ""},
		"ChangedValueShouldDiffer":  {map[string]any{"a": map[string]any{"b": 1.0}}, map[string]any{"a": map[string]any{"b": 2.0}}, "spec.a.b: got 2, want 1"},
		"MissingKeyShouldDiffer":    {map[string]any{"a": "x", "b": "y"}, map[string]any{"a": "x"}, `spec.b: missing, want "y"`},
		"ShorterListShouldDiffer":   {map[string]any{"l": []any{"a", "b"}}, map[string]any{"l": []any{"a"}}, `spec.l: got ["a"], want ["a","b"]`},
		"ReorderedListShouldDiffer": {[]any{"a", "b"}, []any{"b", "a"}, `spec[0]: got "b", want "a"`},
		"TypeChangeShouldDiffer":    {map[string]any{"a": map[string]any{}}, map[string]any{"a": "x"}, `spec.a: got "x", want an object`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := strings.Join(subsetDiff(tc.want, tc.got, "spec"), "\n")
			switch {
			case tc.diff == "" && got != "":
				t.Errorf("subsetDiff: %s, want no difference", got)
			case tc.diff != "" && !strings.Contains(got, tc.diff):
				t.Errorf("subsetDiff: %q, want it to contain %q", got, tc.diff)
			}
		})
	}
}
