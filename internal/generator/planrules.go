package generator

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
)

// Messages of the generated plan-change rules. They are Klutch's own wording, so generated APIs read
// like the hand-written ones app developers already know. MsgNoDownsizing is exported for the
// end-to-end test that expects the API server to refuse a downsizing with it.
const (
	MsgNoDownsizing = "Transition from bigger to smaller plan size is not supported."
	msgImmutable    = "Plan is an immutable field"
	msgRule         = "This plan change is not supported."
)

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
	return extv1.ValidationRule{Rule: strings.Join(terms, " && "), Message: MsgNoDownsizing}
}

// hiddenPlansRule keeps hidden plans for the instances that have them and refuses them to every
// other: it looks at the old object (optionalOldSelf, so that it runs on create too) and lets a
// plan through only unchanged, e.g.
// (oldSelf.hasValue() && oldSelf.value() == self) || !(self in ['a', 'b']).
func hiddenPlansRule(hidden []string) extv1.ValidationRule {
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

// The shapes of the generated plan rules, in canonical form (canonCEL: double-quoted strings, the
// redundant parentheses dropped).
var (
	termRe   = regexp.MustCompile(`!\(self\.contains\("([^"\\]*)"\) && oldSelf\.contains\("([^"\\]*)"\)\)`)
	keepRe   = regexp.MustCompile(`^oldSelf\.contains\("([^"\\]*)"\) == self\.contains\("([^"\\]*)"\)$`)
	hiddenRe = regexp.MustCompile(`^\(?oldSelf\.hasValue\(\) && oldSelf\.value\(\) == self\)? \|\| !\(self in \[(.*)\]\)$`)
	keepMsg  = regexp.MustCompile(`^Plan migrations not possible from Non-(.+) to (.+) and (.+) to Non-(.+)$`)
)

// ParseHiddenPlans returns the hidden plans whose rule hiddenPlansRule writes r, else nil.
func ParseHiddenPlans(r extv1.ValidationRule) []string {
	if r.OptionalOldSelf == nil || !*r.OptionalOldSelf {
		return nil
	}
	m := hiddenRe.FindStringSubmatch(canonCEL(r.Rule))
	if m == nil {
		return nil
	}
	var plans []string
	for _, q := range strings.Split(m[1], ",") {
		q = strings.TrimSpace(q)
		if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' || strings.ContainsAny(q[1:len(q)-1], `"\`) {
			return nil
		}
		plans = append(plans, q[1:len(q)-1])
	}
	if g := hiddenPlansRule(plans); canonCEL(g.Rule) != canonCEL(r.Rule) || g.Message != r.Message {
		return nil
	}
	return plans
}

// ParsePlanChange returns the declared plan change whose rule planRule writes r (a message other
// than the generated one kept as its Message), else r verbatim as a Rule.
func ParsePlanChange(r extv1.ValidationRule) v1alpha1.PlanChange {
	c := canonCEL(r.Rule)
	var candidates []v1alpha1.PlanChange
	switch {
	case c == "self == oldSelf":
		candidates = append(candidates, v1alpha1.PlanChange{Immutable: true})
	case keepRe.MatchString(c):
		m := keepRe.FindStringSubmatch(c)
		candidates = append(candidates, v1alpha1.PlanChange{Keep: &v1alpha1.Keep{Feature: m[1]}})
		if l := labelFromMessage(r.Message); l != "" {
			candidates = append(candidates, v1alpha1.PlanChange{Keep: &v1alpha1.Keep{Feature: m[1], Label: l}})
		}
	default:
		terms := termRe.FindAllStringSubmatch(c, -1)
		if len(terms) == 0 {
			break
		}
		if len(terms) == 1 && r.Message != MsgNoDownsizing {
			candidates = append(candidates, v1alpha1.PlanChange{OneWay: &v1alpha1.OneWay{From: terms[0][1], To: terms[0][2]}})
		}
		if n := sizesFrom(terms); n != nil {
			candidates = append(candidates, v1alpha1.PlanChange{NoDownsizing: n})
		}
	}
	for _, cand := range candidates {
		g := planRule(cand)
		if canonCEL(g.Rule) != c {
			continue
		}
		if g.Message != r.Message {
			cand.Message = r.Message
		}
		return cand
	}
	return v1alpha1.PlanChange{Rule: r.Rule, Message: r.Message}
}

// labelFromMessage is the feature label of a keep rule's generated message, "" for another message.
func labelFromMessage(m string) string {
	if g := keepMsg.FindStringSubmatch(m); g != nil && g[1] == g[2] && g[2] == g[3] && g[3] == g[4] {
		return g[1]
	}
	return ""
}

// sizesFrom rebuilds the size order and the sizes a no-downsizing rule covers from its terms
// "!(self.contains(small) && oldSelf.contains(big))".
func sizesFrom(terms [][]string) *v1alpha1.NoDownsizing {
	var to []string
	bigger := map[string][]string{}
	for _, t := range terms {
		if !slices.Contains(to, t[1]) {
			to = append(to, t[1])
		}
		bigger[t[1]] = append(bigger[t[1]], t[2])
	}
	// Order the sizes so that each covered size comes before those bigger than it and the bigger
	// ones keep the order the rule lists them in (a topological sort, ties by first appearance).
	var seen []string
	after := map[string][]string{}
	edge := func(a, b string) { after[a] = append(after[a], b) }
	for _, small := range to {
		seen = appendNew(seen, small)
		prev := small
		for i, b := range bigger[small] {
			seen = appendNew(seen, b)
			edge(small, b)
			if i > 0 {
				edge(prev, b)
			}
			prev = b
		}
	}
	indeg := map[string]int{}
	for _, bs := range after {
		for _, b := range bs {
			indeg[b]++
		}
	}
	var sizes []string
	for len(sizes) < len(seen) {
		next := ""
		for _, c := range seen {
			if indeg[c] == 0 && !slices.Contains(sizes, c) {
				next = c
				break
			}
		}
		if next == "" {
			return nil // contradictory terms: not a size order
		}
		sizes = append(sizes, next)
		for _, b := range after[next] {
			indeg[b]--
		}
	}
	n := &v1alpha1.NoDownsizing{Sizes: sizes}
	if !slices.Equal(to, sizes[:len(sizes)-1]) {
		n.To = to
	}
	return n
}

func appendNew(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// featureLabel names a plan feature in messages: short ones are acronyms (ssl: SSL), longer ones
// words (bionic: Bionic).
func featureLabel(f string) string {
	if utf8.RuneCountInString(f) <= 3 {
		return strings.ToUpper(f)
	}
	return strings.ToUpper(f[:1]) + f[1:]
}
