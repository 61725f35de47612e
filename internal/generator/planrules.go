package generator

import (
	"fmt"
	"strings"
	"unicode/utf8"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
)

// Messages of the generated plan-change rules. They are Klutch's own wording, so generated APIs read
// like the hand-written ones app developers already know.
const (
	msgNoDownsizing = "Transition from bigger to smaller plan size is not supported."
	msgImmutable    = "Plan is an immutable field"
	msgRule         = "This plan change is not supported."
)

// PlanChangeRule is the CEL rule and message the generator writes for a plan change. Exported so
// that import can recognise generated rules.
func PlanChangeRule(c v1alpha1.PlanChange) (rule, message string) {
	r := planRule(c)
	return r.Rule, r.Message
}

// MsgNoDownsizing is the message of a generated no-downsizing rule.
const MsgNoDownsizing = msgNoDownsizing

// planRule turns one declared plan change into a CEL transition rule on spec.plan, where self is the
// new plan and oldSelf the old one. Plan features are substrings of plan names, as in Klutch's plans
// (mongodbsspl-replica-small-ssl).
func planRule(c v1alpha1.PlanChange) extv1.ValidationRule {
	var r extv1.ValidationRule
	switch {
	case c.NoDownsizing != nil:
		r = noDownsizingRule(c.NoDownsizing)
	case c.OneWay != nil:
		r = extv1.ValidationRule{
			Rule:    fmt.Sprintf("!(self.contains(%s) && oldSelf.contains(%s))", celString(c.OneWay.From), celString(c.OneWay.To)),
			Message: fmt.Sprintf("Migration from %s to %s plans is not supported.", strings.Trim(c.OneWay.To, "-"), strings.Trim(c.OneWay.From, "-")),
		}
	case c.Keep != nil:
		l := c.Keep.Label
		if l == "" {
			l = featureLabel(c.Keep.Feature)
		}
		r = extv1.ValidationRule{
			Rule:    fmt.Sprintf("oldSelf.contains(%[1]s) == self.contains(%[1]s)", celString(c.Keep.Feature)),
			Message: fmt.Sprintf("Plan migrations not possible from Non-%[1]s to %[1]s and %[1]s to Non-%[1]s", l),
		}
	case c.Immutable:
		r = extv1.ValidationRule{Rule: "self == oldSelf", Message: msgImmutable}
	default:
		r = extv1.ValidationRule{Rule: c.Rule, Message: msgRule}
	}
	if c.Message != "" {
		r.Message = c.Message
	}
	return r
}

// noDownsizingRule forbids, for each size in To, moving there from any bigger size:
// !(self.contains('nano') && oldSelf.contains('small')) && ….
func noDownsizingRule(n *v1alpha1.NoDownsizing) extv1.ValidationRule {
	to := n.To
	if len(n.Sizes) < 2 {
		return extv1.ValidationRule{} // reported by resolve
	}
	if len(to) == 0 {
		to = n.Sizes[:len(n.Sizes)-1]
	}
	var terms []string
	for _, small := range to {
		bigger := false
		for _, sz := range n.Sizes {
			if bigger {
				terms = append(terms, fmt.Sprintf("!(self.contains(%s) && oldSelf.contains(%s))", celString(small), celString(sz)))
			}
			if sz == small {
				bigger = true
			}
		}
	}
	return extv1.ValidationRule{Rule: strings.Join(terms, " && "), Message: msgNoDownsizing}
}

// HiddenPlansRule keeps hidden plans for the instances that have them and refuses them to every
// other: it looks at the old object (optionalOldSelf, so that it runs on create too) and lets a
// plan through only unchanged, e.g.
// (oldSelf.hasValue() && oldSelf.value() == self) || !(self in ['a', 'b']).
func HiddenPlansRule(hidden []string) extv1.ValidationRule {
	quoted := make([]string, len(hidden))
	for i, h := range hidden {
		quoted[i] = celString(h)
	}
	return extv1.ValidationRule{
		Rule:            fmt.Sprintf("(oldSelf.hasValue() && oldSelf.value() == self) || !(self in [%s])", strings.Join(quoted, ", ")),
		Message:         fmt.Sprintf("Plan no longer offered (kept only for instances that have it): %s", strings.Join(hidden, ", ")),
		OptionalOldSelf: ptrTo(true),
	}
}

// featureLabel names a plan feature in messages: short ones are acronyms (ssl: SSL), longer ones
// words (bionic: Bionic).
func featureLabel(f string) string {
	if utf8.RuneCountInString(f) <= 3 {
		return strings.ToUpper(f)
	}
	return strings.ToUpper(f[:1]) + f[1:]
}

// celQuote escapes a CEL single-quoted string. Built once: a Replacer compiles its table on first
// use, and celString runs for every plan rule on every reconcile.
var celQuote = strings.NewReplacer(`\`, `\\`, `'`, `\'`)

// celString quotes s as a CEL string literal.
func celString(s string) string {
	return "'" + celQuote.Replace(s) + "'"
}
