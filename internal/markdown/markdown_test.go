package markdown

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestText(t *testing.T) {
	cases := map[string]struct {
		reason string
		in     string
		want   string
	}{
		"Plain":      {reason: "Prose is left as it is.", in: "Plans may grow, never shrink (e.g. small to large).", want: "Plans may grow, never shrink (e.g. small to large)."},
		"HTML":       {reason: "A tag is text: '<' becomes an entity.", in: `<script>alert(1)</script><img src=x onerror=alert(1)>`, want: `&lt;script>alert(1)&lt;/script>&lt;img src=x onerror=alert(1)>`},
		"Entity":     {reason: "An entity is said as typed.", in: "a &lt; b & c", want: "a &amp;lt; b &amp; c"},
		"Link":       {reason: "Link and image syntax is escaped.", in: "[x](javascript:alert(1)) ![y](z) [r][ref]", want: `\[x\](javascript:alert(1)) !\[y\](z) \[r\]\[ref\]`},
		"Autolink":   {reason: "An autolink starts with '<'.", in: "<javascript:alert(1)>", want: "&lt;javascript:alert(1)>"},
		"Backslash":  {reason: "A backslash is one, not an escape of what follows.", in: `C:\[x]`, want: `C:\\\[x\]`},
		"CodeSpan":   {reason: "A code span the text holds whole stays one: nothing in it is HTML or a link.", in: "set it to `off` or `<n>`", want: "set it to `off` or `<n>`"},
		"Stray":      {reason: "A backtick that closes nothing in the text is escaped: it cannot pair with the page's.", in: "a ` b `` c", want: "a \\` b \\`\\` c"},
		"Unequal":    {reason: "A code span closes with a run of its own length only.", in: "``a`b`` `c", want: "``a`b`` \\`c"},
		"LineBreaks": {reason: "Text is one line: a line break could start a block.", in: "a\n# b\r\nc", want: "a # b c"},
		"Heading":    {reason: "What would start a block at the start of a line is escaped.", in: "## x", want: `\## x`},
		"List":       {reason: "A bullet.", in: "- x", want: `\- x`},
		"Ordered":    {reason: "An ordered list's number is kept, its dot escaped.", in: "12. x", want: `12\. x`},
		"Quote":      {reason: "A block quote.", in: "> x", want: `\> x`},
		"Rule":       {reason: "A thematic break.", in: "***", want: `\***`},
		"NotABlock":  {reason: "A dash inside a word starts nothing.", in: "-single- plans, 3.5 GiB", want: "-single- plans, 3.5 GiB"},
		"Indented":   {reason: "Leading blanks (an indented code block) are dropped, as Markdown drops them.", in: "    # x", want: `\# x`},
		"BreakFirst": {reason: "A leading line break is a blank too: it cannot hide what starts a block (found by FuzzText).", in: "\r# x", want: `\# x`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Text(tc.in)); diff != "" {
				t.Errorf("%s\nText(%q): -want, +got:\n%s", tc.reason, tc.in, diff)
			}
		})
	}
}

func TestCode(t *testing.T) {
	cases := map[string]struct {
		reason string
		in     string
		want   string
	}{
		"Plain":     {reason: "One backtick delimits code without any.", in: "self == oldSelf", want: "`self == oldSelf`"},
		"Backticks": {reason: "One backtick more than the longest run inside.", in: "a``b`c", want: "```a``b`c```"},
		"Edge":      {reason: "Code that starts or ends with a backtick is padded: CommonMark strips one space.", in: "`a", want: "`` `a ``"},
		"Spaces":    {reason: "Code that starts and ends with a space keeps them.", in: " a ", want: "`  a  `"},
		"HTML":      {reason: "HTML in code is code.", in: "<b>", want: "`<b>`"},
		"Lines":     {reason: "Line breaks become spaces, as a code span renders them: no line starts a block.", in: "a\n# b", want: "`a # b`"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Code(tc.in)); diff != "" {
				t.Errorf("%s\nCode(%q): -want, +got:\n%s", tc.reason, tc.in, diff)
			}
		})
	}
}

func TestFence(t *testing.T) {
	for in, want := range map[string]string{
		"a: b\n":             "```",
		"a: |\n  ```\n  x\n": "````",
		"a: '`````'\n":       "``````",
		"a: |\n ``\n ```\n":  "````",
	} {
		if got := Fence(in); got != want {
			t.Errorf("Fence(%q) = %s, want %s: a fence is longer than any run of backticks inside", in, got, want)
		}
	}
}

func TestCell(t *testing.T) {
	in := Text("a | b\n c") + " " + Code("x|y")
	if got, want := Cell(in), "a \\| b c `x\\|y`"; got != want {
		t.Errorf("Cell(%q) = %q, want %q: one line, every '|' escaped, in code spans too", in, got, want)
	}
}
