package compat

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/function-dataservice/function-dataservice/internal/livecheck"
)

// Kinds of changes of what a plan (or service) gives the composed resources.
const (
	// PlanValueChanged: a value a plan maps to changed (its catalog: memory 4Gi → 8Gi): every
	// instance on the plan is changed in place on its next reconcile.
	PlanValueChanged Kind = "PlanValueChanged"
	// PlanValueShrunk: a plan maps a field that cannot shrink (a storage size) to a smaller value:
	// the backend refuses it, or loses data.
	PlanValueShrunk Kind = "PlanValueShrunk"
)

// planValues compares what each plan (or service, or other value a Composition maps) gives the
// composed resources, as the Compositions of both releases map it (livecheck reads the maps, the
// same reading the function's live check does).
func (c *comparison) planValues(o, n API) error {
	objs := func(os []Object) []*unstructured.Unstructured {
		out := make([]*unstructured.Unstructured, len(os))
		for i, o := range os {
			out[i] = o.Object
		}
		return out
	}
	vs, err := livecheck.CompositionValueChanges(objs(o.Compositions), objs(n.Compositions))
	if err != nil {
		return err
	}
	for _, v := range vs {
		path := fmt.Sprintf("composition[%s].%s", v.Composition, v.Field)
		if v.Shrink {
			c.breaking(path, PlanValueShrunk, "%s: every existing instance holding it would be shrunk on its next reconcile; keep the value, or grow it", v.Describe())
			continue
		}
		c.safe(path, PlanValueChanged, "%s: resizes every existing instance holding it, in place, on its next reconcile", v.Describe())
	}
	return nil
}
