package semantic

import (
	"testing"

	"sigs.k8s.io/yaml"
)

func TestDiff(t *testing.T) {
	base := `
spec:
  versions:
  - schema:
      openAPIV3Schema:
        supported: [{plans: [a]}]
        properties:
          plan:
            x-kubernetes-validations:
            - rule: "!(self.contains('nano') && oldSelf.contains('big')) && self != 'x'"
  pipeline:
  - input:
      resources:
      - patches:
        - {fromFieldPath: spec.a, toFieldPath: spec.x}
        - {fromFieldPath: spec.b, toFieldPath: spec.y}
`
	cases := map[string]struct {
		other string
		equal bool
	}{
		"Same": {base, true},
		"CELSpacingAndFolding": {`
spec:
  versions:
  - schema:
      openAPIV3Schema:
        properties:
          plan:
            x-kubernetes-validations:
            - rule: "!(self.contains('nano') &&   oldSelf.contains('big'))&&
                self != 'x'"
  pipeline:
  - input:
      resources:
      - patches:
        - {fromFieldPath: spec.b, toFieldPath: spec.y}
        - {fromFieldPath: spec.a, toFieldPath: spec.x}
`, true},
		"CELChanged": {`
spec:
  versions:
  - schema:
      openAPIV3Schema:
        properties:
          plan:
            x-kubernetes-validations:
            - rule: "!(self.contains('nano') && oldSelf.contains('small')) && self != 'x'"
  pipeline:
  - input:
      resources:
      - patches:
        - {fromFieldPath: spec.a, toFieldPath: spec.x}
        - {fromFieldPath: spec.b, toFieldPath: spec.y}
`, false},
		"PatchChanged": {`
spec:
  versions:
  - schema:
      openAPIV3Schema:
        properties:
          plan:
            x-kubernetes-validations:
            - rule: "!(self.contains('nano') && oldSelf.contains('big')) && self != 'x'"
  pipeline:
  - input:
      resources:
      - patches:
        - {fromFieldPath: spec.a, toFieldPath: spec.x}
        - {fromFieldPath: spec.c, toFieldPath: spec.y}
`, false},
	}
	var a any
	if err := yaml.Unmarshal([]byte(base), &a); err != nil {
		t.Fatal(err)
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var b any
			if err := yaml.Unmarshal([]byte(tc.other), &b); err != nil {
				t.Fatal(err)
			}
			d, err := Diff(a, b)
			if err != nil {
				t.Fatal(err)
			}
			if (d == "") != tc.equal {
				t.Errorf("equal: want %v, diff:\n%s", tc.equal, d)
			}
		})
	}
}

func TestNestedPatchOrderMatters(t *testing.T) {
	var a any
	if err := yaml.Unmarshal([]byte(`{patches: [{toFieldPath: spec.x.y}, {toFieldPath: spec.x}]}`), &a); err != nil {
		t.Fatal(err)
	}
	if _, err := Normalize(a); err == nil {
		t.Error("want an error: a patch of spec.x after one of spec.x.y depends on their order")
	}
}

// TestCanonicalCEL moved here with the CEL normalisation internal/compat used to keep (normalizeCEL):
// the same cases hold for the one normaliser left.
func TestCanonicalCEL(t *testing.T) {
	cases := map[string]struct {
		a, b string
		same bool
	}{
		"RewrappedIsSame":           {"!(self.contains('nano') && oldSelf.contains('medium'))&&\n  !(x)", "!(self.contains('nano') && oldSelf.contains('medium')) && !(x)", true},
		"WhitespaceInStringsCounts": {"self == 'a b'", "self == 'a  b'", false},
		"WordsStaySeparate":         {"x in y", "xin y", false},
		"DifferentIsDifferent":      {"self >= 0", "self >= 10", false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := CanonicalCEL(tc.a) == CanonicalCEL(tc.b); got != tc.same {
				t.Errorf("CanonicalCEL(%q) == CanonicalCEL(%q): got %t, want %t (%q, %q)", tc.a, tc.b, got, tc.same, CanonicalCEL(tc.a), CanonicalCEL(tc.b))
			}
		})
	}
}
