// Package planmatrix computes which plan (and service) changes an existing instance of a data
// service API may make, from every value to every value, by evaluating the generated XRD's own
// rules the way the API server does (internal/crvalidate: OpenAPI schema and CEL transition rules
// with old and new object), never by reading the declarations the rules were generated from. The
// dataservice plans and docs commands show it; check-compat compares two of them. It does no I/O.
package planmatrix

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/function-dataservice/function-dataservice/internal/resolved"
)

// Fields a matrix is about.
const (
	FieldPlan    = resolved.FieldPlan
	FieldService = resolved.FieldService
)

// Domain is what an existing instance may hold: the candidate compositions, services and plans.
// Which of them each composition really offers is the XRD's answer, not the domain's: a candidate
// the XRD refuses on create in a context is left out of that context's matrix and listed as not
// offered there.
type Domain struct {
	Compositions []string `json:"compositions,omitempty"`
	Services     []string `json:"services,omitempty"`
	Plans        []string `json:"plans,omitempty"`
}

// DomainOf is the domain of a resolved API: its compositions and every service and plan they
// offer, however the API declares them, in the order they first appear.
func DomainOf(a *resolved.API) Domain {
	return Domain{
		Compositions: a.CompositionNames(),
		Services:     a.Offered(resolved.FieldService),
		Plans:        a.Offered(resolved.FieldPlan),
	}
}

// Empty says whether the domain holds no service and no plan: no instance changes either.
func (d Domain) Empty() bool { return len(d.Services) == 0 && len(d.Plans) == 0 }

// Result is every matrix of one API.
type Result struct {
	// API is the name of the XRD.
	API string `json:"api"`
	// Group and Kind app developers create.
	Group string `json:"group"`
	Kind  string `json:"kind"`
	// Domain is what the matrices were computed over.
	Domain Domain `json:"domain"`
	// Matrices are the plan matrices, then the service matrices; contexts with the same matrix share
	// one.
	Matrices []Matrix `json:"matrices"`
	// Errors are the changes whose rules the API server could not evaluate. A result with errors
	// does not say what the API allows.
	Errors []EvalError `json:"errors,omitempty"`
}

// Matrix is which changes of one field an existing instance may make, the same in each of its
// contexts.
type Matrix struct {
	// Field is plan or service.
	Field string `json:"field"`
	// Contexts are where the matrix applies: version and composition, and the value of the other
	// field, which a change of this field keeps.
	Contexts []Instance `json:"contexts"`
	// Values are the values an instance may hold in these contexts, in the domain's order; rows
	// and columns of Cells.
	Values []string `json:"values"`
	// Cells[i][j] is the change from Values[i] to Values[j].
	Cells [][]Cell `json:"cells"`
	// NotOffered are the domain's values an instance cannot hold in these contexts, and why.
	NotOffered []NotOffered `json:"notOffered,omitempty"`
	// KeptOnly are values among Values that existing instances keep but new ones cannot choose
	// (a hidden plan), and the rule that refuses them to new ones.
	KeptOnly []NotOffered `json:"keptOnly,omitempty"`
}

// Cell is one change.
type Cell struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Allowed bool   `json:"allowed"`
	// Unevaluated says that a rule could not be evaluated on this change (see Result.Errors), so
	// that whether the API server allows it is unknown.
	Unevaluated bool `json:"unevaluated,omitempty"`
	// Refusals say why a refused change is refused, the first rule first.
	Refusals []Refusal `json:"refusals,omitempty"`
}

// NotOffered is a value the API refuses on create in a context.
type NotOffered struct {
	Value   string  `json:"value"`
	Refusal Refusal `json:"refusal"`
}

// EvalError is a change, or a create, whose rules the API server could not evaluate: a rule that
// fails at runtime (no such key, index out of bounds), exceeds its cost limit, or exhausts the
// cost budget of the object.
type EvalError struct {
	// From is the instance before the change; nil for a create.
	From *Instance `json:"from,omitempty"`
	// To is the instance after the change, or the created one.
	To Instance `json:"to"`
	// Path is the field whose rules failed, e.g. spec.plan.
	Path string `json:"path"`
	// Rule is the rule that failed; every rule at Path, one a line, when the API server does not
	// say which (an exhausted budget).
	Rule string `json:"rule,omitempty"`
	// Detail is the API server's error.
	Detail string `json:"detail"`
}

func (e EvalError) Error() string {
	pair := "creating " + e.To.String()
	if e.From != nil {
		pair = fmt.Sprintf("changing %s to %s", e.From.String(), e.To.String())
	}
	return fmt.Sprintf("%s: cannot evaluate the rules at %s: %s (rule: %s)", pair, e.Path, e.Detail, e.Rule)
}

// String names an instance for messages: version/composition, service and plan.
func (in Instance) String() string {
	s := in.Version
	if in.Composition != "" {
		s += " composition " + in.Composition
	}
	if in.Service != "" {
		s += " service " + in.Service
	}
	if in.Plan != "" {
		s += " plan " + in.Plan
	}
	return s
}

// Compute evaluates, for each served version, composition and value of the other field, every
// change of plan and of service an instance holding values of d may make.
func Compute(ctx context.Context, a *API, d Domain) (Result, error) {
	r := Result{API: a.Name, Group: a.Group, Kind: a.Kind, Domain: d}
	comps := d.Compositions
	if len(comps) == 0 {
		comps = []string{""}
	}
	services, plans := orNone(d.Services), orNone(d.Plans)
	var all []Matrix
	for _, field := range []string{FieldPlan, FieldService} {
		values, others := d.Plans, services
		if field == FieldService {
			values, others = d.Services, plans
		}
		if len(values) == 0 {
			continue
		}
		for _, v := range a.Versions {
			for _, c := range comps {
				for _, o := range others {
					if err := ctx.Err(); err != nil {
						return Result{}, err
					}
					base := Instance{Version: v.Name, Composition: c}
					m, errs := a.matrix(ctx, field, base, o, values)
					r.Errors = append(r.Errors, errs...)
					// A context no instance can be in (a service the composition does not offer)
					// has no changes to show.
					if len(m.Values) > 0 {
						all = append(all, m)
					}
				}
			}
		}
	}
	r.Matrices = merge(all)
	return r, nil
}

func orNone(vs []string) []string {
	if len(vs) == 0 {
		return []string{""}
	}
	return vs
}

// with is in holding value v of field, and o in the other field.
func with(in Instance, field, v, o string) Instance {
	if field == FieldPlan {
		in.Plan, in.Service = v, o
	} else {
		in.Service, in.Plan = v, o
	}
	return in
}

// matrix evaluates the changes of field in one context: base with other held at o.
func (a *API) matrix(ctx context.Context, field string, base Instance, o string, values []string) (Matrix, []EvalError) {
	m := Matrix{Field: field, Contexts: []Instance{with(base, field, "", o)}}
	var errs []EvalError
	for _, v := range values {
		in := with(base, field, v, o)
		vd := a.create(ctx, in)
		for _, e := range vd.errs {
			errs = append(errs, EvalError{To: in, Path: e.Path, Rule: e.Rule, Detail: e.Detail})
		}
		if len(vd.refusals) > 0 {
			if a.keptOnly(ctx, in, vd.refusals) {
				m.Values = append(m.Values, v)
				m.KeptOnly = append(m.KeptOnly, NotOffered{Value: v, Refusal: vd.refusals[0]})
				continue
			}
			m.NotOffered = append(m.NotOffered, NotOffered{Value: v, Refusal: vd.refusals[0]})
			continue
		}
		// A value whose create could not be evaluated may be offered: its changes are evaluated
		// too, so that every pair the rules fail on is reported.
		m.Values = append(m.Values, v)
	}
	for _, from := range m.Values {
		row := make([]Cell, 0, len(m.Values))
		for _, to := range m.Values {
			fi, ti := with(base, field, from, o), with(base, field, to, o)
			vd := a.update(ctx, fi, ti)
			for _, e := range vd.errs {
				errs = append(errs, EvalError{From: &fi, To: ti, Path: e.Path, Rule: e.Rule, Detail: e.Detail})
			}
			row = append(row, Cell{From: from, To: to, Allowed: len(vd.refusals) == 0 && len(vd.errs) == 0, Unevaluated: len(vd.errs) > 0, Refusals: vd.refusals})
		}
		m.Cells = append(m.Cells, row)
	}
	return m, errs
}

// merge keeps one matrix per field and content, with the contexts of every one that equals it, in
// the order they were computed.
func merge(ms []Matrix) []Matrix {
	var out []Matrix
	keys := map[string]int{}
	for _, m := range ms {
		k := key(m)
		if i, ok := keys[k]; ok {
			out[i].Contexts = append(out[i].Contexts, m.Contexts...)
			continue
		}
		keys[k] = len(out)
		out = append(out, m)
	}
	return out
}

func key(m Matrix) string {
	c := m
	c.Contexts = nil
	b, _ := json.Marshal(c) // plain data always marshals
	return string(b)
}

// keptOnly says whether a value refused on create is one existing instances keep: every rule that
// refuses it looks at the old object (a rule with optionalOldSelf, as a hidden plan's), and an
// instance holding it may keep it. Rules that do not look at the old object (an enum, an offering
// rule) refuse the value to every instance that changes it, and ratcheting alone lets an unchanged
// one through; such a value is not offered.
func (a *API) keptOnly(ctx context.Context, in Instance, refusals []Refusal) bool {
	for _, r := range refusals {
		if !strings.Contains(r.Rule, "oldSelf") {
			return false
		}
	}
	vd := a.update(ctx, in, in)
	return len(vd.refusals) == 0 && len(vd.errs) == 0
}
