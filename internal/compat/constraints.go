package compat

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/function-dataservice/function-dataservice/internal/semantic"
)

// The comparisons of one schema node's constraints (enum, bounds, patterns, CEL rules, defaults,
// list and map semantics), which schema.go's walk calls on every node both releases have.

// refusedOnUpdate says what a claim holding a value the new schema refuses meets, as measured on
// kube-apiserver v1.34.2 (test/e2e TestLiveChange): an API server that ratchets (Kubernetes 1.30
// and later) accepts its updates that keep the value, and refuses it only to new claims and
// changes; one that does not refuses every update of it.
const refusedOnUpdate = "claims holding such a value keep it and may be updated where the API server ratchets (Kubernetes 1.30 and later), " +
	"and are refused every update where it does not (before 1.30, as app clusters may run); `dataservice check-compat --kubeconfig` names them"

func (c *comparison) enum(at string, o, n []extv1.JSON) {
	ov, nv := enumValues(o), enumValues(n)
	switch {
	case len(ov) == 0 && len(nv) == 0:
		return
	case len(ov) == 0:
		c.breaking(at, EnumAdded, "values are limited to %s: "+refusedOnUpdate, strings.Join(nv, ", "))
		return
	case len(nv) == 0:
		c.safe(at, EnumRemoved, "values are no longer limited to an enum")
		return
	}
	rk, ak, noun := enumKinds(at)
	for _, v := range missing(ov, nv) {
		c.breaking(at, rk, "%s %s is no longer offered: new claims cannot choose it; "+refusedOnUpdate, noun, v)
	}
	for _, v := range missing(nv, ov) {
		c.safe(at, ak, "new %s %s", noun, v)
	}
}

func enumValues(vs []extv1.JSON) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, string(v.Raw))
	}
	return out
}

// limits compares the bounds of values. A bound that rejects values the old one accepted is
// tightened: claims holding such values are refused updates where the API server does not ratchet.
func (c *comparison) limits(at string, o, n *extv1.JSONSchemaProps) {
	bound(c, at, "maximum", o.Maximum, n.Maximum, true)
	bound(c, at, "minimum", o.Minimum, n.Minimum, false)
	bound(c, at, "maxLength", o.MaxLength, n.MaxLength, true)
	bound(c, at, "minLength", o.MinLength, n.MinLength, false)
	bound(c, at, "maxItems", o.MaxItems, n.MaxItems, true)
	bound(c, at, "minItems", o.MinItems, n.MinItems, false)
	bound(c, at, "maxProperties", o.MaxProperties, n.MaxProperties, true)
	bound(c, at, "minProperties", o.MinProperties, n.MinProperties, false)
	if o.Maximum != nil && n.Maximum != nil && *o.Maximum == *n.Maximum && o.ExclusiveMaximum != n.ExclusiveMaximum {
		c.flag(at, "exclusiveMaximum", n.ExclusiveMaximum)
	}
	if o.Minimum != nil && n.Minimum != nil && *o.Minimum == *n.Minimum && o.ExclusiveMinimum != n.ExclusiveMinimum {
		c.flag(at, "exclusiveMinimum", n.ExclusiveMinimum)
	}
	if o.UniqueItems != n.UniqueItems {
		c.flag(at, "uniqueItems", n.UniqueItems)
	}
	if o.Nullable != n.Nullable {
		c.flag(at, "nullable: false", !n.Nullable)
	}
	c.text(at, "pattern", o.Pattern, n.Pattern)
	c.text(at, "format", o.Format, n.Format)
	c.text(at, "multipleOf", fmtPtr(o.MultipleOf), fmtPtr(n.MultipleOf))
}

type number interface{ ~int64 | ~float64 }

// bound compares an upper (maximum, maxLength …) or lower (minimum, minLength …) bound; unset is
// unbounded.
func bound[T number](c *comparison, at, name string, o, n *T, upper bool) {
	switch {
	case o == nil && n == nil:
	case o == nil:
		c.breaking(at, ValidationTightened, "new %s %v: "+refusedOnUpdate, name, *n)
	case n == nil:
		c.safe(at, ValidationLoosened, "%s %v removed", name, *o)
	case *o == *n:
	case (*n < *o) == upper:
		c.breaking(at, ValidationTightened, "%s changes from %v to %v: "+refusedOnUpdate, name, *o, *n)
	default:
		c.safe(at, ValidationLoosened, "%s changes from %v to %v", name, *o, *n)
	}
}

// flag reports a constraint switched on (tightened) or off (loosened).
func (c *comparison) flag(at, name string, on bool) {
	if on {
		c.breaking(at, ValidationTightened, "%s is now enforced: "+refusedOnUpdate, name)
		return
	}
	c.safe(at, ValidationLoosened, "%s is no longer enforced", name)
}

// text compares a constraint given as text (pattern, format): new or changed is tightened, since no
// tool can tell whether a new pattern accepts every value the old one did.
func (c *comparison) text(at, name, o, n string) {
	switch {
	case o == n:
	case o == "":
		c.breaking(at, ValidationTightened, "new %s %s: "+refusedOnUpdate, name, n)
	case n == "":
		c.safe(at, ValidationLoosened, "%s %s removed", name, o)
	default:
		c.breaking(at, ValidationTightened, "%s changes from %s to %s: "+refusedOnUpdate, name, o, n)
	}
}

func fmtPtr(f *float64) string {
	if f == nil {
		return ""
	}
	return fmt.Sprint(*f)
}

// rules compares the CEL rules of a node. A rule is known by its expression, compared as parsed
// (semantic.CanonicalCEL), so that a rule re-wrapped or re-quoted in YAML is the same rule; messages
// quote rules as written. A new expression with the message of a removed one is that rule changed.
// New and changed rules are tightened: no tool can tell whether they accept every claim the old ones
// did.
func (c *comparison) rules(at string, o, n extv1.ValidationRules) {
	// Each rule is parsed once: the keys are in o's and n's order.
	keys := func(rs extv1.ValidationRules) ([]string, map[string]extv1.ValidationRule) {
		ks, by := make([]string, len(rs)), map[string]extv1.ValidationRule{}
		for i, r := range rs {
			ks[i] = semantic.CanonicalCEL(r.Rule)
			by[ks[i]] = r
		}
		return ks, by
	}
	oldKeys, oldBy := keys(o)
	newKeys, newBy := keys(n)
	var added []extv1.ValidationRule
	for i, r := range n {
		or, ok := oldBy[newKeys[i]]
		if !ok {
			added = append(added, r)
			continue
		}
		if or.Message != r.Message || or.MessageExpression != r.MessageExpression || !reflect.DeepEqual(or.Reason, r.Reason) || or.FieldPath != r.FieldPath {
			c.safe(at, RuleMessageChanged, "message of rule %s changes", short(r.Rule))
		}
	}
	var removed []extv1.ValidationRule
	for i, r := range o {
		if _, ok := newBy[oldKeys[i]]; !ok {
			removed = append(removed, r)
		}
	}
	for _, r := range added {
		i := slices.IndexFunc(removed, func(or extv1.ValidationRule) bool {
			return (r.Message != "" && or.Message == r.Message) || (r.MessageExpression != "" && or.MessageExpression == r.MessageExpression)
		})
		if i >= 0 {
			ob, nb := differing(removed[i].Rule, r.Rule)
			c.breaking(at, RuleChanged, "rule %s becomes %s: "+refusedOnUpdate, ob, nb)
			removed = slices.Delete(removed, i, i+1)
			continue
		}
		c.breaking(at, RuleAdded, "new rule %s: "+refusedOnUpdate, short(r.Rule))
	}
	for _, r := range removed {
		c.safe(at, RuleRemoved, "rule %s removed", short(r.Rule))
	}
}

// differing quotes two versions of a rule, each whole.
func differing(o, n string) (string, string) { return short(o), short(n) }

// short quotes a CEL rule for a reason, whole and on one line (the report wraps it, never cuts it).
func short(rule string) string {
	return "`" + strings.Join(strings.Fields(rule), " ") + "`"
}

// defaults compares a field's default. The API server applies defaults when it reads an object, so a
// new or changed default changes existing claims that omit the field, and the composition passes the
// new value on to the backend.
func (c *comparison) defaults(at string, o, n *extv1.JSON) {
	switch {
	case o == nil && n == nil:
	case o == nil:
		c.breaking(at, DefaultChanged, "new default %s: existing claims that omit the field get it when read", n.Raw)
	case n == nil:
		c.safe(at, DefaultRemoved, "default %s removed: claims keep the value stored", o.Raw)
	case string(o.Raw) != string(n.Raw):
		c.breaking(at, DefaultChanged, "default changes from %s to %s: existing claims that omit the field get the new value when read", o.Raw, n.Raw)
	}
}

// structure compares how the API server treats a node beyond its values: unknown fields, list and
// map semantics, and schema combinators.
func (c *comparison) structure(at string, o, n *extv1.JSONSchemaProps) {
	op, np := isTrue(o.XPreserveUnknownFields), isTrue(n.XPreserveUnknownFields)
	switch {
	case op && !np:
		c.breaking(at, SchemaChanged, "unknown fields are no longer kept: values the schema does not declare are pruned from claims")
	case !op && np:
		c.safe(at, ValidationLoosened, "unknown fields are kept")
	}
	ol, nl := deref(o.XListType), deref(n.XListType)
	switch {
	case ol == nl:
		if ol == "map" && !slices.Equal(o.XListMapKeys, n.XListMapKeys) {
			c.breaking(at, SchemaChanged, "list map keys change from %v to %v: lists existing claims hold may have duplicate keys", o.XListMapKeys, n.XListMapKeys)
		}
	case nl == "" || nl == "atomic":
		c.safe(at, ValidationLoosened, "list type changes from %s to atomic", ol)
	default:
		c.breaking(at, SchemaChanged, "list type changes from %s to %s: lists existing claims hold may have duplicates it rejects", orAtomic(ol), nl)
	}
	if om, nm := deref(o.XMapType), deref(n.XMapType); om != nm {
		c.safe(at, SchemaChanged, "map type changes from %s to %s (server-side apply merges differently)", orGranular(om), orGranular(nm))
	}
	both := o.XIntOrString && n.XIntOrString // int-or-string is spelled as anyOf: [integer, string]
	for _, x := range []struct {
		name string
		o, n any
		set  func(*extv1.JSONSchemaProps) bool
	}{
		{"allOf", o.AllOf, n.AllOf, func(s *extv1.JSONSchemaProps) bool { return len(s.AllOf) > 0 }},
		{"oneOf", o.OneOf, n.OneOf, func(s *extv1.JSONSchemaProps) bool { return len(s.OneOf) > 0 }},
		{"anyOf", o.AnyOf, n.AnyOf, func(s *extv1.JSONSchemaProps) bool { return len(s.AnyOf) > 0 && !both }},
		{"not", o.Not, n.Not, func(s *extv1.JSONSchemaProps) bool { return s.Not != nil }},
	} {
		os, ns := x.set(o), x.set(n)
		switch {
		case !os && !ns:
		case !os:
			c.breaking(at, ValidationTightened, "new %s constraint: "+refusedOnUpdate, x.name)
		case !ns:
			c.safe(at, ValidationLoosened, "%s constraint removed", x.name)
		case !reflect.DeepEqual(x.o, x.n):
			c.breaking(at, ValidationTightened, "%s constraint changes: "+refusedOnUpdate, x.name)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func orAtomic(s string) string {
	if s == "" {
		return "atomic"
	}
	return s
}

func orGranular(s string) string {
	if s == "" {
		return "granular"
	}
	return s
}
