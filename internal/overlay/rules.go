package overlay

import (
	"fmt"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
)

// Errors and notes of the plan-change rules an overlay keeps in step.
const (
	errTokenRenamedAway = "spec.plan.changes[%d].%s %q: the plans that had it (%s) are renamed to %s, which do not: the rule would no longer apply to them; keep %q in the new names, or rewrite the rule with spec.merge"
	noteTokenDropped    = "spec.plan.changes[%d].%s: dropped %q, which no plan has once %s are removed"
	noteRuleDropped     = "spec.plan.changes[%d] (%s) is dropped: %s"
)

// tokenState is what became of a plan-name substring of a rule (a size, family or feature).
type tokenState int

const (
	tokenKept      tokenState = iota // some plan still has it, or none had it before
	tokenRemoved                     // every plan that had it is removed
	tokenRenamedOf                   // plans that had it are renamed to names without it
)

// keepRulesInStep keeps the plan-change rules in step with the plans an overlay leaves: a size,
// family or feature no plan has any more because its plans are removed is dropped from its rule,
// and a rule left with nothing to say is dropped, each said in a note; one that renamed plans no
// longer have is an error naming the rule, never a rule dropped silently. before and after are what
// each composition offers before and after the edits; to says what a plan is renamed to.
func keepRulesInStep(s *v1alpha1.DataServiceSpec, before, after [][]string, removed map[string]bool, to func(string) (string, bool)) ([]string, []error) {
	if s.Plan == nil || len(s.Plan.Changes) == 0 {
		return nil, nil
	}
	flat := func(ls [][]string) []string {
		var out []string
		for _, l := range ls {
			for _, v := range l {
				if !slices.Contains(out, v) {
					out = append(out, v)
				}
			}
		}
		return out
	}
	was, now := flat(before), flat(after)
	var errs []error
	var notes []string
	state := func(i int, where, tok string) tokenState {
		var had []string
		for _, p := range was {
			if strings.Contains(p, tok) {
				had = append(had, p)
			}
		}
		if len(had) == 0 || slices.ContainsFunc(now, func(p string) bool { return strings.Contains(p, tok) }) {
			return tokenKept
		}
		var renamed, names []string
		for _, p := range had {
			if removed[p] {
				continue
			}
			renamed = append(renamed, p)
			t, _ := to(p)
			names = append(names, t)
		}
		if len(renamed) == 0 {
			return tokenRemoved
		}
		errs = append(errs, errors.Errorf(errTokenRenamedAway, i, where, tok, strings.Join(renamed, ", "), strings.Join(names, ", "), tok))
		return tokenRenamedOf
	}
	var kept []v1alpha1.PlanChange
	for i, c := range s.Plan.Changes {
		drop := ""
		switch {
		case c.NoDownsizing != nil:
			n := c.NoDownsizing
			sizes := n.Sizes[:0:0]
			for _, sz := range n.Sizes {
				if state(i, "noDownsizing.sizes", sz) == tokenRemoved {
					notes = append(notes, fmt.Sprintf(noteTokenDropped, i, "noDownsizing.sizes", sz, "the plans with it"))
					continue
				}
				sizes = append(sizes, sz)
			}
			n.Sizes = sizes
			if len(n.Sizes) < 2 {
				drop = "fewer than two sizes are left"
				break
			}
			split := len(n.To) > 0
			biggest := n.Sizes[len(n.Sizes)-1]
			n.To = slices.DeleteFunc(n.To, func(x string) bool { return !slices.Contains(n.Sizes, x) || x == biggest })
			if split && len(n.To) == 0 {
				drop = "no size it covers is left (an empty to would cover every size)"
			}
		case c.OneWay != nil:
			if state(i, "oneWay.from", c.OneWay.From) == tokenRemoved || state(i, "oneWay.to", c.OneWay.To) == tokenRemoved {
				drop = "no plan of one of its families is left"
			}
		case c.Keep != nil:
			if state(i, "keep.feature", c.Keep.Feature) == tokenRemoved {
				drop = "no plan has the feature any more"
			}
		}
		if drop != "" {
			notes = append(notes, fmt.Sprintf(noteRuleDropped, i, ruleName(c), drop))
			continue
		}
		kept = append(kept, c)
	}
	s.Plan.Changes = kept
	return notes, errs
}

// ruleName names a plan-change rule in notes.
func ruleName(c v1alpha1.PlanChange) string {
	switch {
	case c.NoDownsizing != nil:
		return "noDownsizing " + strings.Join(c.NoDownsizing.Sizes, " < ")
	case c.OneWay != nil:
		return fmt.Sprintf("oneWay %s to %s", c.OneWay.From, c.OneWay.To)
	case c.Keep != nil:
		return "keep " + c.Keep.Feature
	}
	return "rule"
}
