package compat

import (
	"fmt"
	"maps"
	"reflect"
	"slices"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
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
		c.breaking(at, TypeChanged, "type changes from %s to %s: "+refusedOnUpdate, ot, nt)
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
		c.breaking(at, ValidationTightened, "list items are now validated: "+refusedOnUpdate)
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
