package catalog

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// pageElements are the HTML elements a catalog page renders to: what its own Markdown writes
// (headings, paragraphs, tables, lists, code), emphasis and strikethrough that spec text may hold
// (formatting, never structure), and links GitHub's autolink extension makes of http(s) URLs in
// descriptions.
var pageElements = []string{"h1", "h2", "h3", "p", "table", "thead", "tbody", "tr", "th", "td", "ul", "li", "pre", "code", "em", "strong", "del", "a"}

// safeHref is the only kind of link a page holds: one the autolink extension makes of a URL.
var safeHref = regexp.MustCompile(`^https?://`)

// alignment is the style of a table column the page aligns (the plan grids are centred).
var alignment = regexp.MustCompile(`^text-align:(left|center|right)$`)

// renderPage renders a page as its readers' Markdown renderers do (testtools.RenderMarkdown) and
// checks the HTML: only pageElements, no attribute but a code block's language,
// a column's alignment and an autolink's http(s) href, and no comment but the page's marker. It returns the text the
// reader sees, one line per block.
func renderPage(t *testing.T, md []byte) string {
	t.Helper()
	var text strings.Builder
	for _, tok := range testtools.RenderMarkdown(t, md) {
		switch tok.Type {
		case html.CommentToken:
			if !strings.HasPrefix("<!--"+tok.Data, Marker) {
				t.Errorf("the rendered page holds a comment the page did not write: <!--%s-->", tok.Data)
			}
		case html.DoctypeToken:
			t.Errorf("the rendered page holds a doctype: %s", tok)
		case html.StartTagToken, html.SelfClosingTagToken:
			if !slices.Contains(pageElements, tok.Data) {
				t.Errorf("the rendered page holds a <%s> element: %s", tok.Data, tok)
			}
			for _, a := range tok.Attr {
				switch {
				case tok.Data == "code" && a.Key == "class" && a.Val == "language-yaml":
				case tok.Data == "a" && a.Key == "href" && safeHref.MatchString(a.Val):
				case (tok.Data == "th" || tok.Data == "td") && a.Key == "style" && alignment.MatchString(a.Val):
				default:
					t.Errorf("the rendered page holds an attribute %s=%q on <%s>", a.Key, a.Val, tok.Data)
				}
			}
		case html.EndTagToken:
			if slices.Contains([]string{"h1", "h2", "h3", "p", "li", "th", "td", "pre"}, tok.Data) {
				text.WriteString("\n")
			}
		case html.TextToken:
			text.WriteString(tok.Data)
		}
	}
	return text.String()
}

// TestHostileTextRendersAsText renders the page of TestHostileTextStaysText's hostile spec as HTML:
// it holds no element, attribute or link the page did not write, and the reader sees the hostile
// text as typed wherever the Markdown says it escaped.
func TestHostileTextRendersAsText(t *testing.T) {
	p := hostilePage(t)
	seen := renderPage(t, p.Markdown)
	escaped, typed := strings.Count(string(p.Markdown), escapedLine), strings.Count(seen, hostileLine)
	if escaped == 0 || typed != escaped {
		t.Errorf("the page says the hostile text escaped %d times, the reader sees it as typed %d times:\n%s", escaped, typed, seen)
	}
	if strings.Contains(seen, "\nInjected\n") {
		t.Error("a description's line became a heading of its own")
	}
}
