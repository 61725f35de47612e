package markdown

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// rendered is Markdown as a reader's renderer makes it HTML (testtools.RenderMarkdown): the
// elements it opens, the attributes they carry, the text a reader sees and its code spans.
type rendered struct {
	elements []string
	attrs    []string
	text     string
	codes    []string
}

func render(t *testing.T, md string) rendered {
	t.Helper()
	var r rendered
	var text, code strings.Builder
	inCode := 0
	for _, tok := range testtools.RenderMarkdown(t, []byte(md)) {
		switch tok.Type {
		case html.CommentToken, html.DoctypeToken:
			r.elements = append(r.elements, "!"+tok.Data)
		case html.StartTagToken, html.SelfClosingTagToken:
			r.elements = append(r.elements, tok.Data)
			for _, a := range tok.Attr {
				r.attrs = append(r.attrs, tok.Data+" "+a.Key+"="+a.Val)
			}
			if tok.Data == "code" {
				inCode++
				code.Reset()
			}
		case html.EndTagToken:
			if tok.Data == "code" && inCode > 0 {
				inCode--
				r.codes = append(r.codes, code.String())
			}
		case html.TextToken:
			text.WriteString(tok.Data)
			if inCode > 0 {
				code.WriteString(tok.Data)
			}
		}
	}
	r.text = text.String()
	return r
}

// formatting is what Text may render to besides a paragraph: code spans the text held whole,
// emphasis and strikethrough, which change how characters look, never what the page is, and the
// links GitHub's autolink extension makes of a URL or an e-mail address the text spells out.
var formatting = []string{"p", "code", "em", "strong", "del", "a"}

// autolink is the href of a link the autolink extension makes.
var autolink = regexp.MustCompile(`^(https?://|mailto:)`)

// FuzzText: whatever a spec says, Text of it, standing anywhere in a line, renders as a paragraph
// of text and formatting, with no element, attribute, link or comment of its own, and everything
// the page writes after it stays the page's.
func FuzzText(f *testing.F) {
	for _, s := range []string{
		"<script>alert(1)</script> <img src=x onerror=alert(1)> [click](javascript:alert(1)) <javascript:alert(2)> a ` b\n# Injected",
		"set it to `off` or `<n>`", "``a`b`` `c", "[r][ref]\n\n[ref]: javascript:alert(1)", "<!-- x", "&lt;b&gt;",
		"    code", "1. x", "---", "~~~", "| a | b |", "![i](x)", "www.example.com http://x", "a\\", "<?php", "<![CDATA[",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8Clean(s) {
			t.Skip()
		}
		for _, md := range []string{Text(s) + " `end`\n", "before " + Text(s) + " `end`\n"} {
			r := render(t, md)
			for _, e := range r.elements {
				if !slices.Contains(formatting, e) {
					t.Fatalf("Text(%q) = %q renders a <%s>: %v", s, md, e, r.elements)
				}
			}
			for _, a := range r.attrs {
				if h, ok := strings.CutPrefix(a, "a href="); !ok || !autolink.MatchString(h) {
					t.Fatalf("Text(%q) = %q renders the attribute %s", s, md, a)
				}
			}
			if len(r.codes) == 0 || r.codes[len(r.codes)-1] != "end" {
				t.Fatalf("Text(%q) = %q swallows the page's code span after it: code spans %q", s, md, r.codes)
			}
		}
	})
}

// FuzzCode: Code of anything renders as one code span holding it, line breaks as spaces.
func FuzzCode(f *testing.F) {
	for _, s := range []string{"self == oldSelf", "a``b`c", "`a", " a ", "<b>", "a\n# b", "x|y", "``"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8Clean(s) || strings.TrimSpace(s) == "" {
			t.Skip()
		}
		md := "a " + Code(s) + " b\n"
		r := render(t, md)
		if want := []string{"p", "code"}; !slices.Equal(r.elements, want) || len(r.attrs) > 0 {
			t.Fatalf("Code(%q) = %q renders %v %v, want one code span in a paragraph", s, md, r.elements, r.attrs)
		}
		if got, want := r.codes[0], lineBreaks.Replace(s); got != want {
			t.Fatalf("Code(%q) = %q renders the code %q", s, md, got)
		}
	})
}

// utf8Clean is text a spec can hold and a renderer reads as it is: valid UTF-8 without NUL
// (CommonMark replaces it) or other control characters but tab and line breaks.
func utf8Clean(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c < ' ' && c != '\t' && c != '\n' && c != '\r' || c == 0x7f || c == '\uFFFD' {
			return false
		}
	}
	return true
}

// FuzzCell: Text and Code of anything, made a cell, stay one cell of their row: the cells after
// them are the page's.
func FuzzCell(f *testing.F) {
	for _, s := range []string{"a | b", "x|y", "`a|b`", "a\n| b |", "\\|", "<td>x</td>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8Clean(s) {
			t.Skip()
		}
		for _, c := range []string{Cell(Text(s)), Cell(Code(s))} {
			md := "| a | b | c |\n|---|---|---|\n| `x` | " + c + " | `end` |\n"
			r := render(t, md)
			if n := strings.Count(strings.Join(r.elements, " "), "td"); n != 3 {
				t.Fatalf("the cell %q makes %d cells of its row: %v", c, n, r.elements)
			}
			if r.codes[0] != "x" || r.codes[len(r.codes)-1] != "end" {
				t.Fatalf("the cell %q takes in the cells beside it: code spans %q", c, r.codes)
			}
		}
	})
}
