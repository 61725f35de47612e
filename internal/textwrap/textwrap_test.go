package textwrap

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWrap(t *testing.T) {
	cases := map[string]struct {
		s, first, rest string
		width          int
		want           string
	}{
		"Short":        {s: "a b c", first: "  ", rest: "    ", width: 20, want: "  a b c\n"},
		"Wrapped":      {s: "aaa bbb ccc", first: "", rest: "  ", width: 7, want: "aaa bbb\n  ccc\n"},
		"LongWordKept": {s: "x averyveryverylongword y", first: "", rest: "", width: 5, want: "x\naveryveryverylongword\ny\n"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Wrap(tc.s, tc.first, tc.rest, tc.width)); diff != "" {
				t.Errorf("Wrap(): -want, +got:\n%s", diff)
			}
		})
	}
}
