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
//
// Each distinct question is asked of the API server's validation once: versions whose schemas are
// the same are evaluated as one and their contexts share the answers, and an instance created
// (or kept) is evaluated once for the plan and the service matrices that both hold it. What is
// left grows with the grids (n values of a field in a context take n² changes): Compute counts
// it before it asks, and refuses beyond MaxEvaluations (TooLargeError) instead of running for
// hours; and it stops once its evaluations have spent MaxCPU, which rules that cost more than
// their size says reach first.
func Compute(ctx context.Context, a *API, d Domain) (Result, error) {
	r := Result{API: a.Name, Group: a.Group, Kind: a.Kind, Domain: d}
	groups := a.versionGroups()
	if !d.Empty() {
		if err := checkCreates(a, groups, d); err != nil {
			return Result{}, err
		}
	}
	e := &evaluation{a: a, created: map[Instance]verdict{}, kept: map[Instance]verdict{}, start: a.clock()}
	// The contexts of one version of each group, in the order their matrices are shown.
	firsts := make([]string, len(groups))
	group := map[string]string{}
	for i, g := range groups {
		firsts[i] = g[0]
		for _, v := range g {
			group[v] = g[0]
		}
	}
	var cs []*evalContext
	byKey := map[ctxKey]*evalContext{}
	err := eachContext(d, firsts, func(k ctxKey, values []string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		ec := &evalContext{field: k.field, base: Instance{Version: k.version, Composition: k.composition}, other: k.other}
		e.values(ctx, ec, values)
		if e.err != nil {
			return e.err
		}
		cs = append(cs, ec)
		byKey[k] = ec
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	if err := checkChanges(a, e.work, cs); err != nil {
		return Result{}, err
	}
	for _, ec := range cs {
		if err := e.cells(ctx, ec); err != nil {
			return Result{}, err
		}
	}
	if e.err != nil {
		return Result{}, e.err
	}
	// Every version shows its group's answers, in the order versions are served.
	served := make([]string, len(a.Versions))
	for i, v := range a.Versions {
		served[i] = v.Name
	}
	var all []keyed
	_ = eachContext(d, served, func(k ctxKey, _ []string) error {
		version := k.version
		k.version = group[version]
		ec := byKey[k]
		r.Errors = append(r.Errors, inVersion(ec.errs, version)...)
		// A context no instance can be in (a service the composition does not offer) has no
		// changes to show.
		if len(ec.m.Values) > 0 {
			if ec.key == "" {
				ec.key = key(ec.m)
			}
			m := ec.m
			m.Contexts = []Instance{with(Instance{Version: version, Composition: k.composition}, k.field, "", k.other)}
			all = append(all, keyed{m, ec.key})
		}
		return nil
	})
	r.Matrices = merge(all)
	return r, nil
}

// eachContext calls fn with each context of d's matrices in versions, in the order they are
// shown: the plan's, then the service's; by version, composition and value of the other field.
// values are the field's values in d.
func eachContext(d Domain, versions []string, fn func(k ctxKey, values []string) error) error {
	for _, field := range []string{FieldPlan, FieldService} {
		values, others := d.Plans, orNone(d.Services)
		if field == FieldService {
			values, others = d.Services, orNone(d.Plans)
		}
		if len(values) == 0 {
			continue
		}
		for _, v := range versions {
			for _, c := range orNone(d.Compositions) {
				for _, o := range others {
					if err := fn(ctxKey{field, v, c, o}, values); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
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

// evaluation asks the API server's validation each question of one Compute once.
type evaluation struct {
	a *API
	// created is the verdict on each instance created, kept on each instance updated to itself
	// (a plan kept by an existing instance, and the diagonal of every grid).
	created, kept map[Instance]verdict
	// work is what was evaluated, each evaluation weighed (MaxEvaluations).
	work float64
	// n counts the evaluations; start is the CPU time when they began (MaxCPU).
	n     int
	start instant
	// err is why the evaluations stopped: once it is set, every question is left unasked.
	err error
}

// spend counts one evaluation of v, or says that the evaluations went past MaxCPU and stop.
func (e *evaluation) spend(v *Version) bool {
	if e.err == nil {
		e.err = checkCPU(e.a, e.start, e.n)
	}
	if e.err != nil {
		return false
	}
	e.work += v.weight()
	e.n++
	return true
}

func (e *evaluation) create(ctx context.Context, in Instance) verdict {
	if v, ok := e.created[in]; ok {
		return v
	}
	if !e.spend(e.a.version(in.Version)) {
		return verdict{}
	}
	v := e.a.create(ctx, in)
	e.created[in] = v
	return v
}

func (e *evaluation) update(ctx context.Context, from, to Instance) verdict {
	if v, ok := e.kept[to]; ok && from == to {
		return v
	}
	if !e.spend(e.a.version(to.Version)) {
		return verdict{}
	}
	v := e.a.update(ctx, from, to)
	if from != to {
		return v
	}
	e.kept[to] = v
	return v
}

// ctxKey names a context: a field, the version evaluated, the composition and the other field's
// value.
type ctxKey struct{ field, version, composition, other string }

// evalContext is the matrix of one field in one context (base with the other field held at
// other), as it is evaluated.
type evalContext struct {
	field string
	base  Instance
	other string
	m     Matrix
	errs  []EvalError
	// key is m's content, once it is evaluated: contexts with the same share one matrix.
	key string
}

// values evaluates which values an instance may hold in a context: created, or kept by existing
// instances only.
func (e *evaluation) values(ctx context.Context, ec *evalContext, values []string) {
	m := &ec.m
	m.Field = ec.field
	for _, v := range values {
		in := with(ec.base, ec.field, v, ec.other)
		vd := e.create(ctx, in)
		for _, x := range vd.errs {
			ec.errs = append(ec.errs, EvalError{To: in, Path: x.Path, Rule: x.Rule, Detail: x.Detail})
		}
		if len(vd.refusals) > 0 {
			if e.keptOnly(ctx, in, vd.refusals) {
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
}

// cells evaluates every change between the values a context holds.
func (e *evaluation) cells(ctx context.Context, ec *evalContext) error {
	m := &ec.m
	m.Cells = make([][]Cell, 0, len(m.Values))
	for _, from := range m.Values {
		row := make([]Cell, 0, len(m.Values))
		for _, to := range m.Values {
			// A grid can take long: Ctrl-C, or MaxCPU, stops it between two changes.
			if err := ctx.Err(); err != nil {
				return err
			}
			if e.err != nil {
				return e.err
			}
			fi, ti := with(ec.base, ec.field, from, ec.other), with(ec.base, ec.field, to, ec.other)
			vd := e.update(ctx, fi, ti)
			for _, x := range vd.errs {
				ec.errs = append(ec.errs, EvalError{From: &fi, To: ti, Path: x.Path, Rule: x.Rule, Detail: x.Detail})
			}
			row = append(row, Cell{From: from, To: to, Allowed: len(vd.refusals) == 0 && len(vd.errs) == 0, Unevaluated: len(vd.errs) > 0, Refusals: vd.refusals})
		}
		m.Cells = append(m.Cells, row)
	}
	return nil
}

// inVersion is errs as a version of the group they were evaluated for says them.
func inVersion(errs []EvalError, version string) []EvalError {
	out := make([]EvalError, len(errs))
	for i, x := range errs {
		x.To.Version = version
		if x.From != nil {
			from := *x.From
			from.Version = version
			x.From = &from
		}
		out[i] = x
	}
	return out
}

// keyed is a matrix with its key.
type keyed struct {
	m   Matrix
	key string
}

// merge keeps one matrix per field and content, with the contexts of every one that equals it, in
// the order they were computed.
func merge(ms []keyed) []Matrix {
	var out []Matrix
	keys := map[string]int{}
	for _, km := range ms {
		if i, ok := keys[km.key]; ok {
			out[i].Contexts = append(out[i].Contexts, km.m.Contexts...)
			continue
		}
		keys[km.key] = len(out)
		out = append(out, km.m)
	}
	return out
}

// key is what a matrix says beside its contexts, the same for matrices that say the same.
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
func (e *evaluation) keptOnly(ctx context.Context, in Instance, refusals []Refusal) bool {
	for _, r := range refusals {
		if !strings.Contains(r.Rule, "oldSelf") {
			return false
		}
	}
	vd := e.update(ctx, in, in)
	return len(vd.refusals) == 0 && len(vd.errs) == 0
}
