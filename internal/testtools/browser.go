package testtools

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// EnvCI is set to "true" by CI systems (and .ci/run): there a tool the tests need and cannot build,
// such as Chromium, fails the test instead of skipping it.
const EnvCI = "CI"

// browserTimeout bounds one step of the browser: a page and the redirects before it.
const browserTimeout = time.Minute

// Chromium returns Debian's chromium, which the web-bind tests drive headless. When it is missing
// the test is skipped with the command that installs it, or fails under CI=true, where .ci/run
// installs it.
func Chromium(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("chromium")
	if err == nil {
		return p
	}
	sudo := "sudo "
	if os.Geteuid() == 0 {
		sudo = ""
	}
	msg := fmt.Sprintf("%s drives Debian's chromium (headless) through klutch-bind's web pages; no chromium on the PATH: run  %sapt-get update && %sapt-get install -y chromium", t.Name(), sudo, sudo)
	if os.Getenv(EnvCI) == "true" {
		t.Fatalf("%s (CI=true: .ci/run installs it before make test)", msg)
	}
	t.Skip(msg)
	return ""
}

// A Browser is headless Chromium driven over the DevTools protocol (chromedp): pages load, redirect,
// run scripts and set cookies as in a user's browser. It records every document it requests,
// redirects included. Its profile, log and screenshots are in web/ and logs/ of the run folder.
type Browser struct {
	dir string
	ctx context.Context

	mu   sync.Mutex
	hops []string
}

// A Card is one API offered on klutch-bind's /resources page, as a user reads it.
type Card struct {
	// Title is the card's heading; Lines its list (e.g. "Group: anynines.com", "Scope: Namespaced").
	Title string
	Lines []string
	// Link is the text of its link ("Bind") and LinkURL where it leads.
	Link, LinkURL string
	index         int
}

// StartBrowser starts Chromium, the browser of the app developer of the app cluster app, with the
// flags that work on a closed network (no background connections, no QUIC, no names resolved but
// localhost) and a new, empty profile in app's run folder; it is stopped with the test.
func (app *ControlPlane) StartBrowser(t testing.TB) *Browser {
	t.Helper()
	bin := Chromium(t)
	b := &Browser{dir: app.run.mkdir(t, "web")}
	logFile, err := os.Create(filepath.Join(app.LogDir, "chromium.log"))
	if err != nil {
		t.Fatal(err)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Names other than localhost resolve to nothing: the pages' CDN links (klutch-bind's page loads
		// Bootstrap from cdn.jsdelivr.net) fail at once, on an open network as on a closed one.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"),
		chromedp.UserDataDir(app.run.mkdir(t, "web", "profile")),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(logFile))
	logf := func(format string, args ...any) { fmt.Fprintf(logFile, "chromedp: "+format+"\n", args...) }
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(logf), chromedp.WithErrorf(logf))
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		_ = logFile.Close()
	})
	// The first call starts the browser; it must have no deadline of its own (chromedp.Run).
	err = chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Type == network.ResourceTypeDocument {
			b.mu.Lock()
			b.hops = append(b.hops, e.Request.URL)
			b.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("cannot start chromium (%s): %v; its output is in %s", bin, err, logFile.Name())
	}
	b.ctx = ctx
	version, err := chromedp.Run(ctx, chromedp.EvaluateAsDevTools[string](`navigator.userAgent`))
	if err != nil {
		t.Fatalf("chromium does not answer: %v; its output is in %s", err, logFile.Name())
	}
	where := fmt.Sprintf("%s (the run folder is kept when the test fails or $%s is set; go test -artifacts keeps them in any case)", b.dir, EnvKeep)
	if artifacts() {
		where = "the test's artifact folder (go test -artifacts)"
	}
	app.run.lap(t, "chromium started headless (%s); screenshots go to %s", version, where)
	return b
}

// browse runs an action on the browser's tab with browserTimeout.
func browse[T any](b *Browser, a chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, browserTimeout)
	defer cancel()
	return chromedp.Run(ctx, a)
}

// Open loads url as a user typing it does, follows its redirects and returns where the browser
// landed and every document it requested on the way.
func (b *Browser) Open(t testing.TB, url string) (landed string, hops []string) {
	t.Helper()
	from := b.hopCount()
	if _, err := browse(b, chromedp.Navigate(url)); err != nil {
		t.Fatalf("browser: cannot open %s: %v (requested: %s)", url, err, strings.Join(b.hopsSince(from), " -> "))
	}
	return b.location(t), b.hopsSince(from)
}

// Cards reads the cards of klutch-bind's /resources page, as rendered.
func (b *Browser) Cards(t testing.TB) []Card {
	t.Helper()
	type card struct {
		Title   string   `json:"title"`
		Lines   []string `json:"lines"`
		Link    string   `json:"link"`
		LinkURL string   `json:"linkURL"`
	}
	// innerText is the text as laid out on the screen, what the user reads.
	cards, err := browse(b, chromedp.Evaluate[[]card](`Array.from(document.querySelectorAll('.card')).map(c => {
  const a = c.querySelector('a');
  return {
    title: (c.querySelector('.card-header') || c).innerText.trim(),
    lines: Array.from(c.querySelectorAll('li')).map(li => li.innerText.trim()),
    link: a ? a.innerText.trim() : '',
    linkURL: a ? a.href : '',
  };
})`))
	if err != nil {
		t.Fatalf("browser: cannot read the cards of %s: %v", b.location(t), err)
	}
	out := make([]Card, len(cards))
	for i, c := range cards {
		out[i] = Card{Title: c.Title, Lines: c.Lines, Link: c.Link, LinkURL: c.LinkURL, index: i}
	}
	return out
}

// Outline frames a card, so that a screenshot shows the one the test chose; the page is otherwise
// left as the user reads it.
func (b *Browser) Outline(t testing.TB, c Card) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const c = document.querySelectorAll('.card')[%d]; c.style.outline = '3px solid #d00'; c.style.outlineOffset = '4px'; return true; })()`, c.index)
	if _, err := browse(b, chromedp.Evaluate[bool](js)); err != nil {
		t.Fatalf("browser: cannot outline card %q: %v", c.Title, err)
	}
}

// Screenshot saves the whole page as NAME.png with the test's output and returns its path: in
// the test's artifact folder under `go test -artifacts` (make test and make e2e pass it, with
// -outputdir _output/test), which outlives the test; else in web/ of the run folder, kept when
// the test fails or $DATASERVICE_E2E_KEEP is set.
func (b *Browser) Screenshot(t testing.TB, name string) string {
	t.Helper()
	png, err := browse(b, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("browser: cannot take a screenshot: %v", err)
	}
	dir := b.dir
	if artifacts() {
		dir = t.ArtifactDir()
	}
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Click clicks the link of a card with the mouse, as a user does, waits until the browser has
// left the page and loaded the one it was sent to, and returns where it landed and every document
// it requested on the way.
func (b *Browser) Click(t testing.TB, c Card) (landed string, hops []string) {
	t.Helper()
	from := b.hopCount()
	page := b.location(t)
	sel := chromedp.JSPath(fmt.Sprintf(`document.querySelectorAll('.card')[%d].querySelector('a')`, c.index))
	if _, err := browse(b, chromedp.Click(sel)); err != nil {
		t.Fatalf("browser: cannot click %q of card %q: %v", c.Link, c.Title, err)
	}
	deadline := time.Now().Add(browserTimeout)
	for {
		// Scripts fail while a page is replaced; the next round asks again.
		state, err := browse(b, chromedp.Evaluate[[]string](`[document.location.href, document.readyState]`))
		if err == nil && state[0] != page && state[1] == "complete" {
			return state[0], b.hopsSince(from)
		}
		if time.Now().After(deadline) {
			t.Fatalf("browser: still on %s %s after clicking %q of card %q (%v); requested: %s", page, browserTimeout, c.Link, c.Title, err, strings.Join(b.hopsSince(from), " -> "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Text returns the text of the page's body, as rendered.
func (b *Browser) Text(t testing.TB) string {
	t.Helper()
	s, err := browse(b, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	if err != nil {
		t.Fatalf("browser: cannot read the page: %v", err)
	}
	return s
}

func (b *Browser) location(t testing.TB) string {
	t.Helper()
	l, err := browse(b, chromedp.Location())
	if err != nil {
		t.Fatalf("browser: cannot read the location: %v", err)
	}
	return l
}

func (b *Browser) hopCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.hops)
}

func (b *Browser) hopsSince(n int) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.hops[n:]...)
}

// artifacts reports whether the test runs with `go test -artifacts`, whose artifact folders are
// kept (under -outputdir) after the test; without it they are removed with the test.
func artifacts() bool {
	f := flag.Lookup("test.artifacts")
	return f != nil && f.Value.String() == "true"
}
