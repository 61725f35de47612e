package manifests

import (
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestDocumentError reads broken documents as the CLI does: each error is one line naming the
// file, the line of the file where YAML gives one, and the fix.
func TestDocumentError(t *testing.T) {
	const ok = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n"
	cases := map[string]struct {
		reason string
		file   string
		want   string
	}{
		"SyntaxErrorShouldNameTheLine": {
			reason: "The YAML parser's line is the line of the file.",
			file:   "a: 1\n b: 2\n",
			want:   "x.yaml:2: mapping values are not allowed in this context: fix the YAML syntax there (indentation, a missing colon, quote or bracket)",
		},
		"SyntaxErrorInTheSecondDocumentShouldNameTheLineOfTheFile": {
			reason: "The parser counts lines within the document; the error counts them within the file.",
			file:   ok + "---\n" + "kind: [\n",
			want:   "x.yaml:5: did not find expected node content: fix the YAML syntax there",
		},
		"DuplicateKeyShouldNameTheLineAndTheFix": {
			reason: "A key given twice is an error (strict decoding) with the line of the second.",
			file:   "a: 1\nb: 2\na: 3\n",
			want:   `x.yaml:3: key "a" already set in map: remove one of the two`,
		},
		"TabShouldNameTheLine": {
			reason: "The parser names no line for a tab; the first line indented with one is named.",
			file:   "a:\n\tb: 1\n",
			want:   "x.yaml:2: found character that cannot start any token: indent with spaces, YAML does not allow tabs",
		},
		"TypeErrorShouldNameTheFile": {
			reason: "An error that is not YAML's is kept, on one line, after the file.",
			file:   "a: [1]\n",
			want:   "x.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			docs, err := Split("x.yaml", []byte(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			d := docs[len(docs)-1]
			var err2 error
			if name == "TypeErrorShouldNameTheFile" {
				var v map[string]string
				err2 = yaml.Unmarshal(d.Data, &v)
			} else {
				_, err2 = yaml.YAMLToJSONStrict(d.Data)
				if err2 == nil {
					var v map[string]any
					err2 = yaml.Unmarshal(d.Data, &v)
				}
			}
			if err2 == nil {
				t.Fatalf("the document parses: %q", d.Data)
			}
			got := d.Error(err2).Error()
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("%s\nError(...):\ngot:  %s\nwant: %s", tc.reason, got, tc.want)
			}
			if strings.Contains(got, "\n") {
				t.Errorf("%s\nError(...) spans several lines: %q", tc.reason, got)
			}
		})
	}
}

func TestFilesShouldNameAMissingPath(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.yaml")
	_, err := Files(missing)
	if err == nil || err.Error() != missing+": no such file or folder: check the path" {
		t.Errorf("Files(%s): %v; want the path and the fix", missing, err)
	}
}

// FuzzSplit cuts arbitrary files into documents and reports what YAML finds wrong in each the way
// the CLI does: no panic, documents in order within the file, and every error (Split's own, when
// it measures a document that may alias, or the decoder's) on one line naming the file.
func FuzzSplit(f *testing.F) {
	for _, seed := range []string{
		"a: 1\n", "a: 1\n b: 2\n", "a: 1\n---\nkind: [\n", "---\n---\n", "a:\n\tb: 1\n", "a: 1\na: 2\n",
		"# comment\n---\n# only a comment\n", "a: *x\n", "- a\nb: 1\n", "a: 'x\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := Split("x.yaml", data)
		if err != nil {
			// A document that may alias is parsed to measure it: what the parser refuses is
			// reported as any other YAML error.
			if msg := err.Error(); strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "x.yaml") {
				t.Fatalf("Split: %q: want one line starting with the file", msg)
			}
			return
		}
		lines := strings.Count(string(data), "\n") + 1
		prev := 0
		for i, d := range docs {
			if d.Index != i || d.Line <= prev || d.Line > lines {
				t.Fatalf("document %d: index %d, line %d after line %d of %d", i, d.Index, d.Line, prev, lines)
			}
			prev = d.Line
			var v map[string]any
			err := yaml.Unmarshal(d.Data, &v)
			if err == nil {
				_, err = yaml.YAMLToJSONStrict(d.Data)
			}
			if err == nil {
				continue
			}
			msg := d.Error(err).Error()
			if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "x.yaml") {
				t.Fatalf("error %q: want one line starting with the file", msg)
			}
		}
	})
}
