package compat

import (
	"maps"
	"slices"
	"strings"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// offering is what values a spec field (plan, service) takes per composition. With one composition
// the generated XRD says it with an enum; with several, with one CEL rule on spec keyed on the
// composition reference, as Klutch's hand-written XRDs do:
//
//	(self.compositionRef.name == 'a' && (self.plan == 'x' || self.plan == 'y')) || (… == 'b' && …)
type offering struct {
	// byComposition lists the values per composition; a nil list accepts any value. Nil without a
	// rule.
	byComposition map[string][]string
	order         []string
	// enum are the values of the field's enum; nil without one.
	enum []string
}

// allowed is a set of values, or any value.
type allowed struct {
	any  bool
	vals []string
}

// allowed says which values a claim selecting the composition may use; comp "" stands for a
// composition the comparison does not know, which may use what any composition offers.
func (o *offering) allowed(comp string) allowed {
	a := allowed{any: true}
	if o.byComposition != nil {
		a = allowed{}
		for _, c := range o.order {
			if comp != "" && c != comp {
				continue
			}
			vs := o.byComposition[c]
			if vs == nil {
				a.any = true
			}
			a.vals = append(a.vals, vs...)
		}
	}
	if o.enum != nil {
		if a.any {
			return allowed{vals: o.enum}
		}
		a.vals = slices.DeleteFunc(a.vals, func(v string) bool { return !slices.Contains(o.enum, v) })
	}
	return a
}

// extractOfferings takes the offering rules off the spec of both schemas, and the enums of the fields
// they key, so that the generic schema comparison does not see them; they are compared by offerings.
func extractOfferings(o, n *extv1.JSONSchemaProps) (map[string]*offering, map[string]*offering) {
	oo, no := takeOfferingRules(o), takeOfferingRules(n)
	for f := range oo {
		if no[f] == nil {
			no[f] = &offering{}
		}
	}
	for f := range no {
		if oo[f] == nil {
			oo[f] = &offering{}
		}
	}
	takeEnums(o, oo)
	takeEnums(n, no)
	return oo, no
}

func takeOfferingRules(s *extv1.JSONSchemaProps) map[string]*offering {
	out := map[string]*offering{}
	spec, ok := s.Properties["spec"]
	if !ok {
		return out
	}
	var keep extv1.ValidationRules
	for _, r := range spec.XValidations {
		f, by, order, ok := generator.ParseOfferingRule(r.Rule)
		if !ok || out[f] != nil {
			keep = append(keep, r)
			continue
		}
		out[f] = &offering{byComposition: by, order: order}
	}
	spec.XValidations = keep
	s.Properties["spec"] = spec
	return out
}

func takeEnums(s *extv1.JSONSchemaProps, offs map[string]*offering) {
	spec, ok := s.Properties["spec"]
	if !ok {
		return
	}
	for f, off := range offs {
		p, ok := spec.Properties[f]
		if !ok || len(p.Enum) == 0 {
			continue
		}
		off.enum = enumValues(p.Enum)
		for i, v := range off.enum {
			off.enum[i] = strings.Trim(v, `"`)
		}
		p.Enum = nil
		spec.Properties[f] = p
	}
	s.Properties["spec"] = spec
}

// offerings compares, per composition, the values of each offering field a claim may use.
func (c *comparison) offerings(oo, no map[string]*offering, ocs, ncs compositionSet) {
	for _, f := range slices.Sorted(maps.Keys(oo)) {
		o, n := oo[f], no[f]
		at := "spec." + f
		rk, ak, noun := enumKinds(at)
		var comps []string
		switch {
		case o.byComposition != nil:
			comps = o.order
		case len(ocs.names()) > 0:
			comps = ocs.names()
		default:
			comps = []string{""}
		}
		keyed := o.byComposition != nil || n.byComposition != nil
		for _, comp := range comps {
			if comp != "" && ncs.complete() && !ncs.has(comp) {
				continue // the composition is gone, reported once as such
			}
			with := ""
			if keyed && comp != "" {
				with = " with composition " + comp
			}
			oa, na := o.allowed(comp), n.allowed(comp)
			switch {
			case na.any && oa.any:
			case na.any:
				c.safe(at, EnumRemoved, "any %s is accepted%s", noun, with)
			case oa.any:
				c.breaking(at, EnumAdded, "%ss%s are limited to %s: "+refusedOnUpdate, noun, with, quoteAll(na.vals))
			default:
				for _, v := range missing(oa.vals, na.vals) {
					c.breaking(at, rk, "%s %q is no longer offered%s: new claims cannot choose it; "+refusedOnUpdate, noun, v, with)
				}
				for _, v := range missing(na.vals, oa.vals) {
					c.safe(at, ak, "new %s %q%s", noun, v, with)
				}
			}
		}
	}
}

func quoteAll(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = `"` + v + `"`
	}
	return strings.Join(q, ", ")
}
