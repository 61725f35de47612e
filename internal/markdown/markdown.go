// Package markdown writes text that comes from a spec (descriptions, rule messages, catalog values,
// schema defaults, patterns and CEL) into a Markdown page so that it stays text: a description
// holding <script>, an <img onerror=…>, a [link](javascript:…) or a backtick renders as the
// characters it holds, never as HTML, a link, a code span or a block the page did not write. The
// rules are CommonMark's (https://spec.commonmark.org) with GitHub's table extension, which is where
// the pages are read: HTML's special characters become entities, other syntax is escaped with a
// backslash (CommonMark lets any ASCII punctuation be), and code spans and fences are delimited
// by more backticks than the code holds in a row. It does no I/O.
package markdown

import (
	"regexp"
	"strings"
)

// text escapes the characters that can start HTML (a tag, a comment, an autolink, an entity),
// a link or image ([…](…), [x][ref]) and an escape of its own: everything else in running text
// is formatting at most (emphasis), never structure. Backticks are Text's ('>' makes structure
// only at the start of a line: blockStart).
var text = strings.NewReplacer(
	`&`, "&amp;", `<`, "&lt;", `\`, `\\`, `[`, `\[`, `]`, `\]`,
)

// blockStart matches what starts a block at the beginning of a line: an ATX heading, a list item
// (bullet or ordered), a block quote, a thematic break, a setext underline or a fence of tildes.
// Backticks and '<' are escaped everywhere already.
var blockStart = regexp.MustCompile(`^(?:>|(?:#{1,6}|[-+*_=]|\d{1,9}[.)])(?:[ \t]|$)|[-*_=~]{3})`)

// Text is s as Markdown running text: it renders as the characters s holds, on one line (a line
// break could start a block), wherever it stands in a line, the start included. Leading blanks,
// which Markdown drops and which could make an indented code block, are left out. A code span s
// holds whole (`off`, as Kubernetes descriptions write them) stays one: nothing in it is HTML or a
// link, and it closes within s; a backtick that closes nothing in s is escaped, so that it cannot
// pair with one the page writes after it.
func Text(s string) string {
	s = strings.TrimLeft(lineBreaks.Replace(s), " \t")
	var b strings.Builder
	for s != "" {
		i := strings.IndexByte(s, '`')
		if i < 0 {
			b.WriteString(text.Replace(s))
			break
		}
		b.WriteString(text.Replace(s[:i]))
		n := runAt(s, i)
		if end := closing(s[i+n:], n); end >= 0 {
			b.WriteString(s[i : i+n+end+n])
			s = s[i+n+end+n:]
			continue
		}
		b.WriteString(strings.Repeat("\\`", n))
		s = s[i+n:]
	}
	t := b.String()
	if m := blockStart.FindString(t); m != "" {
		// A backslash before the punctuation that makes the block keeps it a character: the
		// first, or the one after an ordered list's number.
		i := strings.IndexAny(m, ".)")
		if m[0] < '0' || m[0] > '9' {
			i = 0
		}
		t = t[:i] + `\` + t[i:]
	}
	return t
}

// closing is where the first run of exactly n backticks in s starts (what closes a code span
// opened by n), -1 when none does.
func closing(s string, n int) int {
	for i := 0; i < len(s); {
		if s[i] != '`' {
			i++
			continue
		}
		r := runAt(s, i)
		if r == n {
			return i
		}
		i += r
	}
	return -1
}

// runAt is the length of the run of backticks starting at s[i].
func runAt(s string, i int) int {
	n := 0
	for i+n < len(s) && s[i+n] == '`' {
		n++
	}
	return n
}

// Code is s as an inline code span: delimited by one backtick more than the longest run s holds,
// and padded with a space when s starts or ends with a backtick (CommonMark strips one space on
// each side). Line breaks become spaces, as they render in a code span anyway, so that no line of
// s starts a block.
func Code(s string) string {
	s = lineBreaks.Replace(s)
	d := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || (strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ") && strings.TrimSpace(s) != "") {
		s = " " + s + " "
	}
	return d + s + d
}

// Fence is the fence of a fenced code block holding s: backticks, three or one more than the
// longest run s holds, so that no line of s (a YAML block scalar with a line of backticks) closes
// the block early.
func Fence(s string) string {
	return strings.Repeat("`", max(3, longestRun(s, '`')+1))
}

// Cell makes Markdown (text already escaped with Text and Code) one cell of a GitHub table: on one
// line, whitespace collapsed, and every '|' escaped, inside code spans too, as the table extension
// asks.
func Cell(md string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(md), " "), "|", `\|`)
}

var lineBreaks = strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ")

func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := range len(s) {
		if s[i] != c {
			run = 0
			continue
		}
		run++
		longest = max(longest, run)
	}
	return longest
}
