package overlay

import (
	"strconv"
	"strings"
)

// ReplaceStringLiterals replaces the CEL string literals whose value is a key of m by m's value,
// leaving the rest of the rule as written. A composition, service or plan name in a rule is always
// a string literal, so a rename never touches identifiers or a name that merely contains another.
func ReplaceStringLiterals(rule string, m map[string]string) string {
	if len(m) == 0 {
		return rule
	}
	var b strings.Builder
	changed := false
	for i := 0; i < len(rule); {
		c := rule[i]
		raw := false
		start := i
		if (c == 'r' || c == 'R') && i+1 < len(rule) && (rule[i+1] == '\'' || rule[i+1] == '"') && (i == 0 || !isIdent(rule[i-1])) {
			raw = true
			i++
			c = rule[i]
		}
		if c != '\'' && c != '"' {
			b.WriteByte(rule[start])
			i = start + 1
			continue
		}
		quote := string(c)
		if strings.HasPrefix(rule[i:], strings.Repeat(quote, 3)) {
			quote = strings.Repeat(quote, 3)
		}
		j := i + len(quote)
		var val strings.Builder
		for j < len(rule) && !strings.HasPrefix(rule[j:], quote) {
			if rule[j] == '\\' && !raw && j+1 < len(rule) {
				val.WriteByte(rule[j+1]) // names hold no escapes but quotes and backslashes
				j += 2
				continue
			}
			val.WriteByte(rule[j])
			j++
		}
		end := min(j+len(quote), len(rule))
		if to, ok := m[val.String()]; ok && !raw {
			b.WriteString(celQuote(to, quote[:1]))
			changed = true
		} else {
			b.WriteString(rule[start:end])
		}
		i = end
	}
	if !changed {
		return rule
	}
	return b.String()
}

func isIdent(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func celQuote(s, quote string) string {
	if quote == `"` {
		return strconv.Quote(s)
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
