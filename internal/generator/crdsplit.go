package generator

// The split of a CRD into the parts crdChecks (crdcheck.go) validates: the CRD without its rules
// and one unit per schema node with rules.

import (
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// crdSplit is a CRD in the parts crdChecks validates.
type crdSplit struct {
	stripped *extv1.CustomResourceDefinition
	versions []versionUnits
}

type versionUnits struct {
	name  string
	units []ruleUnit
	// expressions bounds the number of CEL expressions (rules and messageExpressions) of the
	// version's schema.
	expressions int
}

// ruleUnit is a rule node as a unit: the version it is in, its ancestors and the hops to it from
// the root, and the node with its rules, its subtree's rules left out.
type ruleUnit struct {
	version extv1.CustomResourceDefinitionVersion
	anc     []*extv1.JSONSchemaProps
	hops    []hop
	node    *extv1.JSONSchemaProps
}

// crd is the unit's CRD.
func (u ruleUnit) crd() *extv1.CustomResourceDefinition { return u.with(u.node.XValidations) }

// with is the unit's CRD with rules in place of the node's.
func (u ruleUnit) with(rules extv1.ValidationRules) *extv1.CustomResourceDefinition {
	n := *u.node
	n.XValidations = rules
	return unitCRD(u.version, skeleton(u.anc, u.hops, &n))
}

// at is the node's path, for messages.
func (u ruleUnit) at() string { return pathString(u.hops) }

// hop is one step from a schema node to a child.
type hop struct {
	kind int // hopProperty, hopAdditional, hopItems
	name string
}

const (
	hopProperty = iota
	hopAdditional
	hopItems
)

// metaFields are the properties of an object the API server treats as resource metadata.
var metaFields = map[string]bool{"metadata": true, "kind": true, "apiVersion": true}

// splitCRD splits a CRD into the CRD without its rules and one unit per rule node, or says why it
// cannot be answered in parts.
func splitCRD(crd *extv1.CustomResourceDefinition) (*crdSplit, string) {
	stripped := *crd
	stripped.Spec.Versions = make([]extv1.CustomResourceDefinitionVersion, len(crd.Spec.Versions))
	sp := &crdSplit{stripped: &stripped}
	for i, v := range crd.Spec.Versions {
		stripped.Spec.Versions[i] = v
		if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			continue
		}
		root := v.Schema.OpenAPIV3Schema
		stripped.Spec.Versions[i].Schema = &extv1.CustomResourceValidation{OpenAPIV3Schema: withoutRules(root)}
		w := &unitWalker{version: v}
		w.walk(root, nil, nil, false, false, false, false)
		if w.why != "" {
			return nil, "version " + v.Name + ": " + w.why
		}
		if w.defaultedUnits > 1 {
			return nil, "version " + v.Name + ": defaults checked by rules in several places share one cost budget"
		}
		sp.versions = append(sp.versions, versionUnits{name: v.Name, units: w.units, expressions: w.expressions})
	}
	return sp, ""
}

type unitWalker struct {
	version        extv1.CustomResourceDefinitionVersion
	units          []ruleUnit
	expressions    int
	defaultedUnits int
	why            string
}

// walk finds the rule nodes at and below s, reached from the root by path through ancestors anc.
// defaulted says an ancestor has a default, inMeta that s is inside an object's metadata, scope
// that an ancestor has rules, untyped that an ancestor in the scope of rules has no type.
func (w *unitWalker) walk(s *extv1.JSONSchemaProps, path []hop, anc []*extv1.JSONSchemaProps, defaulted, inMeta, scope, untyped bool) {
	if s == nil || w.why != "" {
		return
	}
	if s.Items != nil && len(s.Items.JSONSchemas) > 0 {
		w.why = "items as a list of schemas"
		return
	}
	if len(s.XValidations) > 0 {
		at := pathString(path)
		switch {
		case defaulted:
			w.why = "a default above the rules at " + at + " is checked against them"
			return
		case inMeta:
			w.why = "the rules at " + at + " are inside an object's metadata"
			return
		case untyped:
			w.why = "the rules at " + at + " are below a schema of no type in the scope of other rules"
			return
		}
		w.expressions += countExpressions(s)
		if s.Default != nil {
			w.defaultedUnits++
		}
		own := withoutRules(s)
		own.XValidations = s.XValidations
		w.units = append(w.units, ruleUnit{version: w.version, anc: anc, hops: path, node: own})
		scope = true
	}
	defaulted = defaulted || s.Default != nil
	untyped = untyped || (scope && s.Type == "" && !s.XIntOrString)
	isRoot := len(anc) == 0
	down := func(h hop, c *extv1.JSONSchemaProps, meta bool) {
		w.walk(c, append(path[:len(path):len(path)], h), append(anc[:len(anc):len(anc)], s), defaulted, meta, scope, untyped)
	}
	for name := range s.Properties {
		c := s.Properties[name]
		down(hop{hopProperty, name}, &c, inMeta || ((isRoot || s.XEmbeddedResource) && metaFields[name]))
	}
	if s.AdditionalProperties != nil {
		down(hop{kind: hopAdditional}, s.AdditionalProperties.Schema, inMeta)
	}
	if s.Items != nil {
		down(hop{kind: hopItems}, s.Items.Schema, inMeta)
	}
}

func pathString(path []hop) string {
	p := field.NewPath("openAPIV3Schema")
	for _, h := range path {
		switch h.kind {
		case hopProperty:
			p = p.Child("properties").Key(h.name)
		case hopAdditional:
			p = p.Child("additionalProperties")
		case hopItems:
			p = p.Child("items")
		}
	}
	return p.String()
}

// children calls f with every schema the API server's CEL checks reach from s: properties,
// additionalProperties and items.
func children(s *extv1.JSONSchemaProps, f func(*extv1.JSONSchemaProps)) {
	for name := range s.Properties {
		c := s.Properties[name]
		f(&c)
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		f(s.AdditionalProperties.Schema)
	}
	if s.Items != nil {
		if s.Items.Schema != nil {
			f(s.Items.Schema)
		}
		for i := range s.Items.JSONSchemas {
			f(&s.Items.JSONSchemas[i])
		}
	}
}

// hasRules says whether s or a schema the CEL checks reach below it has rules.
func hasRules(s *extv1.JSONSchemaProps) bool {
	if len(s.XValidations) > 0 {
		return true
	}
	found := false
	children(s, func(c *extv1.JSONSchemaProps) { found = found || hasRules(c) })
	return found
}

// countExpressions counts the rules and messageExpressions of s.
func countExpressions(s *extv1.JSONSchemaProps) int {
	n := len(s.XValidations)
	for _, r := range s.XValidations {
		if r.MessageExpression != "" {
			n++
		}
	}
	return n
}

// withoutRules returns s without the rules of every schema the CEL checks reach, sharing what
// holds none. Rules where the CEL checks do not reach (allOf, anyOf, oneOf, not) stay: the
// structural checks refuse them.
func withoutRules(s *extv1.JSONSchemaProps) *extv1.JSONSchemaProps {
	if s == nil || !hasRules(s) {
		return s
	}
	out := *s
	out.XValidations = nil
	if s.Properties != nil {
		out.Properties = make(map[string]extv1.JSONSchemaProps, len(s.Properties))
		for name := range s.Properties {
			c := s.Properties[name]
			out.Properties[name] = *withoutRules(&c)
		}
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		ap := *s.AdditionalProperties
		ap.Schema = withoutRules(ap.Schema)
		out.AdditionalProperties = &ap
	}
	if s.Items != nil {
		it := *s.Items
		it.Schema = withoutRules(it.Schema)
		if it.JSONSchemas != nil {
			it.JSONSchemas = make([]extv1.JSONSchemaProps, len(s.Items.JSONSchemas))
			for i := range s.Items.JSONSchemas {
				it.JSONSchemas[i] = *withoutRules(&s.Items.JSONSchemas[i])
			}
		}
		out.Items = &it
	}
	return &out
}

// skeleton is the schema of a unit: the ancestors anc of node, reduced to what the checks of
// node's rules read of them, along path, and node.
func skeleton(anc []*extv1.JSONSchemaProps, path []hop, node *extv1.JSONSchemaProps) *extv1.JSONSchemaProps {
	cur := node
	for i := len(anc) - 1; i >= 0; i-- {
		a := anc[i]
		// The cardinality of a rule (extractMaxElements) reads type, maxItems, maxProperties and
		// whether additionalProperties is set; oldSelf is forbidden by list and map types; an
		// embedded resource and preserved unknown fields shape what is structural.
		s := &extv1.JSONSchemaProps{
			Type: a.Type, MaxItems: a.MaxItems, MaxProperties: a.MaxProperties,
			XListType: a.XListType, XListMapKeys: a.XListMapKeys, XMapType: a.XMapType,
			XEmbeddedResource: a.XEmbeddedResource, XPreserveUnknownFields: a.XPreserveUnknownFields,
		}
		if a.AdditionalProperties != nil {
			s.AdditionalProperties = &extv1.JSONSchemaPropsOrBool{Allows: a.AdditionalProperties.Allows}
		}
		switch h := path[i]; h.kind {
		case hopProperty:
			s.Properties = map[string]extv1.JSONSchemaProps{h.name: *cur}
			// The items of a map list must hold its keys, required or defaulted.
			if i > 0 && anc[i-1].XListType != nil && *anc[i-1].XListType == "map" && path[i-1].kind == hopItems {
				for _, k := range anc[i-1].XListMapKeys {
					if p, ok := a.Properties[k]; ok && k != h.name {
						s.Properties[k] = *withoutRules(&p)
					}
					for _, r := range a.Required {
						if r == k {
							s.Required = append(s.Required, k)
						}
					}
				}
			}
		case hopAdditional:
			s.AdditionalProperties = &extv1.JSONSchemaPropsOrBool{Allows: a.AdditionalProperties.Allows, Schema: cur}
		case hopItems:
			s.Items = &extv1.JSONSchemaPropsOrArray{Schema: cur}
		}
		cur = s
	}
	return cur
}

// unitCRD is a CRD of fixed names with one version like v and schema s.
func unitCRD(v extv1.CustomResourceDefinitionVersion, s *extv1.JSONSchemaProps) *extv1.CustomResourceDefinition {
	const group = "rules.check.dataservice.invalid"
	return &extv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "units." + group},
		Spec: extv1.CustomResourceDefinitionSpec{
			Group: group, Scope: extv1.NamespaceScoped,
			Names: extv1.CustomResourceDefinitionNames{Kind: "Unit", ListKind: "UnitList", Plural: "units", Singular: "unit"},
			Versions: []extv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema:       &extv1.CustomResourceValidation{OpenAPIV3Schema: s},
				Subresources: v.Subresources,
			}},
		},
		Status: extv1.CustomResourceDefinitionStatus{StoredVersions: []string{"v1"}},
	}
}
