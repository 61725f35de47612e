package livecheck

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// An Instance is an existing object of an API: its composite. On Crossplane v1 the composite of a
// claim is cluster-scoped and carries the claim's spec (Crossplane copies it there on every claim
// reconcile) and spec.claimRef; a composite is what Crossplane composes from, so one list of
// composites says everything the evaluation needs, at half the bytes of composites and claims.
// On v2 the composite is what app developers create.
type Instance struct {
	// Name is how the instance's owner knows it: namespace/name of its claim (v1) or of the
	// composite (v2), the composite's name for a cluster-scoped one without a claim.
	Name string
	// Composition is the Composition it selects, "" for none yet (the API's default applies).
	Composition string
	// Object is the composite as read.
	Object map[string]any
}

// InstanceOf reads an existing composite of an API of line l.
func InstanceOf(l xpline.Line, u map[string]any) Instance {
	o := &unstructured.Unstructured{Object: u}
	in := Instance{Name: o.GetName(), Object: u}
	if ns := o.GetNamespace(); ns != "" {
		in.Name = ns + "/" + in.Name
	}
	ref := []string{"spec", "crossplane", "compositionRef", "name"}
	if l.Claims {
		ref = []string{"spec", "compositionRef", "name"}
		ns, _, _ := unstructured.NestedString(u, "spec", "claimRef", "namespace")
		name, _, _ := unstructured.NestedString(u, "spec", "claimRef", "name")
		if ns != "" && name != "" {
			in.Name = ns + "/" + name
		}
	}
	in.Composition, _, _ = unstructured.NestedString(u, ref...)
	return in
}

// compositionRefPath is the field path of the composition reference on the line's composites.
func compositionRefPath(l xpline.Line) string {
	if l.Claims {
		return "spec.compositionRef.name"
	}
	return "spec.crossplane.compositionRef.name"
}
