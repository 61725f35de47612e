package compat

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/function-dataservice/function-dataservice/internal/semantic"
)

// schemas compares the schema and printer columns of every version served before and after. A
// DataService serves one schema for all its versions, so a change found in every version is reported
// once; one found in some versions only names them.
func (c *comparison) schemas(o, n *xrd, ocs, ncs compositionSet) {
	var common []string
	for _, v := range o.spec.Versions {
		if v.Served && n.served(v.Name) {
			common = append(common, v.Name)
		}
	}
	type key struct {
		path     string
		kind     Kind
		breaking bool
		reason   string
	}
	in := map[key][]string{}
	var order []key
	for _, name := range common {
		ov, nv := o.version(name), n.version(name)
		w := &comparison{api: c.api}
		w.versionSchema(o.schema(name), n.schema(name), ocs, ncs)
		w.printerColumns(ov.AdditionalPrinterColumns, nv.AdditionalPrinterColumns)
		for _, ch := range w.changes {
			k := key{ch.Path, ch.Kind, ch.Breaking, ch.Reason}
			if _, ok := in[k]; !ok {
				order = append(order, k)
			}
			in[k] = append(in[k], name)
		}
	}
	for _, k := range order {
		if len(in[k]) == len(common) {
			c.add(k.breaking, k.path, k.kind, "%s", k.reason)
			continue
		}
		for _, v := range in[k] {
			c.add(k.breaking, fmt.Sprintf("versions[%s].%s", v, k.path), k.kind, "%s", k.reason)
		}
	}
}

// versionSchema compares one version's schema. The services and plans each composition offers are
// compared as offerings, whether an enum or compositionRef-keyed CEL rules say them, so that moving
// from one composition to several is not mistaken for a new rule.
func (c *comparison) versionSchema(o, n *extv1.JSONSchemaProps, ocs, ncs compositionSet) {
	oo, no := extractOfferings(o, n)
	c.schema("", o, n)
	c.offerings(oo, no, ocs, ncs)
}

// schema compares a node of the schema at path p ("" for the root, else spec.parameters.x).
func (c *comparison) schema(p string, o, n *extv1.JSONSchemaProps) {
	at := p
	if at == "" {
		at = "openAPIV3Schema"
	}
	switch {
	case o.Description == n.Description:
	case o.Description == "":
		c.safe(at, DescriptionChanged, "description added")
	case n.Description == "":
		c.safe(at, DescriptionChanged, "description removed")
	default:
		c.safe(at, DescriptionChanged, "description edited")
	}
	if ot, nt := typeName(o), typeName(n); ot != nt {
		c.breaking(at, TypeChanged, "type changes from %s to %s: values existing claims hold are rejected on their next update", ot, nt)
		return
	}
	if o.XEmbeddedResource != n.XEmbeddedResource {
		c.breaking(at, TypeChanged, "x-kubernetes-embedded-resource changes to %t: values existing claims hold are validated differently", n.XEmbeddedResource)
	}
	c.enum(at, o.Enum, n.Enum)
	c.limits(at, o, n)
	// The rules on plan and service are judged by what they answer (planChanges), not by their text.
	if at != "spec.plan" && at != "spec.service" {
		c.rules(at, o.XValidations, n.XValidations)
	}
	c.defaults(at, o.Default, n.Default)
	c.structure(at, o, n)
	c.properties(p, o, n)
	c.items(p, at, o, n)
}

// typeName names a node's type as an app developer reads it. The generator leaves type: object
// implied where properties say it; a hand-written XRD may spell it out, which is no change.
func typeName(s *extv1.JSONSchemaProps) string {
	switch {
	case s.XIntOrString:
		return "int-or-string"
	case s.Type == "" && len(s.Properties) > 0:
		return "object"
	case s.Type == "":
		return "untyped"
	}
	return s.Type
}

// enumKinds names the values of a field: plans and services are what a data service offers.
func enumKinds(at string) (removed, added Kind, noun string) {
	switch at {
	case "spec.plan":
		return PlanRemoved, PlanAdded, "plan"
	case "spec.service":
		return ServiceRemoved, ServiceAdded, "service"
	}
	return EnumValueRemoved, EnumValueAdded, "value"
}

func (c *comparison) enum(at string, o, n []extv1.JSON) {
	ov, nv := enumValues(o), enumValues(n)
	switch {
	case len(ov) == 0 && len(nv) == 0:
		return
	case len(ov) == 0:
		c.breaking(at, EnumAdded, "values are limited to %s: claims holding another value are rejected on their next update", strings.Join(nv, ", "))
		return
	case len(nv) == 0:
		c.safe(at, EnumRemoved, "values are no longer limited to an enum")
		return
	}
	rk, ak, noun := enumKinds(at)
	for _, v := range missing(ov, nv) {
		c.breaking(at, rk, "%s %s is no longer offered: claims using it are rejected on their next update", noun, v)
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
// tightened: claims holding such values are rejected on their next update.
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
		c.breaking(at, ValidationTightened, "new %s %v: claims holding values beyond it are rejected on their next update", name, *n)
	case n == nil:
		c.safe(at, ValidationLoosened, "%s %v removed", name, *o)
	case *o == *n:
	case (*n < *o) == upper:
		c.breaking(at, ValidationTightened, "%s changes from %v to %v: claims holding values beyond it are rejected on their next update", name, *o, *n)
	default:
		c.safe(at, ValidationLoosened, "%s changes from %v to %v", name, *o, *n)
	}
}

// flag reports a constraint switched on (tightened) or off (loosened).
func (c *comparison) flag(at, name string, on bool) {
	if on {
		c.breaking(at, ValidationTightened, "%s is now enforced: claims holding values it rejects are rejected on their next update", name)
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
		c.breaking(at, ValidationTightened, "new %s %s: claims holding values it rejects are rejected on their next update", name, n)
	case n == "":
		c.safe(at, ValidationLoosened, "%s %s removed", name, o)
	default:
		c.breaking(at, ValidationTightened, "%s changes from %s to %s: claims holding values it rejects are rejected on their next update", name, o, n)
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
			c.breaking(at, RuleChanged, "rule %s becomes %s: claims it now rejects fail on their next update", ob, nb)
			removed = slices.Delete(removed, i, i+1)
			continue
		}
		c.breaking(at, RuleAdded, "new rule %s: claims it rejects fail on their next update", short(r.Rule))
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
			c.breaking(at, ValidationTightened, "new %s constraint: claims it rejects fail on their next update", x.name)
		case !ns:
			c.safe(at, ValidationLoosened, "%s constraint removed", x.name)
		case !reflect.DeepEqual(x.o, x.n):
			c.breaking(at, ValidationTightened, "%s constraint changes: claims it now rejects fail on their next update", x.name)
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

// properties compares the fields of an object node.
func (c *comparison) properties(p string, o, n *extv1.JSONSchemaProps) {
	for _, name := range union(slices.Sorted(maps.Keys(o.Properties)), slices.Sorted(maps.Keys(n.Properties))) {
		cp := join(p, name)
		op, inOld := o.Properties[name]
		np, inNew := n.Properties[name]
		switch {
		case inOld && !inNew && isTrue(n.XPreserveUnknownFields):
			c.safe(cp, ValidationLoosened, "field is no longer declared; unknown fields are kept, so values stay but are no longer validated")
		case inOld && !inNew:
			c.breaking(cp, FieldRemoved, "field is removed: claims setting it lose the value or are refused by strict field validation")
		case !inOld && slices.Contains(n.Required, name) && np.Default == nil:
			c.breaking(cp, RequiredFieldAdded, "new required field: existing claims without it are rejected on their next update")
		case !inOld && slices.Contains(n.Required, name):
			c.safe(cp, FieldAdded, "new required field with a default: existing claims get the default")
		case !inOld:
			c.safe(cp, FieldAdded, "new optional field")
		default:
			c.schema(cp, &op, &np)
		}
	}
	for _, name := range missing(n.Required, o.Required) {
		np, inNew := n.Properties[name]
		if _, inOld := o.Properties[name]; !inOld || !inNew {
			continue // a new field, reported above
		}
		if np.Default != nil {
			c.safe(join(p, name), FieldRequired, "field becomes required with a default: existing claims get the default")
			continue
		}
		c.breaking(join(p, name), FieldRequired, "field becomes required: existing claims without it are rejected on their next update")
	}
	for _, name := range missing(o.Required, n.Required) {
		if _, ok := n.Properties[name]; ok {
			c.safe(join(p, name), FieldOptional, "field becomes optional")
		}
	}
}

// items compares the elements of arrays and the values of maps.
func (c *comparison) items(p, at string, o, n *extv1.JSONSchemaProps) {
	var oi, ni *extv1.JSONSchemaProps
	if o.Items != nil {
		oi = o.Items.Schema
	}
	if n.Items != nil {
		ni = n.Items.Schema
	}
	switch {
	case oi != nil && ni != nil:
		c.schema(p+"[*]", oi, ni)
	case oi == nil && ni != nil:
		c.breaking(at, ValidationTightened, "list items are now validated: claims holding items it rejects fail on their next update")
	case oi != nil && ni == nil:
		c.safe(at, ValidationLoosened, "list items are no longer validated")
	}
	oa, na := o.AdditionalProperties, n.AdditionalProperties
	switch {
	case oa == nil && na == nil:
	case oa != nil && na != nil && oa.Schema != nil && na.Schema != nil:
		c.schema(p+".*", oa.Schema, na.Schema)
	case !reflect.DeepEqual(oa, na):
		c.breaking(at, SchemaChanged, "additionalProperties changes: map values existing claims hold may be rejected or pruned")
	}
}

func join(p, name string) string {
	if p == "" {
		return name
	}
	return p + "." + name
}

// union merges two sorted lists.
func union(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

// printerColumns compares the columns kubectl get shows: they change no claim.
func (c *comparison) printerColumns(o, n []extv1.CustomResourceColumnDefinition) {
	byName := func(cs []extv1.CustomResourceColumnDefinition) map[string]extv1.CustomResourceColumnDefinition {
		m := map[string]extv1.CustomResourceColumnDefinition{}
		for _, col := range cs {
			m[col.Name] = col
		}
		return m
	}
	om, nm := byName(o), byName(n)
	for _, name := range union(slices.Sorted(maps.Keys(om)), slices.Sorted(maps.Keys(nm))) {
		p := fmt.Sprintf("printerColumns[%s]", name)
		oc, inOld := om[name]
		nc, inNew := nm[name]
		switch {
		case !inNew:
			c.safe(p, PrinterColumnsEdit, "printer column removed")
		case !inOld:
			c.safe(p, PrinterColumnsEdit, "new printer column")
		case !reflect.DeepEqual(oc, nc):
			c.safe(p, PrinterColumnsEdit, "printer column edited")
		}
	}
}
