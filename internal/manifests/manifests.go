// Package manifests reads Kubernetes manifests from files the way operators keep them (several YAML
// documents per file, folders of files).
// Every document keeps the file and line it came from, so errors can name them.
package manifests

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// Document is one YAML document of a file.
type Document struct {
	// File the document was read from.
	File string
	// Line of the file the document starts at, counting from 1.
	Line int
	// Index of the document within the file, counting from 0.
	Index int
	// Data is the document's YAML.
	Data []byte
}

// Where names the document for a user: file, and line when the file holds several documents.
func (d Document) Where() string {
	if d.Line > 1 || d.Index > 0 {
		return fmt.Sprintf("%s:%d", d.File, d.Line)
	}
	return d.File
}

// TypeMeta is the apiVersion and kind of a document.
type TypeMeta struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
}

// TypeMeta reads the apiVersion and kind of the document.
func (d Document) TypeMeta() (TypeMeta, error) {
	var tm TypeMeta
	if err := yaml.Unmarshal(d.Data, &tm); err != nil {
		return tm, d.Error(err)
	}
	return tm, nil
}

// yamlLine is how the YAML parser names the line of a problem, within one document.
var yamlLine = regexp.MustCompile(`^line (\d+): (.*)$`)

// Error reports an error about the document on one line, naming its file and, when the YAML
// parser gives one, the line of the file the problem is on ("file.yaml:12: ..."), and the fix for
// a YAML syntax error.
func (d Document) Error(err error) error {
	where, msg := d.Locate(err)
	return errors.New(where + ": " + msg)
}

// Locate splits an error about the document into where it is (file, and the line of the file
// when the YAML parser names one) and what it says on one line, with the fix for a YAML syntax
// error, so that a caller can put its own words between them.
func (d Document) Locate(err error) (where, msg string) {
	msg = strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	rest, isYAML := strings.CutPrefix(msg, "yaml: ")
	if !isYAML {
		return d.Where(), oneLine(msg)
	}
	at := func(line int) string { return fmt.Sprintf("%s:%d", d.File, line+max(d.Line, 1)-1) }
	if list, ok := strings.CutPrefix(rest, "unmarshal errors:"); ok {
		// Several problems, one a line, e.g. keys given twice: the first names the place.
		var msgs []string
		for l := range strings.Lines(list) {
			l = strings.TrimSpace(l)
			if m := yamlLine.FindStringSubmatch(l); m != nil {
				n, _ := strconv.Atoi(m[1])
				if where == "" {
					where, l = at(n), m[2]
				} else {
					l = "line " + at(n) + ": " + m[2]
				}
				if strings.Contains(m[2], "already set in map") {
					l += ": remove one of the two"
				}
			}
			if l != "" {
				msgs = append(msgs, l)
			}
		}
		if where == "" {
			where = d.Where()
		}
		return where, strings.Join(msgs, "; ")
	}
	const fix = "fix the YAML syntax there (indentation, a missing colon, quote or bracket)"
	const tabFix = "indent with spaces, YAML does not allow tabs"
	lines := strings.Split(string(d.Data), "\n")
	indentedWithTab := func(l string) bool { return strings.HasPrefix(strings.TrimLeft(l, " "), "\t") }
	token := strings.Contains(rest, "found character that cannot start any token")
	if m := yamlLine.FindStringSubmatch(rest); m != nil {
		n, _ := strconv.Atoi(m[1])
		if token && n >= 1 && n <= len(lines) && indentedWithTab(lines[n-1]) {
			return at(n), m[2] + ": " + tabFix
		}
		return at(n), m[2] + ": " + fix
	}
	if token {
		// Typically a tab, which YAML does not allow for indentation; the parser names no line.
		for i, l := range lines {
			if indentedWithTab(l) {
				return at(i + 1), rest + ": " + tabFix
			}
		}
	}
	return d.Where(), oneLine(rest) + ": " + fix
}

// oneLine joins the lines of a message.
func oneLine(msg string) string {
	fields := strings.FieldsFunc(msg, func(r rune) bool { return r == '\n' })
	for i := range fields {
		fields[i] = strings.TrimSpace(fields[i])
	}
	return strings.Join(fields, "; ")
}

// Reader reads the documents of one kind, each refused before anything decodes it once it, or
// all it has read together, expands beyond the kind's limits (limits.go). Every reader of a YAML
// or JSON input goes through one, so that every document a caller gets is safe to decode.
type Reader struct {
	kind Kind
	// total is what the documents read so far expand to.
	total int64
}

// Reader returns a reader of documents of the kind.
func (k Kind) Reader() *Reader { return &Reader{kind: k} }

// Read returns the documents of the given files and folders read as Kubernetes objects (Objects),
// bounded by what they expand to. See Reader.Read.
func Read(paths ...string) ([]Document, error) { return Objects.Reader().Read(paths...) }

// Read returns the YAML documents of the given files and folders. A folder contributes its *.yaml,
// *.yml and *.json files, recursively, skipping hidden entries (.git, .github), in lexical order.
// Empty documents are skipped. A file larger than the documents may expand to is not read.
func (r *Reader) Read(paths ...string) ([]Document, error) {
	var docs []Document
	for _, p := range paths {
		files, err := Files(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			data, err := r.readFile(f)
			if err != nil {
				return nil, err
			}
			d, err := r.Split(f, data)
			if err != nil {
				return nil, err
			}
			docs = append(docs, d...)
		}
	}
	return docs, nil
}

// readFile reads a file, refusing it once it is larger than what is left of the kind's total.
func (r *Reader) readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	left := r.kind.MaxTotal - r.total
	data, err := io.ReadAll(io.LimitReader(f, left+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > left {
		return nil, &TooLargeError{Where: name, Kind: r.kind, Size: add(r.total, int64(len(data))), Limit: r.kind.MaxTotal, Total: true}
	}
	return data, nil
}

// Files lists the manifest files below a path: the path itself when it is a file.
func Files(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no such file or folder: check the path", path)
	}
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != path && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.IsDir() && IsManifest(p) {
			files = append(files, p)
		}
		return nil
	})
	slices.Sort(files)
	return files, err
}

// IsManifest says whether a file name is one of a manifest.
func IsManifest(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// Split cuts a file into its YAML documents read as Kubernetes objects (Objects), bounded by what
// they expand to. See Reader.Split.
func Split(file string, data []byte) ([]Document, error) { return Objects.Reader().Split(file, data) }

// Split cuts a file into its YAML documents at "---" lines, each admitted (Admit) before it is
// returned.
func (r *Reader) Split(file string, data []byte) ([]Document, error) {
	docs, err := split(file, data)
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		if err := r.Admit(d); err != nil {
			return nil, err
		}
	}
	return docs, nil
}

// Admit refuses a document that expands, alone or with the documents admitted before, beyond the
// kind's limits, or that holds an anchor when the kind holds none; what it admits is safe to
// decode. Split admits the documents it returns; Admit is for documents cut otherwise.
func (r *Reader) Admit(d Document) error {
	e, err := measure(d.Data, r.kind.NoAnchors)
	if err != nil {
		return d.Error(err)
	}
	if r.kind.NoAnchors && e.anchorLine > 0 {
		return &AnchorError{Where: fmt.Sprintf("%s:%d", d.File, e.anchorLine+max(d.Line, 1)-1), Kind: r.kind}
	}
	if e.size > r.kind.MaxDocument {
		return &TooLargeError{Where: d.Where(), Kind: r.kind, Size: e.size, Limit: r.kind.MaxDocument, Aliases: e.aliases}
	}
	r.total = add(r.total, e.size)
	if r.total > r.kind.MaxTotal {
		return &TooLargeError{Where: d.Where(), Kind: r.kind, Size: r.total, Limit: r.kind.MaxTotal, Total: true}
	}
	return nil
}

// split cuts a file into its YAML documents at "---" lines.
func split(file string, data []byte) ([]Document, error) {
	var docs []Document
	var cur bytes.Buffer
	start, line, index := 1, 0, 0
	flush := func() {
		if len(bytes.TrimSpace(stripComments(cur.Bytes()))) > 0 {
			docs = append(docs, Document{File: file, Line: start, Index: index, Data: slices.Clone(cur.Bytes())})
			index++
		}
		cur.Reset()
	}
	r := bufio.NewReader(bytes.NewReader(data))
	for {
		l, err := r.ReadString('\n')
		if l != "" {
			line++
			if strings.HasPrefix(l, "---") && strings.TrimSpace(strings.TrimPrefix(l, "---")) == "" {
				flush()
				start = line + 1
			} else {
				cur.WriteString(l)
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	flush()
	return docs, nil
}

func stripComments(b []byte) []byte {
	var out bytes.Buffer
	for l := range bytes.Lines(b) {
		if t := bytes.TrimSpace(l); len(t) > 0 && t[0] != '#' {
			out.Write(l)
		}
	}
	return out.Bytes()
}

// LineError shifts the line number YAML reports within a document to the line of the file.
func LineError(err error, docLine int) error {
	if err == nil || docLine <= 1 {
		return err
	}
	msg := err.Error()
	var n int
	if i := strings.Index(msg, "line "); i >= 0 {
		if _, serr := fmt.Sscanf(msg[i:], "line %d", &n); serr == nil {
			return errors.New(strings.Replace(msg, fmt.Sprintf("line %d", n), fmt.Sprintf("line %d", n+docLine-1), 1))
		}
	}
	return err
}
