package manifests

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// aliased is a document whose one string of size bytes is anchored once and aliased n times.
func aliased(size, n int) string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a0: &a " + strings.Repeat("x", size) + "\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "  a%d: *a\n", i)
	}
	return b.String()
}

// TestReaderBoundsExpansion: a document is refused once what it expands to passes its kind's
// limit, whatever shape the expansion takes; documents within the limits are read as before.
func TestReaderBoundsExpansion(t *testing.T) {
	small := Kind{Name: "test document", MaxDocument: 64 << 10, MaxTotal: 256 << 10}
	cases := map[string]struct {
		reason string
		kind   Kind
		file   string
		want   string // a prefix of the error; "" for none
	}{
		"LargeStringAliasedShouldBeRefused": {
			reason: "One large string anchored once and aliased many times passed the decoder's alias guard, which counts nodes.",
			kind:   small, file: aliased(32<<10, 10),
			want: "x.yaml: the document expands to 352 KiB (its 10 aliases each repeat what their anchor holds), beyond the 64 KiB one test document may expand to",
		},
		"BillionLaughsShouldBeRefused": {
			reason: "The classic shape, lists of lists of aliases, is refused by the same measure.",
			kind:   small,
			file: "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n" +
				"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
			want: "x.yaml: the document expands to",
		},
		"MergeKeysShouldCount": {
			reason: "A merge key (<<: *a) copies its anchor's map like an alias.",
			kind:   small,
			file:   "base: &a {k: " + strings.Repeat("v", 40<<10) + "}\nx: {<<: *a}\ny: {<<: *a}\n",
			want:   "x.yaml: the document expands to",
		},
		"SelfAliasShouldBeRefused": {
			reason: "An alias inside its own anchor would be infinite.",
			kind:   small, file: "a: &a [x, *a]\n",
			want: "x.yaml: an alias refers to the node that holds it",
		},
		"SecondDocumentShouldBeNamedByLine": {
			reason: "The error names the document's line in the file.",
			kind:   small, file: "a: 1\n---\n" + aliased(32<<10, 10),
			want: "x.yaml:3: the document expands to",
		},
		"TotalShouldBeBounded": {
			reason: "Documents each within the limit add up: the total is bounded too.",
			kind:   small, file: strings.Repeat(aliased(10<<10, 4)+"---\n", 8),
			want: "x.yaml:56: the documents read so far expand to 301 KiB, beyond the 256 KiB that one read of test document documents may expand to together",
		},
		"AnchorInAPackageStreamShouldBeRefused": {
			reason: "Crossplane's builder writes no anchor: a package.yaml holding one is refused, even unused.",
			kind:   Kind{Name: "package.yaml", MaxDocument: 1 << 20, MaxTotal: 1 << 20, NoAnchors: true},
			file:   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: &n x\n",
			want:   "x.yaml:4: an anchor (&name): a package.yaml holds none",
		},
		"AliasesWithinTheLimitShouldBeRead": {
			reason: "Aliases are YAML: within the limit they are read.",
			kind:   small, file: aliased(1<<10, 10),
		},
		"AmpersandsAndStarsInTextShouldBeRead": {
			reason: "CEL (&&) and patterns (*) are text, not anchors: read also where anchors are refused.",
			kind:   Kind{Name: "package.yaml streams", MaxDocument: 1 << 20, MaxTotal: 1 << 20, NoAnchors: true},
			file:   "rule: self.a && self.b\npattern: '^[a-z]*$'\n",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			docs, err := tc.kind.Reader().Split("x.yaml", []byte(tc.file))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("%s\nSplit(): %v, want no error", tc.reason, err)
				}
				for _, d := range docs {
					if _, err := yaml.YAMLToJSON(d.Data); err != nil {
						t.Errorf("%s\nYAMLToJSON(%s): %v", tc.reason, d.Where(), err)
					}
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("%s\nSplit():\ngot:  %v\nwant: %s...", tc.reason, err, tc.want)
			}
		})
	}
}

// TestMeasureCostsNoExpansion: measuring a document costs memory in its own bytes, not in what it
// expands to (a 1 MiB string aliased 100 times: 1 MiB, not 100).
func TestMeasureCostsNoExpansion(t *testing.T) {
	doc := []byte(aliased(1<<20, 100))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	e, err := measure(doc, false)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if e.size < 100<<20 || e.aliases != 100 {
		t.Errorf("measure(): %d bytes, %d aliases; want more than 100 MiB, 100 aliases", e.size, e.aliases)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 8<<20 {
		t.Errorf("measure() allocated %d MiB for a %d KiB document, want at most 8 MiB", n>>20, len(doc)>>10)
	}
}

// TestReadRefusesALargeFileUnread: a file larger than what its kind may expand to is refused
// without being read whole.
func TestReadRefusesALargeFileUnread(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(p, []byte("a: "+strings.Repeat("x", 2<<20)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Kind{Name: "tests", MaxDocument: 1 << 20, MaxTotal: 1 << 20}.Reader().Read(p)
	var tl *TooLargeError
	if !errors.As(err, &tl) || !tl.Total || !strings.HasPrefix(err.Error(), p+": ") {
		t.Errorf("Read(2 MiB file, 1 MiB total): %v; want the total's error naming the file", err)
	}
}

// FuzzExpand reads arbitrary documents with small limits: whatever a reader admits converts to
// JSON (the conversion that expands aliases) of at most a small multiple of its limit, and
// whatever passes its limit is refused naming the file. The multiple covers what JSON adds to
// YAML without aliases: quotes, and escapes of up to 6 bytes for a byte (\u003c).
func FuzzExpand(f *testing.F) {
	for _, seed := range []string{
		"a: &a x\nb: *a\n", "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b, *b]\n", "a: &a {k: v}\nb: {<<: *a}\n",
		"a: &a [x, *a]\n", "a: *x\n", "- &a aaaaaaaaaaaaaaaa\n- *a\n- *a\n- *a\n", "a: 1\n---\nb: &b x\nc: *b\n",
		"rule: self.a && self.b\npattern: '^[a-z]*$'\n", "a: &a <<<<<<<<\nb: [*a, *a, *a]\n",
	} {
		f.Add([]byte(seed))
	}
	const limit = 4 << 10
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := Kind{Name: "tests", MaxDocument: limit, MaxTotal: 4 * limit}.Reader().Split("x.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "x.yaml") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		total := 0
		for _, d := range docs {
			j, err := yaml.YAMLToJSON(d.Data)
			if err != nil {
				continue
			}
			if len(j) > 6*limit+64 {
				t.Fatalf("document %d expands to %d bytes of JSON, beyond 6 times its limit of %d", d.Index, len(j), limit)
			}
			total += len(j)
		}
		if total > 4*6*limit+64*len(docs) {
			t.Fatalf("the documents expand to %d bytes of JSON, beyond 6 times their total limit of %d", total, 4*limit)
		}
	})
}
