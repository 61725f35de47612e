package overlay

import (
	"fmt"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/resolved"
)

// Errors and notes of the edits of services and plans.
const (
	errNotOffered      = "spec.%s.%s[%d]: base has no %s %q"
	errRenameFrom      = "spec.%s.rename[%d].from: base has no %s %q"
	errAddComposition  = "spec.%s.add[%d].composition: no composition %q"
	errWouldWiden      = "spec.%s.remove: composition %s would offer no %s, and a composition that lists none offers every %s of spec.%s.catalog: remove the composition too, or keep one of its %ss"
	errHideService     = "spec.services.hide: services cannot be hidden, only plans (spec.plan.hidden)"
	noteHiddenDropped  = "spec.plan.hidden: dropped %s, which the overlay removes"
	noteCatalogListed  = "spec.compositions[%s].%s: the composition offered every %s of the catalog; it lists them now, so that %s added to the catalog is offered by the compositions it is added to only"
	noteCatalogNoValue = "spec.%s.catalog: %s added without values: a mapping that takes a value of the %s needs one (give it with spec.merge, or a default on the mapping), or generate says which"
)

// A fieldEdit names what an edit of services or plans touches.
type fieldEdit struct {
	// what is services or plans (the overlay's and the compositions' field).
	what string
	// one is service or plan, the field of the API.
	one string
	// list is the list of a composition.
	list func(*v1alpha1.Composition) *[]string
	// catalog is the catalog of the spec's field, nil without one.
	catalog func(*v1alpha1.DataServiceSpec) *[]v1alpha1.Offering
}

var (
	serviceField = fieldEdit{what: "services", one: resolved.FieldService,
		list: func(c *v1alpha1.Composition) *[]string { return &c.Services },
		catalog: func(s *v1alpha1.DataServiceSpec) *[]v1alpha1.Offering {
			if s.Service == nil {
				return nil
			}
			return &s.Service.Catalog
		},
	}
	planField = fieldEdit{what: "plans", one: resolved.FieldPlan,
		list: func(c *v1alpha1.Composition) *[]string { return &c.Plans },
		catalog: func(s *v1alpha1.DataServiceSpec) *[]v1alpha1.Offering {
			if s.Plan == nil {
				return nil
			}
			return &s.Plan.Catalog
		},
	}
)

// offered is what each composition offers of the field, as the resolved API says it.
func (f fieldEdit) offered(s *v1alpha1.DataServiceSpec) [][]string {
	var cat []resolved.Offering
	if c := f.catalog(s); c != nil {
		for _, o := range *c {
			cat = append(cat, resolved.Offering{Name: o.Name})
		}
	}
	out := make([][]string, len(s.Compositions))
	for i := range s.Compositions {
		out[i] = slices.Clone(resolved.Offered(*f.list(&s.Compositions[i]), cat))
	}
	return out
}

// catalogNames lists the names of the field's catalog.
func (f fieldEdit) catalogNames(s *v1alpha1.DataServiceSpec) []string {
	var out []string
	if c := f.catalog(s); c != nil {
		for _, o := range *c {
			out = append(out, o.Name)
		}
	}
	return out
}

// editField removes, renames, adds and hides services or plans of every composition and of the
// catalog, keeps hidden plans and plan-change rules in step, and returns what it noted and what it
// cannot do.
func editField(s *v1alpha1.DataServiceSpec, f fieldEdit, e *v1alpha1.ListEdit, literals map[string]string) ([]string, []error) {
	var notes []string
	var errs []error
	before := f.offered(s)
	has := func(name string) bool {
		return slices.ContainsFunc(before, func(vs []string) bool { return slices.Contains(vs, name) }) || slices.Contains(f.catalogNames(s), name)
	}

	// Removals: from every list and from the catalog, never leaving a composition that listed
	// some with none (it would offer the whole catalog).
	removed := map[string]bool{}
	for i, n := range e.Remove {
		if !has(n) {
			errs = append(errs, errors.Errorf(errNotOffered, f.what, "remove", i, f.one, n))
		}
		removed[n] = true
	}
	if len(removed) > 0 {
		hasCatalog := len(f.catalogNames(s)) > 0
		for j := range s.Compositions {
			l := f.list(&s.Compositions[j])
			listed := len(*l) > 0
			*l = slices.DeleteFunc(*l, func(x string) bool { return removed[x] })
			if listed && len(*l) == 0 && hasCatalog {
				errs = append(errs, errors.Errorf(errWouldWiden, f.what, s.Compositions[j].Name, f.one, f.one, f.one, f.one))
			}
		}
		if c := f.catalog(s); c != nil {
			*c = slices.DeleteFunc(*c, func(o v1alpha1.Offering) bool { return removed[o.Name] })
		}
		if f.one == resolved.FieldPlan && s.Plan != nil {
			for _, h := range s.Plan.Hidden {
				if removed[h] {
					notes = append(notes, fmt.Sprintf(noteHiddenDropped, h))
				}
			}
			s.Plan.Hidden = slices.DeleteFunc(s.Plan.Hidden, func(h string) bool { return removed[h] })
		}
	}

	// Renames: one by one, then by prefix, of every name offered, listed or in the catalog.
	rename := map[string]string{}
	for i, r := range e.Rename {
		if !has(r.From) {
			errs = append(errs, errors.Errorf(errRenameFrom, f.what, i, f.one, r.From))
		}
		rename[r.From] = r.To
	}
	to := func(n string) (string, bool) {
		if t, ok := rename[n]; ok {
			return t, true
		}
		if p := e.RenamePrefix; p != nil && strings.HasPrefix(n, p.From) {
			return p.To + strings.TrimPrefix(n, p.From), true
		}
		return n, false
	}
	apply := func(l []string) {
		for k, n := range l {
			if t, ok := to(n); ok {
				l[k] = t
				literals[n] = t
			}
		}
	}
	for j := range s.Compositions {
		apply(*f.list(&s.Compositions[j]))
	}
	if c := f.catalog(s); c != nil {
		for k := range *c {
			if t, ok := to((*c)[k].Name); ok {
				literals[(*c)[k].Name] = t
				(*c)[k].Name = t
			}
		}
	}
	if f.one == resolved.FieldPlan && s.Plan != nil {
		apply(s.Plan.Hidden)
	}

	// Additions: to a composition's list; a composition that offers the catalog lists it first,
	// and so does every other one that lists none, so that the catalog entry the addition needs
	// widens no other composition.
	for i, a := range e.Add {
		idx := 0
		if a.Composition != "" {
			idx = slices.IndexFunc(s.Compositions, func(c v1alpha1.Composition) bool { return c.Name == a.Composition })
		}
		if idx < 0 || idx >= len(s.Compositions) {
			errs = append(errs, errors.Errorf(errAddComposition, f.what, i, a.Composition))
			continue
		}
		l := f.list(&s.Compositions[idx])
		cat := f.catalog(s)
		if cat != nil && len(*cat) > 0 {
			names := f.catalogNames(s)
			var fresh []string
			for _, n := range a.Names {
				if !slices.Contains(names, n) {
					fresh = append(fresh, n)
				}
			}
			if len(fresh) == 0 && len(*l) == 0 {
				continue // the composition offers the catalog, which has them
			}
			for j := range s.Compositions {
				if cl := f.list(&s.Compositions[j]); len(*cl) == 0 && len(fresh) > 0 {
					*cl = slices.Clone(names)
					notes = append(notes, fmt.Sprintf(noteCatalogListed, s.Compositions[j].Name, f.what, f.one, strings.Join(fresh, ", ")))
				}
			}
			for _, n := range fresh {
				*cat = append(*cat, v1alpha1.Offering{Name: n})
				notes = append(notes, fmt.Sprintf(noteCatalogNoValue, f.one, n, f.one))
			}
		}
		for _, n := range a.Names {
			if !slices.Contains(*l, n) {
				*l = append(*l, n)
			}
		}
	}

	// Hidden plans: kept for the instances that have them, refused to new ones.
	for i, h := range e.Hide {
		if f.one != resolved.FieldPlan {
			errs = append(errs, errors.New(errHideService))
			break
		}
		after := f.offered(s)
		if !slices.ContainsFunc(after, func(vs []string) bool { return slices.Contains(vs, h) }) {
			errs = append(errs, errors.Errorf(errNotOffered, f.what, "hide", i, f.one, h))
			continue
		}
		if s.Plan == nil {
			s.Plan = &v1alpha1.PlanField{}
		}
		if !slices.Contains(s.Plan.Hidden, h) {
			s.Plan.Hidden = append(s.Plan.Hidden, h)
		}
	}

	if f.one == resolved.FieldPlan {
		n, e := keepRulesInStep(s, before, f.offered(s), removed, to)
		notes, errs = append(notes, n...), append(errs, e...)
	}
	return notes, errs
}
