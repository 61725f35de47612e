package generator

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/function-dataservice/function-dataservice/internal/resolved"
)

// The rules of spec.plan: plan-change rules and hidden plans, checked against the plans the
// compositions offer however they are declared (a rule of validate.go's registry).

// validatePlanChanges checks the plan-change rules and hidden plans against the plans the
// compositions offer, however they are declared.
func (m *model) validatePlanChanges() field.ErrorList {
	if m.spec.Plan == nil {
		return nil
	}
	p := specPath.Child("plan", "changes")
	var errs field.ErrorList
	plans := m.Offered(resolved.FieldPlan)
	inPlans := func(tok string) bool {
		for _, pl := range plans {
			if strings.Contains(pl, tok) {
				return true
			}
		}
		return false
	}
	checkToken := func(tp *field.Path, tok, what string) {
		switch {
		case tok == "":
			errs = append(errs, field.Required(tp, "name the "+what+" as a substring of plan names"))
		case !planToken.MatchString(tok):
			errs = append(errs, field.Invalid(tp, tok, "may hold only letters, digits, '.', '_' and '-'"))
		case !inPlans(tok):
			errs = append(errs, field.Invalid(tp, tok, fmt.Sprintf("no plan name contains %q: a %s must be a substring of plan names, e.g. %s", tok, what, examplePlan(plans))))
		}
	}
	hp := field.NewPath("spec", "plan", "hidden")
	for i, h := range m.spec.Plan.Hidden {
		if !slices.Contains(plans, h) {
			errs = append(errs, field.NotFound(hp.Index(i), h))
		}
		if slices.Contains(m.spec.Plan.Hidden[:i], h) {
			errs = append(errs, field.Duplicate(hp.Index(i), h))
		}
	}
	for i, c := range m.spec.Plan.Changes {
		cp := p.Index(i)
		set := 0
		if n := c.NoDownsizing; n != nil {
			set++
			seen := map[string]bool{}
			for j, sz := range n.Sizes {
				checkToken(cp.Child("noDownsizing", "sizes").Index(j), sz, "size")
				if seen[sz] {
					errs = append(errs, field.Duplicate(cp.Child("noDownsizing", "sizes").Index(j), sz))
				}
				seen[sz] = true
			}
			if len(n.Sizes) < 2 {
				errs = append(errs, field.Invalid(cp.Child("noDownsizing", "sizes"), n.Sizes, "list at least two sizes, smallest first, e.g. [nano, small, big]"))
			}
			for j, t := range n.To {
				if !seen[t] {
					errs = append(errs, field.NotFound(cp.Child("noDownsizing", "to").Index(j), t))
				} else if t == n.Sizes[len(n.Sizes)-1] {
					errs = append(errs, field.Invalid(cp.Child("noDownsizing", "to").Index(j), t, "nothing is bigger than the biggest size: remove it"))
				}
			}
		}
		if o := c.OneWay; o != nil {
			set++
			checkToken(cp.Child("oneWay", "from"), o.From, "plan family")
			checkToken(cp.Child("oneWay", "to"), o.To, "plan family")
		}
		if k := c.Keep; k != nil {
			set++
			checkToken(cp.Child("keep", "feature"), k.Feature, "plan feature")
		}
		if c.Immutable {
			set++
		}
		if c.Rule != "" {
			set++
		}
		if set != 1 {
			errs = append(errs, field.Invalid(cp, set, "set exactly one of noDownsizing, oneWay, keep, immutable or rule"))
		}
	}
	return errs
}

func examplePlan(plans []string) string {
	if len(plans) == 0 {
		return "(no plans are declared)"
	}
	return plans[0]
}
