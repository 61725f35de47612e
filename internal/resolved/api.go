// Package resolved holds the resolved API of a data service: every fact about the API app developers
// use, decided once with every default applied. It is the generator's product: the XRD, the
// Compositions and the export templates are written from it, and every reader (dataservice plans,
// docs, check-compat, the importer's checks, overlays, limits) reads it instead of going back to a
// DataService to decide again what exists. A rule a reader needs (which plans a composition offers,
// which are hidden, the default composition) is a method here, never a second function beside it.
//
// A resolved API is obtained two ways, and both give the same value for what they both know:
//   - from a DataService: generator.Resolve (validated, with the defaults of a pipeline input), or
//     generator.Generate, whose Output.Resolved is the value the objects were written from;
//   - from what was generated (a package, or an XRD with its Compositions, hand-written or not):
//     generator.ReadAPI reads back what the XRD enforces (enums, offering rules, hidden plans,
//     plan-change rules, the default composition) with the parsers that sit beside their writers.
//     A package does not carry a catalog's descriptions and values beyond what the XRD says, so an
//     API read from one has plans without values; check-compat compares two such values.
//
// The package does no I/O and holds plain data: a value may be compared with another and copied.
package resolved

import (
	"slices"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// Fields of the API an offering is about.
const (
	FieldService = "service"
	FieldPlan    = "plan"
)

// API is a data service's API as the control plane serves it.
type API struct {
	// Name of the DataService; for an API read from a package, the name its generated rules'
	// messages say, else "".
	Name string
	// Line is the Crossplane line the API is generated for.
	Line xpline.Line
	// Group of the API.
	Group string
	// Kind and Plural are what app developers create: the claim on Crossplane v1, the composite
	// on v2.
	Kind, Plural string
	// CompositeKind and CompositePlural name the composite (equal to Kind and Plural on v2).
	CompositeKind, CompositePlural string
	// Scope of the composite on v2 (Namespaced or Cluster); "" on v1, whose composites are
	// cluster-scoped with namespaced claims.
	Scope string
	// Versions of the API, in order; exactly one is referenceable.
	Versions []Version
	// Categories and ShortNames app developers use with kubectl.
	Categories, ShortNames []string
	// Service is spec.service, nil when no composition offers services.
	Service *Field
	// Plan is spec.plan, nil when no composition offers plans.
	Plan *Field
	// Compositions offer the API, in the DataService's order.
	Compositions []Composition
	// DefaultComposition is the composition of an instance that names none.
	DefaultComposition string
	// RequireCompositionRef says the API refuses an instance that names no composition: its rules
	// read the composition reference without the default (Klutch's hand-written XRDs do).
	RequireCompositionRef bool
	// ConnectionSecretKeys are the keys of the connection secret the composite publishes (every
	// key when empty).
	ConnectionSecretKeys []string
	// Export is klutch-bind's export template, nil when the export is disabled.
	Export *Export
	// KubeBind is upstream kube-bind's export template, nil when not asked for.
	KubeBind *KubeBind
}

// Version is one version of the API.
type Version struct {
	Name               string
	Served             bool
	Referenceable      bool
	Deprecated         bool
	DeprecationWarning string
}

// Field is spec.service or spec.plan: what an instance chooses, and what each choice gives.
type Field struct {
	// Name is FieldService or FieldPlan.
	Name string
	// Description is the field's own description (the catalog's descriptions are each
	// Offering's).
	Description string
	// Mutable says an existing instance may change it (a service is immutable unless declared
	// mutable; a plan changes under Changes).
	Mutable bool
	// Values declares the named values each catalog entry carries (cpu, memory …), types
	// defaulted.
	Values []v1alpha1.ValueDeclaration
	// Catalog describes the values of the field: a description and named values of each, in the
	// declared order. A value offered without a catalog entry has none.
	Catalog []Offering
	// Hidden are plans kept for the instances that have them and refused to every other.
	Hidden []string
	// Changes are the rules a plan change follows, in order.
	Changes []v1alpha1.PlanChange
}

// Offering is one entry of a catalog: a service or plan with its description and values.
type Offering struct {
	Name        string
	Description string
	// Values by declared name, e.g. memory: "4Gi".
	Values map[string]extv1.JSON
}

// Composition is a composition of the API and what it offers.
type Composition struct {
	// Name of the Composition, which instances select.
	Name string
	// Services and Plans the composition offers, resolved: a composition that lists none offers
	// the whole catalog (Offered).
	Services, Plans []string
	// ExclusiveParameters are the top-level parameters only this composition takes.
	ExclusiveParameters []string
	// Generated says the Composition is generated (the DataService gives it a backend); one that
	// is not is composed elsewhere and shapes only the API.
	Generated bool
}

// Export is the klutch-bind template that exports the API.
type Export struct {
	Name, Namespace string
	// Resource is the exported resource; Version the pinned version, "" for every served one.
	Resource, Version string
}

// KubeBind is the upstream kube-bind template that exports the API.
type KubeBind struct {
	Name, Resource string
	Versions       []string
	Description    string
}

// Offered is what a composition that lists listed offers, given the field's catalog: a
// composition that lists none offers every entry of the catalog. The one rule that says it: the
// generator, limits and overlays call it.
func Offered(listed []string, catalog []Offering) []string {
	if len(listed) > 0 || len(catalog) == 0 {
		return listed
	}
	out := make([]string, 0, len(catalog))
	for _, o := range catalog {
		out = append(out, o.Name)
	}
	return out
}

// Field returns spec.service or spec.plan by name, nil when the API has no such field.
func (a *API) Field(name string) *Field {
	switch name {
	case FieldService:
		return a.Service
	case FieldPlan:
		return a.Plan
	}
	return nil
}

// Composition returns the composition of a name, nil when the API has none.
func (a *API) Composition(name string) *Composition {
	i := slices.IndexFunc(a.Compositions, func(c Composition) bool { return c.Name == name })
	if i < 0 {
		return nil
	}
	return &a.Compositions[i]
}

// CompositionNames lists the compositions in order.
func (a *API) CompositionNames() []string {
	out := make([]string, len(a.Compositions))
	for i, c := range a.Compositions {
		out[i] = c.Name
	}
	return out
}

// Offers lists what a composition offers of a field (FieldService, FieldPlan).
func (c *Composition) Offers(field string) []string {
	if field == FieldService {
		return c.Services
	}
	return c.Plans
}

// Offered lists every value of a field some composition offers, in the order they first appear:
// the values an existing instance may hold. Hidden plans are among them.
func (a *API) Offered(field string) []string {
	var out []string
	for _, c := range a.Compositions {
		for _, v := range c.Offers(field) {
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// Hidden says whether a plan is kept for the instances that have it only.
func (a *API) Hidden(plan string) bool {
	return a.Plan != nil && slices.Contains(a.Plan.Hidden, plan)
}

// Choosable lists what a new instance of a composition may choose of a field: what it offers,
// hidden plans left out.
func (a *API) Choosable(composition, field string) []string {
	c := a.Composition(composition)
	if c == nil {
		return nil
	}
	var out []string
	for _, v := range c.Offers(field) {
		if field == FieldPlan && a.Hidden(v) {
			continue
		}
		out = append(out, v)
	}
	return out
}

// Entry returns the catalog entry of a value of the field, and whether the catalog has one.
func (f *Field) Entry(name string) (Offering, bool) {
	if f == nil {
		return Offering{}, false
	}
	i := slices.IndexFunc(f.Catalog, func(o Offering) bool { return o.Name == name })
	if i < 0 {
		return Offering{}, false
	}
	return f.Catalog[i], true
}

// Referenceable is the version Compositions reference.
func (a *API) Referenceable() string {
	for _, v := range a.Versions {
		if v.Referenceable {
			return v.Name
		}
	}
	return ""
}

// Served lists the served versions.
func (a *API) Served() []string {
	var out []string
	for _, v := range a.Versions {
		if v.Served {
			out = append(out, v.Name)
		}
	}
	return out
}

// ServedAPI is the API as a DataService's status reports it.
func (a *API) ServedAPI() v1alpha1.ServedAPI {
	return v1alpha1.ServedAPI{
		Group: a.Group, Version: a.Referenceable(), Kind: a.Kind, Resource: a.Plural,
		CompositeKind: a.CompositeKind, CompositeResource: a.CompositePlural,
	}
}

// XRDName is the name of the API's CompositeResourceDefinition.
func (a *API) XRDName() string { return a.CompositePlural + "." + a.Group }

// Generated lists the names of the Compositions the API's DataService generates.
func (a *API) Generated() []string {
	var out []string
	for _, c := range a.Compositions {
		if c.Generated {
			out = append(out, c.Name)
		}
	}
	return out
}

// MustNameComposition says whether the API refuses an instance that names no composition: its
// rules read the composition reference without the default (RequireCompositionRef), and some rule
// reads it (the offering rule of several compositions, or a parameter only one composition takes).
// Otherwise an instance that names none gets DefaultComposition.
func (a *API) MustNameComposition() bool {
	if !a.RequireCompositionRef {
		return false
	}
	return len(a.Compositions) > 1 || slices.ContainsFunc(a.Compositions, func(c Composition) bool { return len(c.ExclusiveParameters) > 0 })
}
