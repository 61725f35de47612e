package testtools

import (
	"bytes"
	"io"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"golang.org/x/net/html"
)

// RenderMarkdown renders md as the renderers that show catalog pages do (CommonMark with GitHub's
// extensions: tables, autolinks, strikethrough), raw HTML passed through as renderers without a
// sanitizer pass it, and returns the HTML's tokens: what a test checks a page cannot hold.
func RenderMarkdown(t testing.TB, md []byte) []html.Token {
	t.Helper()
	var out bytes.Buffer
	gm := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(gmhtml.WithUnsafe()))
	if err := gm.Convert(md, &out); err != nil {
		t.Fatal(err)
	}
	var toks []html.Token
	z := html.NewTokenizer(&out)
	for z.Next() != html.ErrorToken {
		toks = append(toks, z.Token())
	}
	if z.Err() != io.EOF {
		t.Fatal(z.Err())
	}
	return toks
}
