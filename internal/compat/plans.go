package compat

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/planmatrix"
)

// Kinds of plan and service changes, judged by what the API server answers rather than by the
// rules' text.
const (
	// PlanChangeRefused: a plan (or service) change existing claims could make is refused now.
	PlanChangeRefused Kind = "PlanChangeRefused"
	// PlanChangeAllowed: a change refused before is allowed now.
	PlanChangeAllowed Kind = "PlanChangeAllowed"
	// ValueRefused: a plan or service existing claims could hold is refused now by a rule on the field.
	ValueRefused Kind = "ValueRefused"
	// PlanHidden: a plan new claims could choose is kept for existing ones only.
	PlanHidden Kind = "PlanHidden"
	// RulesUnevaluable: the rules of some change cannot be evaluated (runtime error, cost budget),
	// so whether it is allowed is unknown.
	RulesUnevaluable Kind = "RulesUnevaluable"
)

// domainOf is what instances of an API may hold: the compositions, services and plans its XRD
// offers, read back as the resolved API (generator.ReadAPI: enums and offering rules of the
// referenceable version), with the Compositions given beside it.
func domainOf(a API) (planmatrix.Domain, error) {
	comps := make([]*unstructured.Unstructured, 0, len(a.Compositions))
	for _, c := range a.Compositions {
		comps = append(comps, c.Object)
	}
	ra, _, err := generator.ReadAPI(a.XRD.Object, comps)
	if err != nil {
		return planmatrix.Domain{}, errors.Wrap(err, a.XRD.Where)
	}
	return planmatrix.DomainOf(ra), nil
}

// planChanges compares which plan and service changes existing claims may make, by evaluating both
// XRDs' rules as the API server does over what either release offers (od, nd). It replaces the
// textual comparison of the rules on spec.plan and spec.service: a rule whose text changed is
// breaking only when something allowed before is refused now.
func (c *comparison) planChanges(old, next *unstructured.Unstructured, od, nd planmatrix.Domain) error {
	if len(od.Plans) == 0 && len(od.Services) == 0 && len(nd.Plans) == 0 && len(nd.Services) == 0 {
		return nil
	}
	oa, err := planmatrix.Load(old)
	if err != nil {
		return err
	}
	na, err := planmatrix.Load(next)
	if err != nil {
		return err
	}
	d := planmatrix.Union(od, nd)
	or, err := planmatrix.Compute(context.Background(), oa, d)
	if err != nil {
		return err
	}
	nr, err := planmatrix.Compute(context.Background(), na, d)
	if err != nil {
		return err
	}
	for _, s := range []struct {
		side string
		r    planmatrix.Result
	}{{"old", or}, {"new", nr}} {
		side, r := s.side, s.r
		for _, e := range r.Errors {
			c.breaking("spec."+fieldOf(e.Path), RulesUnevaluable, "the %s rules cannot be evaluated on %s, so whether the API server allows it is unknown: %s (rule: `%s`)", side, pairOf(e), e.Detail, e.Rule)
		}
	}
	cmp := planmatrix.Compare(or, nr)
	// Moves to a plan kept for existing instances only are refused by the rule that keeps it: that
	// is what retiring a plan means, and the instances that have it keep working (removing the plan
	// instead would break them). They are reported with the hidden plan, as safe.
	keeps := map[planmatrix.Refusal]bool{}
	for _, dl := range cmp.KeptOnly {
		if dl.Refusal != nil {
			keeps[*dl.Refusal] = true
		}
	}
	var refused, toHidden []planmatrix.Delta
	for _, dl := range cmp.NewlyRefused {
		if dl.Refusal != nil && keeps[*dl.Refusal] {
			toHidden = append(toHidden, dl)
			continue
		}
		refused = append(refused, dl)
	}
	for _, g := range groupDeltas(toHidden) {
		c.safe("spec."+g.field, PlanHidden, "%s to hidden plans %s refused now: %s (%s), by %s",
			count(len(g.pairs), g.field+" change"), isAre(len(g.pairs)), strings.Join(g.pairs, ", "), g.where, refusalText(g.refusal))
	}
	for _, g := range groupDeltas(refused) {
		c.breaking("spec."+g.field, PlanChangeRefused, "%s existing claims could make %s refused now: %s (%s) by %s",
			count(len(g.pairs), g.field+" change"), isAre(len(g.pairs)), strings.Join(g.pairs, ", "), g.where, refusalText(g.refusal))
	}
	for _, g := range groupDeltas(cmp.NewlyAllowed) {
		c.safe("spec."+g.field, PlanChangeAllowed, "%s refused before %s allowed now: %s (%s), refused before by %s",
			count(len(g.pairs), g.field+" change"), isAre(len(g.pairs)), strings.Join(g.pairs, ", "), g.where, refusalText(g.refusal))
	}
	// A value an enum or an offering rule no longer lists is reported as a removed plan or service;
	// what is left are values a rule on the field itself now refuses.
	var byRule []planmatrix.Delta
	for _, dl := range cmp.NoLongerOffered {
		if dl.Refusal != nil && dl.Refusal.Rule != "" && dl.Refusal.Path == "spec."+dl.Field {
			byRule = append(byRule, dl)
		}
	}
	var kept []planmatrix.Delta
	for _, dl := range cmp.KeptOnly {
		if dl.Refusal != nil && dl.Refusal.Path == "spec."+dl.Field {
			kept = append(kept, dl)
		}
	}
	for _, g := range groupDeltas(kept) {
		c.safe("spec."+g.field, PlanHidden, "%s no longer offered to new claims, kept by existing ones: %s (%s), by %s",
			count(len(g.pairs), g.field), strings.Join(g.pairs, ", "), g.where, refusalText(g.refusal))
	}
	for _, g := range groupDeltas(byRule) {
		c.breaking("spec."+g.field, ValueRefused, "%s existing claims could hold %s refused now: %s (%s) by %s",
			count(len(g.pairs), g.field), isAre(len(g.pairs)), strings.Join(g.pairs, ", "), g.where, refusalText(g.refusal))
	}
	return nil
}

// deltaGroup is the deltas of one field refused (or allowed) by one rule, its pairs once each.
type deltaGroup struct {
	field   string
	refusal planmatrix.Refusal
	pairs   []string
	where   string
}

// groupDeltas groups deltas by field and rule, in the order they come, listing each pair once and
// the contexts they apply in.
func groupDeltas(ds []planmatrix.Delta) []deltaGroup {
	var out []deltaGroup
	contexts := map[int][]planmatrix.Instance{}
	for _, d := range ds {
		r := planmatrix.Refusal{}
		if d.Refusal != nil {
			r = *d.Refusal
		}
		i := slices.IndexFunc(out, func(g deltaGroup) bool {
			return g.field == d.Field && g.refusal.Path == r.Path && g.refusal.Rule == r.Rule && g.refusal.Message == r.Message
		})
		if i < 0 {
			out = append(out, deltaGroup{field: d.Field, refusal: r})
			i = len(out) - 1
		}
		p := d.To
		if d.From != "" {
			p = d.From + " → " + d.To
		}
		if !slices.Contains(out[i].pairs, p) {
			out[i].pairs = append(out[i].pairs, p)
		}
		if !slices.Contains(contexts[i], d.Context) {
			contexts[i] = append(contexts[i], d.Context)
		}
	}
	for i := range out {
		out[i].where = contextsText(out[i].field, contexts[i])
	}
	return out
}

// contextsText says where deltas apply: versions, compositions and the values of the other field.
func contextsText(field string, cs []planmatrix.Instance) string {
	var versions, comps, others []string
	for _, c := range cs {
		o := c.Service
		if field == planmatrix.FieldService {
			o = c.Plan
		}
		for _, x := range []struct {
			list *[]string
			v    string
		}{{&versions, c.Version}, {&comps, c.Composition}, {&others, o}} {
			if x.v != "" && !slices.Contains(*x.list, x.v) {
				*x.list = append(*x.list, x.v)
			}
		}
	}
	other := "service"
	if field == planmatrix.FieldService {
		other = "plan"
	}
	parts := []string{plural("version", versions)}
	if len(comps) > 0 {
		parts = append(parts, plural("composition", comps))
	}
	if len(others) > 0 {
		parts = append(parts, plural(other, others))
	}
	return strings.Join(parts, "; ")
}

func plural(noun string, vs []string) string {
	if len(vs) == 1 {
		return noun + " " + vs[0]
	}
	return noun + "s " + strings.Join(vs, ", ")
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func isAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// refusalText names a refusal whole: its message and, for a rule, the rule.
func refusalText(r planmatrix.Refusal) string {
	if r.Rule == "" {
		return fmt.Sprintf("the schema of %s: %s", r.Path, r.Message)
	}
	return fmt.Sprintf("the rule on %s %q (`%s`)", r.Path, r.Message, strings.Join(strings.Fields(r.Rule), " "))
}

func fieldOf(path string) string {
	_, f, _ := strings.Cut(path, "spec.")
	if f == "" {
		return "plan"
	}
	return f
}

func pairOf(e planmatrix.EvalError) string {
	if e.From == nil {
		return "creating " + e.To.String()
	}
	return fmt.Sprintf("changing %s to %s", e.From.String(), e.To.String())
}
