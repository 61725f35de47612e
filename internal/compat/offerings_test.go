package compat

import (
	"testing"
)

func TestNormalizeCEL(t *testing.T) {
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
			if got := normalizeCEL(tc.a) == normalizeCEL(tc.b); got != tc.same {
				t.Errorf("normalizeCEL(%q) == normalizeCEL(%q): got %t, want %t (%q, %q)", tc.a, tc.b, got, tc.same, normalizeCEL(tc.a), normalizeCEL(tc.b))
			}
		})
	}
}

func TestNextVersion(t *testing.T) {
	for in, want := range map[string]string{"v1": "v2", "v1beta1": "v1beta2", "v9": "v10", "stable": "stable2"} {
		if got := nextVersion(in); got != want {
			t.Errorf("nextVersion(%q) = %q, want %q", in, got, want)
		}
	}
}
