package generator

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	xv1 "github.com/crossplane/crossplane/apis/v2/apiextensions/v1"
	xv2 "github.com/crossplane/crossplane/apis/v2/apiextensions/v2"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/function-dataservice/function-dataservice/internal/resolved"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// Errors of ReadAPI.
const (
	errNotXRD          = "%s %s is not a CompositeResourceDefinition (apiextensions.crossplane.io/v1 or v2)"
	errReadXRD         = "cannot read XRD %s"
	errReadSchema      = "cannot read the schema of XRD %s"
	errReadComposition = "cannot read Composition %s"
)

// ReadAPI reads the resolved API back from what was generated: an XRD of either line and the
// Compositions of it (others are ignored), as a package holds them, or hand-written in the shapes
// the generator writes. It reads what the XRD enforces, with the parsers beside their writers:
// the enums and offering rules that say what each composition offers (an offering rule in the
// generator's shape but with another message is read too), hidden plans, plan-change rules, a
// mutable service, parameters only one composition takes, the default composition, and the
// catalog's descriptions where the field's description lists them. A package carries no catalog
// values, so its plans have none.
//
// Compositions are those given, in order, then those only the XRD names (its default, its rules);
// an XRD that names none gets one unnamed composition offering what its enums list, so that what
// it offers is still read. rules are the spec-level rules ReadAPI did not read as the API's
// offerings or exclusive parameters, in order: the verbatim rules of a DataService.
func ReadAPI(u *unstructured.Unstructured, compositions []*unstructured.Unstructured) (a *resolved.API, rules []extv1.ValidationRule, err error) {
	x, line, err := readXRD(u)
	if err != nil {
		return nil, nil, err
	}
	a = &resolved.API{Line: line, Group: x.Spec.Group, ConnectionSecretKeys: x.Spec.ConnectionSecretKeys}
	user := x.Spec.Names
	if line.Claims {
		if x.Spec.ClaimNames != nil {
			user = *x.Spec.ClaimNames
		}
	} else {
		a.Scope = string(x.Spec.Scope)
		if a.Scope == "" {
			a.Scope = line.DefaultScope
		}
	}
	a.Kind, a.Plural, a.Categories, a.ShortNames = user.Kind, user.Plural, user.Categories, user.ShortNames
	a.CompositeKind, a.CompositePlural = x.Spec.Names.Kind, x.Spec.Names.Plural
	if r := x.Spec.DefaultCompositionRef; r != nil {
		a.DefaultComposition = r.Name
	}
	var ref *xv2.CompositeResourceDefinitionVersion
	for i, v := range x.Spec.Versions {
		a.Versions = append(a.Versions, resolved.Version{Name: v.Name, Served: v.Served, Referenceable: v.Referenceable,
			Deprecated: v.Deprecated != nil && *v.Deprecated, DeprecationWarning: deref(v.DeprecationWarning)})
		if v.Referenceable || (ref == nil && i == len(x.Spec.Versions)-1) {
			ref = &x.Spec.Versions[i]
		}
	}
	schema := &extv1.JSONSchemaProps{}
	if ref != nil && ref.Schema != nil && len(ref.Schema.OpenAPIV3Schema.Raw) > 0 {
		if err := json.Unmarshal(ref.Schema.OpenAPIV3Schema.Raw, schema); err != nil {
			return nil, nil, errors.Wrapf(err, errReadSchema, x.GetName())
		}
	}
	spec := schema.Properties["spec"]

	for _, c := range compositions {
		comp := &xv1.Composition{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(c.Object, comp); err != nil {
			return nil, nil, errors.Wrapf(err, errReadComposition, c.GetName())
		}
		if composes(x, comp) && a.Composition(comp.Name) == nil {
			a.Compositions = append(a.Compositions, resolved.Composition{Name: comp.Name, Generated: true})
		}
	}
	rules = readSpecRules(a, spec.XValidations)
	if a.DefaultComposition != "" {
		nameComposition(a, a.DefaultComposition)
	}
	if len(a.Compositions) == 0 {
		a.Compositions = []resolved.Composition{{}}
	}
	for _, f := range []string{resolved.FieldService, resolved.FieldPlan} {
		p, ok := spec.Properties[f]
		if !ok {
			continue
		}
		readField(a, f, &p)
	}
	return a, rules, nil
}

// readXRD reads an XRD of either line into Crossplane's own type. An apiextensions.crossplane.io/v2
// XRD has every field of a v1 one, so one type reads both; claimNames are dropped on a line
// without claims. A v1 XRD without claims, or without versions, is read as far as it goes: what it
// offers is nothing (the importer refuses them; check-compat compares them).
func readXRD(u *unstructured.Unstructured) (*xv2.CompositeResourceDefinition, xpline.Line, error) {
	l, ok := xpline.OfXRD(u.GetAPIVersion())
	if !ok || u.GetKind() != xv2.CompositeResourceDefinitionKind {
		return nil, l, errors.Errorf(errNotXRD, u.GetAPIVersion(), u.GetKind())
	}
	x := &xv2.CompositeResourceDefinition{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, x); err != nil {
		return nil, l, errors.Wrapf(err, errReadXRD, u.GetName())
	}
	if !l.Claims {
		x.Spec.ClaimNames = nil
	}
	return x, l, nil
}

// composes says whether a Composition composes the XRD's composite.
func composes(x *xv2.CompositeResourceDefinition, c *xv1.Composition) bool {
	return c.Spec.CompositeTypeRef.Kind == x.Spec.Names.Kind && strings.HasPrefix(c.Spec.CompositeTypeRef.APIVersion, x.Spec.Group+"/")
}

// nameComposition adds a composition the XRD names, unless it is known.
func nameComposition(a *resolved.API, name string) {
	if a.Composition(name) == nil {
		a.Compositions = append(a.Compositions, resolved.Composition{Name: name})
	}
}

// readSpecRules reads the spec-level rules the generator writes: first the offering rules of
// services and plans (read leniently: an offering rule with another message still says what each
// composition offers, but is kept as a rule), then the verbatim rules, then the rules of
// parameters only one composition takes. It returns the rules it did not read as the API's.
func readSpecRules(a *resolved.API, rs extv1.ValidationRules) []extv1.ValidationRule {
	var rules []extv1.ValidationRule
	for i, r := range rs {
		if o, ok := ParseOffering(r, a.DefaultComposition); ok && i < 2 {
			a.RequireCompositionRef = a.RequireCompositionRef || o.RequiresRef
			a.Name = o.Name
			offer(a, o.Field, o.Order, o.Values)
			continue
		}
		if e, ok := ParseExclusiveParameter(r); ok {
			nameComposition(a, e.Composition)
			c := a.Composition(e.Composition)
			c.ExclusiveParameters = append(c.ExclusiveParameters, e.Parameter)
			a.RequireCompositionRef = a.RequireCompositionRef || e.RequiresRef
			continue
		}
		rules = append(rules, r)
		if f, by, order, ok := ParseOfferingRule(r.Rule); ok && i < 2 {
			offer(a, f, order, by)
			continue
		}
		for _, n := range ComparedCompositions(r.Rule) {
			if n != "" { // a rule may test for "no composition selected"
				nameComposition(a, n)
			}
		}
	}
	return rules
}

// offer records what an offering rule says each composition offers of a field, and orders the
// compositions as the rule lists them (the generator writes them in the DataService's order).
func offer(a *resolved.API, field string, order []string, by map[string][]string) {
	for _, n := range order {
		nameComposition(a, n)
		c := a.Composition(n)
		if field == resolved.FieldService {
			c.Services = by[n]
		} else {
			c.Plans = by[n]
		}
	}
	slices.SortStableFunc(a.Compositions, func(x, y resolved.Composition) int {
		return indexOr(order, x.Name) - indexOr(order, y.Name)
	})
}

// indexOr is the index of v in vs, after every index when it is not there.
func indexOr(vs []string, v string) int {
	if i := slices.Index(vs, v); i >= 0 {
		return i
	}
	return len(vs)
}

// readField reads spec.service or spec.plan: its rules, what the compositions offer when the
// field's enum says it (one composition, or no offering rule), and the catalog's descriptions.
func readField(a *resolved.API, name string, p *extv1.JSONSchemaProps) {
	f := &resolved.Field{Name: name, Mutable: name == resolved.FieldService}
	for _, r := range p.XValidations {
		switch {
		case name == resolved.FieldService && IsServiceImmutableRule(r):
			f.Mutable = false
		case name == resolved.FieldPlan && ParseHiddenPlans(r) != nil:
			f.Hidden = ParseHiddenPlans(r)
		case name == resolved.FieldPlan:
			f.Changes = append(f.Changes, ParsePlanChange(r))
		}
	}
	if enum := enumStrings(p.Enum); len(enum) > 0 && len(a.Offered(name)) == 0 {
		for i := range a.Compositions {
			if name == resolved.FieldService {
				a.Compositions[i].Services = enum
			} else {
				a.Compositions[i].Plans = enum
			}
		}
	}
	f.Description, f.Catalog = splitCatalog(p.Description, a.Offered(name))
	if name == resolved.FieldService {
		a.Service = f
	} else {
		a.Plan = f
	}
}

// splitCatalog undoes withCatalog: the lines at the end of a description that say what an offered
// value is ("small: 1 CPU") are the catalog's, the rest is the field's own description. Every
// offered value gets a catalog entry, in the order offered.
func splitCatalog(description string, offered []string) (string, []resolved.Offering) {
	lines := strings.Split(description, "\n")
	described := map[string]string{}
	for len(lines) > 0 {
		l := lines[len(lines)-1]
		name, d, ok := strings.Cut(l, ": ")
		if !ok || !slices.Contains(offered, name) || described[name] != "" || d == "" {
			break
		}
		described[name] = d
		lines = lines[:len(lines)-1]
	}
	catalog := make([]resolved.Offering, 0, len(offered))
	for _, o := range offered {
		catalog = append(catalog, resolved.Offering{Name: o, Description: described[o]})
	}
	return strings.Join(lines, "\n"), catalog
}

func enumStrings(e []extv1.JSON) []string {
	var out []string
	for _, j := range e {
		var s string
		if json.Unmarshal(j.Raw, &s) == nil {
			out = append(out, s)
		}
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
