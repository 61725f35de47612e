package compat

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	xv1 "github.com/crossplane/crossplane/apis/v2/apiextensions/v1"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// errReadComposition is the error of a Composition that cannot be read.
const errReadComposition = "%s: cannot read Composition %s"

// typeRef is a Composition's compositeTypeRef.
type typeRef = xv1.TypeReference

// composition is the part of a Composition claims depend on: its name, which they select, the
// composite type it composes, and where each composed resource takes each parameter (the keys the
// backend reads them under).
type composition struct {
	name string
	ref  typeRef
	// params maps resource/parameter path (spec.parameters.x) to where the resource takes it.
	params map[string]string
}

// ptInput is what a Composition's function-patch-and-transform step holds that a comparison reads.
type ptInput struct {
	Kind      string `json:"kind"`
	Resources []struct {
		Name    string `json:"name"`
		Patches []struct {
			Type          string `json:"type"`
			FromFieldPath string `json:"fromFieldPath"`
			ToFieldPath   string `json:"toFieldPath"`
		} `json:"patches"`
	} `json:"resources"`
}

func decodeCompositions(objs []Object) ([]composition, error) {
	out := make([]composition, 0, len(objs))
	for _, o := range objs {
		// Only the compositeTypeRef of Crossplane's CompositionSpec and the patches of parameters:
		// the rest of a Composition is not compared, so it need not be well-formed here.
		var spec struct {
			CompositeTypeRef xv1.TypeReference `json:"compositeTypeRef"`
			Pipeline         []struct {
				Input json.RawMessage `json:"input"`
			} `json:"pipeline"`
		}
		raw, err := json.Marshal(o.Object.Object["spec"])
		if err == nil {
			err = json.Unmarshal(raw, &spec)
		}
		if err != nil {
			return nil, errors.Wrapf(err, errReadComposition, o.Where, o.Object.GetName())
		}
		c := composition{name: o.Object.GetName(), ref: spec.CompositeTypeRef, params: map[string]string{}}
		for _, st := range spec.Pipeline {
			in := ptInput{}
			if json.Unmarshal(st.Input, &in) != nil || in.Kind != "Resources" {
				continue
			}
			for _, r := range in.Resources {
				for _, p := range r.Patches {
					if (p.Type == "" || p.Type == "FromCompositeFieldPath") && strings.HasPrefix(p.FromFieldPath, "spec.parameters.") {
						c.params[r.Name+"/"+p.FromFieldPath] = p.ToFieldPath
					}
				}
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// ParameterKeyChanged: a composed resource takes a parameter under another key or path, e.g. a
// key style changed from snake_case to kebab-case.
const ParameterKeyChanged Kind = "ParameterKeyChanged"

// parameterKeys compares where the Compositions of both releases pass each parameter: a backend
// that takes a parameter under another key gets the value there on the instances' next reconcile,
// keeps the old key as it was, and reads the new one, which it may not know.
func (c *comparison) parameterKeys(o, n []composition) {
	for _, oc := range o {
		i := slices.IndexFunc(n, func(x composition) bool { return x.name == oc.name })
		if i < 0 {
			continue
		}
		nc := n[i]
		for _, k := range slices.Sorted(maps.Keys(oc.params)) {
			to, ok := nc.params[k]
			if !ok || to == oc.params[k] {
				continue
			}
			res, from, _ := strings.Cut(k, "/")
			was, now := keyOf(oc.params[k], from), keyOf(to, from)
			how := "another path"
			if was != now && similar(was, now) {
				how = fmt.Sprintf("a renamed key (%s → %s)", was, now)
			}
			param := strings.TrimPrefix(from, "spec.parameters.")
			c.breaking(fmt.Sprintf("composition[%s].%s", oc.name, from), ParameterKeyChanged,
				"resource %s takes parameters.%s under %s: %s instead of %s: existing instances' %s get the value under the new key on their next reconcile and keep the old one; if the backend reads the old key, keep it with spec.parameters.keys: [{parameter: %s, key: %s}]",
				res, param, how, to, oc.params[k], res, strings.SplitN(param, ".", 2)[0], was)
		}
	}
}

// keyOf is the key a top-level parameter has in a resource: the segment of to where the
// parameter's path below spec.parameters starts.
func keyOf(to, from string) string {
	below := strings.Count(strings.TrimPrefix(from, "spec.parameters."), ".")
	segs := strings.Split(to, ".")
	if i := len(segs) - 1 - below; i >= 0 {
		return segs[i]
	}
	return to
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
