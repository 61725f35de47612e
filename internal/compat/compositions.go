package compat

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	xv1 "github.com/crossplane/crossplane/apis/v2/apiextensions/v1"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// typeRef is a Composition's compositeTypeRef.
type typeRef = xv1.TypeReference

// composition is the part of a Composition claims depend on: its name, which they select, and the
// composite type it composes.
type composition struct {
	name string
	ref  typeRef
}

func decodeCompositions(objs []Object) ([]composition, error) {
	out := make([]composition, 0, len(objs))
	for _, o := range objs {
		// Only the compositeTypeRef of Crossplane's CompositionSpec: the rest of a Composition is
		// not compared, so it need not be well-formed here.
		var spec struct {
			CompositeTypeRef xv1.TypeReference `json:"compositeTypeRef"`
		}
		raw, err := json.Marshal(o.Object.Object["spec"])
		if err == nil {
			err = json.Unmarshal(raw, &spec)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: cannot read Composition %s: %w", o.Where, o.Object.GetName(), err)
		}
		out = append(out, composition{name: o.Object.GetName(), ref: spec.CompositeTypeRef})
	}
	return out, nil
}

// compositionSet is every Composition a side of the comparison knows of: those given as objects and
// those the XRD names (default, enforced, or in compositionRef-keyed CEL rules, the way a DataService
// with several compositions names those composed elsewhere).
type compositionSet struct {
	typeRefs  map[string]typeRef
	mentioned map[string]bool
	dflt      string
	enforced  string
	// fromCEL says CEL rules name compositions, so the set is complete even without objects.
	fromCEL bool
}

func knownCompositions(x *xrd, cs []composition) compositionSet {
	s := compositionSet{typeRefs: map[string]typeRef{}, mentioned: map[string]bool{}}
	for _, c := range cs {
		s.typeRefs[c.name] = c.ref
	}
	if r := x.spec.DefaultCompositionRef; r != nil && r.Name != "" {
		s.dflt = r.Name
		s.mentioned[r.Name] = true
	}
	if r := x.spec.EnforcedCompositionRef; r != nil && r.Name != "" {
		s.enforced = r.Name
		s.mentioned[r.Name] = true
	}
	for _, schema := range x.schemas {
		for _, name := range ruleCompositions(schema) {
			s.mentioned[name] = true
			s.fromCEL = true
		}
	}
	return s
}

// complete says whether the set lists the API's compositions, rather than only its default.
func (s compositionSet) complete() bool { return len(s.typeRefs) > 0 || s.fromCEL }

func (s compositionSet) has(name string) bool {
	_, ok := s.typeRefs[name]
	return ok || s.mentioned[name]
}

func (s compositionSet) names() []string {
	var out []string
	for n := range s.typeRefs {
		out = append(out, n)
	}
	for n := range s.mentioned {
		if _, ok := s.typeRefs[n]; !ok {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// ruleCompositions lists the compositions the CEL rules of a schema compare compositionRef.name
// with, on claims (self.compositionRef) and on Crossplane v2 composites
// (self.crossplane.compositionRef), bare or with the default composition for an instance that
// names none.
func ruleCompositions(s *extv1.JSONSchemaProps) []string {
	var out []string
	walkSchema(s, func(s *extv1.JSONSchemaProps) {
		for _, r := range s.XValidations {
			out = append(out, generator.ComparedCompositions(r.Rule)...)
		}
	})
	return out
}

func walkSchema(s *extv1.JSONSchemaProps, f func(*extv1.JSONSchemaProps)) {
	if s == nil {
		return
	}
	f(s)
	for _, k := range slices.Sorted(maps.Keys(s.Properties)) {
		p := s.Properties[k]
		walkSchema(&p, f)
	}
	if s.Items != nil {
		walkSchema(s.Items.Schema, f)
	}
	if s.AdditionalProperties != nil {
		walkSchema(s.AdditionalProperties.Schema, f)
	}
}

// compositions compares the Compositions claims can select.
func (c *comparison) compositions(ocs, ncs compositionSet) {
	if ncs.complete() {
		for _, name := range ocs.names() {
			if ncs.has(name) || name == ocs.dflt {
				continue
			}
			c.breaking(fmt.Sprintf("composition[%s]", name), CompositionRemoved, "composition %s is gone: claims whose compositionRef names it lose their composition", name)
		}
	}
	if ocs.complete() {
		for _, name := range ncs.names() {
			if !ocs.has(name) {
				c.safe(fmt.Sprintf("composition[%s]", name), CompositionAdded, "new composition %s", name)
			}
		}
	}
	const dp = "xrd.spec.defaultCompositionRef"
	switch od, nd := ocs.dflt, ncs.dflt; {
	case od == nd:
	case od != "" && ncs.complete() && !ncs.has(od):
		c.breaking(dp, DefaultCompositionRemoved, "default composition %s is gone: claims that got it by default or named it lose their composition", od)
	case nd == "":
		c.breaking(dp, DefaultCompositionRemoved, "no default composition any more: new claims that name none do not compose")
	case od == "":
		c.safe(dp, DefaultCompositionChanged, "claims that name no composition get %s", nd)
	default:
		c.safe(dp, DefaultCompositionChanged, "new claims that name no composition get %s instead of %s; existing claims keep theirs", nd, od)
	}
	const ep = "xrd.spec.enforcedCompositionRef"
	switch oe, ne := ocs.enforced, ncs.enforced; {
	case oe == ne:
	case ne != "":
		c.breaking(ep, EnforcedCompositionChanged, "composition %s is enforced: claims that selected another one are moved to it", ne)
	default:
		c.safe(ep, EnforcedCompositionChanged, "composition %s is no longer enforced", oe)
	}
}
