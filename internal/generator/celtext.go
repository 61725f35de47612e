package generator

import (
	"regexp"
	"strings"

	"github.com/function-dataservice/function-dataservice/internal/semantic"
)

// The CEL text the rule writers write and their parsers read back: string literals and the
// canonical form a parser compares in.

// celLit matches a CEL string literal in single or double quotes; its body is group 1 or 2.
const celLit = `(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")`

// celQuote escapes a CEL single-quoted string. Built once: a Replacer compiles its table on first
// use, and celString runs for every plan rule on every reconcile.
var celQuote = strings.NewReplacer(`\`, `\\`, `'`, `\'`)

// celString quotes s as a CEL string literal.
func celString(s string) string {
	return "'" + celQuote.Replace(s) + "'"
}

// unquoteCEL reads the body of a CEL string literal celString wrote, or semantic.CanonicalCEL
// printed.
func unquoteCEL(s string) string {
	return strings.NewReplacer(`\\`, `\`, `\'`, `'`, `\"`, `"`).Replace(s)
}

// spaces is a run of white space, folded by canonCEL.
var spaces = regexp.MustCompile(`\s+`)

// canonCEL is a CEL rule in canonical form (semantic.CanonicalCEL) on one line, so that a parser
// reads a rule however it is spaced, folded or quoted; a rule that does not parse keeps its text,
// with its white space folded.
func canonCEL(rule string) string { return spaces.ReplaceAllString(semantic.CanonicalCEL(rule), " ") }
