package generator

import (
	"testing"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// TestIsServiceImmutableRule recognises the rule the generator writes on spec.service however it is
// spaced, and only with its message.
func TestIsServiceImmutableRule(t *testing.T) {
	cases := map[string]struct {
		r    extv1.ValidationRule
		want bool
	}{
		"Generated":    {r: serviceImmutableRule(), want: true},
		"Spaced":       {r: extv1.ValidationRule{Rule: "self==\n oldSelf", Message: "Service is an immutable field"}, want: true},
		"OtherMessage": {r: extv1.ValidationRule{Rule: "self == oldSelf", Message: "Service is fixed"}},
		"OtherRule":    {r: extv1.ValidationRule{Rule: "oldSelf == self", Message: "Service is an immutable field"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := IsServiceImmutableRule(tc.r); got != tc.want {
				t.Errorf("IsServiceImmutableRule(%q, %q) = %v, want %v", tc.r.Rule, tc.r.Message, got, tc.want)
			}
		})
	}
}
