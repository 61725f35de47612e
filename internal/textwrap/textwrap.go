// Package textwrap wraps text for the terminal: reports quote rules and lists whole, so long lines
// are wrapped at spaces, never cut.
package textwrap

import "strings"

// Wrap breaks s at spaces into lines of at most width, the first starting with first, the others
// with rest, each ending in a newline. A word longer than a line stays whole.
func Wrap(s, first, rest string, width int) string {
	var b strings.Builder
	line, empty := first, true
	for _, w := range strings.Fields(s) {
		if !empty && len(line)+1+len(w) > width {
			b.WriteString(line + "\n")
			line, empty = rest, true
		}
		if !empty {
			line += " "
		}
		line += w
		empty = false
	}
	b.WriteString(line + "\n")
	return b.String()
}
