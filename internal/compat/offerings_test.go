package compat

import (
	"testing"
)

func TestNextVersion(t *testing.T) {
	for in, want := range map[string]string{"v1": "v2", "v1beta1": "v1beta2", "v9": "v10", "stable": "stable2"} {
		if got := nextVersion(in); got != want {
			t.Errorf("nextVersion(%q) = %q, want %q", in, got, want)
		}
	}
}
