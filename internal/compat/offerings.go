package compat

import (
	"regexp"
	"slices"
	"strings"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
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
		f, by, order, ok := parseOfferingRule(r.Rule)
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

var (
	refRE = regexp.MustCompile(`^self(?:\.crossplane)?\.compositionRef\.name\s*==\s*'((?:[^'\\]|\\.)*)'$`)
	altRE = regexp.MustCompile(`^self\.([A-Za-z_][A-Za-z0-9_]*)\s*==\s*'((?:[^'\\]|\\.)*)'$`)
)

// parseOfferingRule reads a rule of the offering form; ok is false for any other rule.
func parseOfferingRule(rule string) (field string, by map[string][]string, order []string, ok bool) {
	by = map[string][]string{}
	for _, term := range splitTop(rule, "||") {
		inner, ok := stripParens(term)
		if !ok {
			return "", nil, nil, false
		}
		parts := splitTop(inner, "&&")
		if len(parts) > 2 {
			return "", nil, nil, false
		}
		m := refRE.FindStringSubmatch(strings.TrimSpace(parts[0]))
		if m == nil {
			return "", nil, nil, false
		}
		comp := unquoteCEL(m[1])
		if _, seen := by[comp]; !seen {
			order = append(order, comp)
			by[comp] = nil
		}
		if len(parts) == 1 {
			continue
		}
		alts, ok := stripParens(parts[1])
		if !ok {
			alts = parts[1] // a single comparison needs no parentheses
		}
		for _, alt := range splitTop(alts, "||") {
			a := altRE.FindStringSubmatch(strings.TrimSpace(alt))
			if a == nil || (field != "" && a[1] != field) {
				return "", nil, nil, false
			}
			field = a[1]
			by[comp] = append(by[comp], unquoteCEL(a[2]))
		}
	}
	return field, by, order, field != ""
}

// splitTop splits s at op where it is outside parentheses and string literals.
func splitTop(s, op string) []string {
	var out []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			if ch == '\\' {
				i++
			} else if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == '(':
			depth++
		case ch == ')':
			depth--
		case depth == 0 && strings.HasPrefix(s[i:], op):
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + len(op)
			i += len(op) - 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// stripParens removes the parentheses around s when they enclose all of it.
func stripParens(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '(' || s[len(s)-1] != ')' {
		return s, false
	}
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			if ch == '\\' {
				i++
			} else if ch == quote {
				quote = 0
			}
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == '(':
			depth++
		case ch == ')':
			depth--
			if depth == 0 && i != len(s)-1 {
				return s, false // "(a) && (b)": the first parenthesis closes early
			}
		}
	}
	return strings.TrimSpace(s[1 : len(s)-1]), true
}

func unquoteCEL(s string) string {
	return strings.NewReplacer(`\\`, `\`, `\'`, `'`).Replace(s)
}

// offerings compares, per composition, the values of each offering field a claim may use.
func (c *comparison) offerings(oo, no map[string]*offering, ocs, ncs compositionSet) {
	for _, f := range sortedKeys(oo) {
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
				c.breaking(at, EnumAdded, "%ss%s are limited to %s: claims using another are rejected on their next update", noun, with, quoteAll(na.vals))
			default:
				for _, v := range missing(oa.vals, na.vals) {
					c.breaking(at, rk, "%s %q is no longer offered%s: claims using it are rejected on their next update", noun, v, with)
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
