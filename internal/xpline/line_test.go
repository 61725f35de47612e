package xpline

import (
	"testing"

	xv1 "github.com/crossplane/crossplane/apis/v2/apiextensions/v1"
	xv2 "github.com/crossplane/crossplane/apis/v2/apiextensions/v2"
	"github.com/google/go-cmp/cmp"
)

// TestLinesAreCrossplanes keeps each line's XRD apiVersion that of Crossplane's own types.
func TestLinesAreCrossplanes(t *testing.T) {
	for _, c := range []struct {
		l    Line
		want string
	}{{V1, xv1.SchemeGroupVersion.String()}, {V2, xv2.SchemeGroupVersion.String()}} {
		if c.l.XRDAPIVersion != c.want {
			t.Errorf("line %s: XRD apiVersion %s, want %s", c.l.Name, c.l.XRDAPIVersion, c.want)
		}
		got, ok := OfXRD(c.want)
		if !ok || got.Name != c.l.Name {
			t.Errorf("OfXRD(%s) = %s, %v; want %s", c.want, got.Name, ok, c.l.Name)
		}
		if n, ok := Named(c.l.Name); !ok || n.XRDAPIVersion != c.want {
			t.Errorf("Named(%s) = %s, %v", c.l.Name, n.XRDAPIVersion, ok)
		}
	}
	if diff := cmp.Diff([]string{"v1", "v2"}, Names()); diff != "" {
		t.Errorf("Names() (-want +got):\n%s", diff)
	}
	if d, ok := Named(Default.Name); !ok || d != Default {
		t.Errorf("the default line %s is not one of the lines", Default.Name)
	}
	if _, ok := Named("v3"); ok {
		t.Error("Named(v3): want no line")
	}
	if V2.ClaimSpecProperties() != nil || V1.ClaimSpecProperties() == nil {
		t.Error("only v1 has claims")
	}
}

// TestControlPlaneLines: a Crossplane v2 control plane serves the XRDs of both lines and records
// namespaces in resourceRefs; a 1.x one serves its own XRDs only and records none.
func TestControlPlaneLines(t *testing.T) {
	for _, c := range []struct {
		control, api Line
		serves       bool
	}{{V1, V1, true}, {V1, V2, false}, {V2, V1, true}, {V2, V2, true}} {
		if got := c.control.Serves(c.api); got != c.serves {
			t.Errorf("a %s control plane serves %s XRDs: %t, want %t", c.control.Name, c.api.Name, got, c.serves)
		}
	}
	if V1.NamespacedRefs || !V2.NamespacedRefs {
		t.Error("only v2 records namespaces in a composite's resourceRefs")
	}
}
