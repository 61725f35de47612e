package generator

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
)

// celLit matches a CEL string literal in single or double quotes; its body is group 1 or 2.
const celLit = `(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")`

// OfferingRule is the spec-level rule that says, per composition, which values of a field it
// offers: (ref == 'a' && (self.plan == 'x' || …)) || (ref == 'b' && …). ref is the CEL path of the
// composition reference. Exported so that import can recognise it.
func OfferingRule(ref, fieldName string, cs []v1alpha1.Composition, values func(v1alpha1.Composition) []string) string {
	terms := make([]string, 0, len(cs))
	for _, c := range cs {
		r := fmt.Sprintf("%s == %s", ref, celString(c.Name))
		vs := values(c)
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

var (
	refRE = regexp.MustCompile(`^self(?:\.crossplane)?\.compositionRef\.name\s*==\s*` + celLit + `$`)
	altRE = regexp.MustCompile(`^self\.([A-Za-z_][A-Za-z0-9_]*)\s*==\s*` + celLit + `$`)
)

// ParseOfferingRule reads a rule OfferingRule writes, on either line, however it is spaced or
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
		comp := UnquoteCEL(m[1] + m[2])
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
			by[comp] = append(by[comp], UnquoteCEL(a[2]+a[3]))
		}
	}
	return field, by, order, field != ""
}

// splitTop splits s at op where it is outside parentheses and string literals.
func splitTop(s, op string) []string {
	var out []string
	depth, start := 0, 0
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
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == '(':
			depth++
		case ch == ')':
			depth--
		case depth == 0 && strings.HasPrefix(s[i:], op):
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + len(op)
			i += len(op) - 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// stripParens removes the parentheses around s when they enclose all of it.
func stripParens(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '(' || s[len(s)-1] != ')' {
		return s, false
	}
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
		case ch == '\'' || ch == '"':
			quote = ch
		case ch == '(':
			depth++
		case ch == ')':
			depth--
			if depth == 0 && i != len(s)-1 {
				return s, false // "(a) && (b)": the first parenthesis closes early
			}
		}
	}
	return strings.TrimSpace(s[1 : len(s)-1]), true
}

// UnquoteCEL reads the body of a CEL string literal celString wrote, or semantic.CanonicalCEL
// printed.
func UnquoteCEL(s string) string {
	return strings.NewReplacer(`\\`, `\`, `\'`, `'`, `\"`, `"`).Replace(s)
}
