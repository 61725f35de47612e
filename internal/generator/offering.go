package generator

import (
	"fmt"
	"regexp"
	"strings"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/function-dataservice/function-dataservice/internal/resolved"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// The spec-level rules that say what each composition offers (services, plans, parameters only
// some take), each writer beside the parser that reads what it wrote back.

// selectedComposition is the CEL expression of the composition an instance selects, as the
// generated rules compare it. A claim (or v2 composite) may name none, and Crossplane selects the
// XRD's default for it only after admission: unless the spec requires a reference, an instance
// without one is validated as the default composition's, instead of failing with "no such key:
// compositionRef" as a bare reference would.
func selectedComposition(l xpline.Line, defaultComposition string, required bool) string {
	if required || defaultComposition == "" {
		return l.CompositionRefPath
	}
	ref := strings.TrimSuffix(l.CompositionRefPath, ".name") // self.compositionRef, self.crossplane.compositionRef
	guard := "has(" + ref + ")"
	if parent := ref[:strings.LastIndex(ref, ".")]; parent != "self" {
		guard = "has(" + parent + ") && " + guard
	}
	return fmt.Sprintf("(%s ? %s : %s)", guard, l.CompositionRefPath, celString(defaultComposition))
}

// refExpr matches the composition reference of selectedComposition, bare or defaulted, as written
// or as semantic.CanonicalCEL prints it; the default's literal is its groups 1 and 2.
const refExpr = `(?:self(?:\.crossplane)?\.compositionRef\.name|\(\s*\(?\s*(?:has\(self\.crossplane\)\s*&&\s*)?has\(self(?:\.crossplane)?\.compositionRef\)\s*\)?\s*\?\s*self(?:\.crossplane)?\.compositionRef\.name\s*:\s*` + celLit + `\s*\))`

var (
	refRE = regexp.MustCompile(`^` + refExpr + `\s*==\s*` + celLit + `$`)
	altRE = regexp.MustCompile(`^self\.([A-Za-z_][A-Za-z0-9_]*)\s*==\s*` + celLit + `$`)
	// comparedRE is a comparison of the composition reference with a name, anywhere in a rule.
	comparedRE = regexp.MustCompile(refExpr + `\s*==\s*` + celLit)
	// bareRefRE is a reference without a default: an instance that names no composition fails it.
	bareRefRE = regexp.MustCompile(`self\.(?:crossplane\.)?compositionRef\.name\s*==`)
)

// ComparedCompositions lists the composition names a rule compares the composition reference with
// (bare or defaulted, on either line, however it is spaced or quoted), in the rule's order; "" where
// a rule tests for no composition selected. The importer and the compatibility check learn from it
// which compositions hand-written rules name.
func ComparedCompositions(rule string) []string {
	var out []string
	for _, m := range comparedRE.FindAllStringSubmatch(canonCEL(rule), -1) {
		out = append(out, unquoteCEL(m[len(m)-2]+m[len(m)-1]))
	}
	return out
}

// offeringRule is the spec-level rule that says, per composition, which values of a field it
// offers: (ref == 'a' && (self.plan == 'x' || …)) || (ref == 'b' && …). ref is the CEL path of the
// composition reference.
func offeringRule(ref, fieldName string, cs []resolved.Composition) string {
	terms := make([]string, 0, len(cs))
	for _, c := range cs {
		r := fmt.Sprintf("%s == %s", ref, celString(c.Name))
		vs := c.Offers(fieldName)
		if len(vs) == 0 {
			terms = append(terms, "("+r+")")
			continue
		}
		alts := make([]string, len(vs))
		for i, v := range vs {
			alts[i] = fmt.Sprintf("self.%s == %s", fieldName, celString(v))
		}
		terms = append(terms, fmt.Sprintf("(%s && (%s))", r, strings.Join(alts, " || ")))
	}
	return strings.Join(terms, " || ")
}

// offeringMessage is the message of an offering rule on fieldName of the DataService name, in
// Klutch's wording.
func offeringMessage(fieldName, name string) string {
	return "Unsupported " + fieldName + " used for " + name
}

var offeringMsgRE = regexp.MustCompile(`^Unsupported (service|plan) used for (.+)$`)

// An Offering is what a generated offering rule says.
type Offering struct {
	// Field is the field the rule constrains: service or plan.
	Field string
	// Name is the DataService's name, as the message says it.
	Name string
	// Values are, per composition, the values it offers (nil: any); Order lists the compositions
	// in the rule's order.
	Values map[string][]string
	Order  []string
	// RequiresRef says the rule reads the composition reference without a default, as
	// spec.requireCompositionRef (or no default composition) writes it.
	RequiresRef bool
}

// ParseOffering reads r back when it is an offering rule the generator writes, message and rule,
// for a DataService on either line whose default composition is defaultComposition: ok is false
// for any other rule, even one ParseOfferingRule reads.
func ParseOffering(r extv1.ValidationRule, defaultComposition string) (o Offering, ok bool) {
	m := offeringMsgRE.FindStringSubmatch(r.Message)
	if m == nil {
		return Offering{}, false
	}
	f, by, order, ok := ParseOfferingRule(r.Rule)
	if !ok || f != m[1] {
		return Offering{}, false
	}
	cs := make([]resolved.Composition, len(order))
	for i, n := range order {
		cs[i] = resolved.Composition{Name: n, Services: by[n], Plans: by[n]}
	}
	want := canonCEL(r.Rule)
	for _, l := range xpline.All {
		for _, required := range []bool{true, false} {
			got := offeringRule(selectedComposition(l, defaultComposition, required), f, cs)
			if canonCEL(got) == want {
				return Offering{Field: f, Name: m[2], Values: by, Order: order, RequiresRef: bareRefRE.MatchString(want)}, true
			}
		}
	}
	return Offering{}, false
}

// exclusiveParameterRule is the spec-level rule that rejects a parameter unless the instance
// selects the one composition that supports it; others are the compositions that do not.
func exclusiveParameterRule(ref, param, composition string, others []string) extv1.ValidationRule {
	return extv1.ValidationRule{
		Rule:    fmt.Sprintf("!(has(self.parameters) && has(self.parameters.%s)) || %s == %s", param, ref, celString(composition)),
		Message: fmt.Sprintf("parameters.%s is not supported for %s", param, strings.Join(others, ", ")),
	}
}

var exclusiveRE = regexp.MustCompile(`^!\(has\(self\.parameters\) && has\(self\.parameters\.([A-Za-z0-9_]+)\)\) \|\| ` + refExpr + ` == "([^"\\]*)"$`)

// An ExclusiveParameter is what an exclusive-parameter rule says: Parameter is supported by
// Composition only.
type ExclusiveParameter struct {
	Parameter, Composition string
	// RequiresRef says the rule reads the composition reference without a default.
	RequiresRef bool
}

// ParseExclusiveParameter reads r back when it has the shape of a rule exclusiveParameterRule
// writes (its message naming the same parameter), else ok is false.
func ParseExclusiveParameter(r extv1.ValidationRule) (e ExclusiveParameter, ok bool) {
	c := canonCEL(r.Rule)
	m := exclusiveRE.FindStringSubmatch(c)
	if m == nil || !strings.HasPrefix(r.Message, "parameters."+m[1]+" is not supported for ") {
		return ExclusiveParameter{}, false
	}
	return ExclusiveParameter{Parameter: m[1], Composition: m[4], RequiresRef: bareRefRE.MatchString(c)}, true
}

// ParseOfferingRule reads a rule offeringRule writes, on either line, however it is spaced or
// folded and with single- or double-quoted strings (as semantic.CanonicalCEL prints them): the
// field it constrains and, per composition in the rule's order, the values it allows (nil: any).
// ok is false for any other rule. The importer and the compatibility check read offerings with it.
func ParseOfferingRule(rule string) (field string, by map[string][]string, order []string, ok bool) {
	by = map[string][]string{}
	for _, term := range splitTop(rule, "||") {
		inner, ok := stripParens(term)
		if !ok {
			return "", nil, nil, false
		}
		parts := splitTop(inner, "&&")
		if len(parts) > 2 {
			return "", nil, nil, false
		}
		m := refRE.FindStringSubmatch(strings.TrimSpace(parts[0]))
		if m == nil {
			return "", nil, nil, false
		}
		comp := unquoteCEL(m[3] + m[4])
		if _, seen := by[comp]; !seen {
			order = append(order, comp)
			by[comp] = nil
		}
		if len(parts) == 1 {
			continue
		}
		alts, ok := stripParens(parts[1])
		if !ok {
			alts = parts[1] // a single comparison needs no parentheses
		}
		for _, alt := range splitTop(alts, "||") {
			a := altRE.FindStringSubmatch(strings.TrimSpace(alt))
			if a == nil || (field != "" && a[1] != field) {
				return "", nil, nil, false
			}
			field = a[1]
			by[comp] = append(by[comp], unquoteCEL(a[2]+a[3]))
		}
	}
	return field, by, order, field != ""
}

// splitTop splits s at op where it is outside parentheses and string literals.
func splitTop(s, op string) []string {
	var out []string
	start := 0
	scanTop(s, func(i, depth int) int {
		if depth == 0 && s[i] != '(' && s[i] != ')' && strings.HasPrefix(s[i:], op) {
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + len(op)
			return len(op) - 1
		}
		return 0
	})
	return append(out, strings.TrimSpace(s[start:]))
}

// stripParens removes the parentheses around s when they enclose all of it.
func stripParens(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '(' || s[len(s)-1] != ')' {
		return s, false
	}
	enclosed := true
	scanTop(s, func(i, depth int) int {
		if s[i] == ')' && depth == 0 && i != len(s)-1 {
			enclosed = false // "(a) && (b)": the first parenthesis closes early
			return -1
		}
		return 0
	})
	if !enclosed {
		return s, false
	}
	return strings.TrimSpace(s[1 : len(s)-1]), true
}

// scanTop calls visit for every byte of the CEL expression s outside string literals, with the
// parenthesis depth once that byte is counted (an opening parenthesis is inside, a closing one
// outside). visit returns how many further bytes to skip, or a negative number to stop. The one
// scanner of the offering rule's shape, so that splitting and unwrapping read quotes alike.
func scanTop(s string, visit func(i, depth int) int) {
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			if ch == '\\' {
				i++
			} else if ch == quote {
				quote = 0
			}
			continue
		case ch == '\'' || ch == '"':
			quote = ch
			continue
		case ch == '(':
			depth++
		case ch == ')':
			depth--
		}
		n := visit(i, depth)
		if n < 0 {
			return
		}
		i += n
	}
}
