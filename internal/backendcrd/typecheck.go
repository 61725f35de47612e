package backendcrd

import (
	"fmt"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The type of what each patch writes, over every composite, against the type of the field it
// writes: a mismatch names the convert transform (or the declaration) that fixes it, and a
// transform P&T would fail on is reported at the transform.

// fits says whether a value of type vt may be written where f leads.
func fits(vt string, f found) bool {
	switch {
	case f.open || f.typ == typeAny || vt == typeAny:
		return true
	case f.typ == typeIntOrString:
		return vt == typeString || vt == typeInteger
	case f.typ == typeNumber:
		return vt == typeNumber || vt == typeInteger
	}
	return vt == f.typ
}

// convertHint says how a value of type vt becomes one of type tt: the transform to add, and the
// type to declare a catalog value of.
func convertHint(p *Patch, vt, tt string, quantities bool) string {
	var to string
	switch {
	case tt == typeInteger && (vt == typeString || vt == typeNumber || vt == typeBoolean):
		to = "int64"
	case tt == typeNumber && (vt == typeString || vt == typeBoolean):
		to = "float64"
	case tt == typeBoolean && (vt == typeString || vt == typeInteger || vt == typeNumber):
		to = "bool"
	case (tt == typeString || tt == typeIntOrString) && (vt == typeInteger || vt == typeNumber || vt == typeBoolean):
		to = "string"
	}
	var hints []string
	if p.Declared != nil && (tt == typeInteger || tt == typeBoolean || tt == typeString || tt == typeIntOrString) {
		want := tt
		if tt == typeIntOrString {
			want = typeString
		}
		hints = append(hints, fmt.Sprintf("declare the value type: %s at %s", want, p.Declared))
	}
	if to != "" {
		format := ""
		if to == "float64" && quantities {
			format = ", format: quantity"
		}
		hints = append(hints, fmt.Sprintf("add transforms: [{type: convert, convert: {toType: %s%s}}]", to, format))
	}
	if len(hints) == 0 {
		return "map a value of that type"
	}
	return strings.Join(hints, ", or ")
}

// checkTypes reports the patches whose values do not fit their targets, and the patches P&T
// would fail on, over the composed objects.
func (c *checker) checkTypes(objs []composed) {
	for i := range c.r.Patches {
		p := &c.r.Patches[i]
		if !fromComposite(p.Patch) || p.Patch.ToFieldPath == nil {
			continue
		}
		segs, err := fieldpath.Parse(*p.Patch.ToFieldPath)
		if err != nil || c.badPath[i] {
			continue
		}
		var failed *patchValue
		var types []string
		quantities := true
		for _, o := range objs {
			pv := o.values[i]
			if pv.err != nil {
				failed = &pv
				break
			}
			if !pv.ok {
				continue
			}
			if !slices.Contains(types, pv.v.typ) {
				types = append(types, pv.v.typ)
			}
			if s, ok := pv.v.v.(string); !pv.v.known || !ok || !isQuantity(s) {
				quantities = false
			}
		}
		if failed != nil {
			at := p.Path
			if failed.transform >= 0 {
				at = p.Path.Child("transforms").Index(failed.transform)
			}
			c.errs = append(c.errs, field.Invalid(at, *p.Patch.ToFieldPath, "function-patch-and-transform would fail on it at every reconcile: "+failed.err.Error()))
			c.silence(segs)
			continue
		}
		t, rel := c.inner(segs, false)
		if t == nil {
			continue
		}
		f := lookup(t.schema, rel)
		for _, vt := range types {
			if fits(vt, f) {
				continue
			}
			what := article(vt)
			if p.Source != "" {
				what += " (" + p.Source + ")"
			}
			c.errs = append(c.errs, field.Invalid(p.patchPath(), *p.Patch.ToFieldPath, fmt.Sprintf("%s mapped onto %s, %s in %s: %s",
				what, written(t.prefix, rel), article(f.typ), t.name(), convertHint(p, vt, f.typ, quantities))))
			c.silence(segs)
			break
		}
	}
}

// isQuantity says whether s is a Kubernetes quantity, e.g. 4Gi or 500m.
func isQuantity(s string) bool {
	_, err := resource.ParseQuantity(s)
	return err == nil
}
