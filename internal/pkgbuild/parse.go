package pkgbuild

import (
	"bufio"
	"bytes"
	stdjson "encoding/json"
	"errors"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"unicode"

	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/internal/manifests"
)

// A parsed document is one YAML document of the package layer as Crossplane's package parser
// (crossplane-runtime's parser.PackageParser) reads it, decoded once for both the check and the
// build: the CPU profile of a 100-service build showed the YAML parser as most of it, once in the
// check and once again in Crossplane's builder.
type parsed struct {
	// doc is the document as the check reports it: file, line and the file's own text.
	doc manifests.Document
	// data is the document exactly as Crossplane's parser reads it from the stream of the files.
	data []byte
	// json is data converted to JSON; jsonErr the conversion's error.
	json    []byte
	jsonErr error
	// obj is the decoded object; isMeta says it is the package meta; err the decoder's error.
	obj    k8sruntime.Object
	isMeta bool
	err    error
}

// streamSuffix is what Crossplane's file reader (parser.FsReadCloser) writes after each file of
// the stream it parses: a document end and a separator.
const streamSuffix = "\n...\n\n---\n"

// parseFiles reads the files of the package layer and decodes every document the way Crossplane's
// parser does, in parallel (files and documents are independent). The documents come in the
// order of the stream Crossplane's builder reads: the files in order, each file's in order.
//
// Crossplane's parser splits the concatenated stream of files (each followed by streamSuffix)
// with the API machinery's YAML reader, which keeps no state across a separator; so splitting each
// file followed by streamSuffix gives exactly the stream's documents, file by file.
//
// Every document is admitted by r (or, in the package meta crossplane.yaml, by a reader of package
// metas) before it is decoded: a document expanding beyond the limits is refused unexpanded.
func parseFiles(r *manifests.Reader, paths []string, rel func(string) string) ([]parsed, error) {
	var docs []parsed
	meta := manifests.PackageMeta.Reader()
	for _, file := range paths {
		data, err := readRegular(file)
		if err != nil {
			return nil, err
		}
		fr := r
		if filepath.Base(file) == "crossplane.yaml" {
			fr = meta
		}
		shown, err := fr.Split(rel(file), data)
		if err != nil {
			return nil, err
		}
		stream, err := streamDocs(data)
		if err != nil {
			return nil, &Error{Root: rel(file), Problems: []string{err.Error()}}
		}
		for i, s := range stream {
			// The check's split names the line of each document; when it sees the documents
			// differently from Crossplane's reader (a separator followed by text), the document
			// is named by its file and index only, and admitted on its own.
			d := manifests.Document{File: rel(file), Index: i, Data: s}
			if len(shown) == len(stream) {
				d = shown[i]
			} else if err := fr.Admit(d); err != nil {
				return nil, err
			}
			docs = append(docs, parsed{doc: d, data: s})
		}
	}

	metaScheme, err := xpkg.BuildMetaScheme()
	if err != nil {
		return nil, err
	}
	objScheme, err := xpkg.BuildObjectScheme()
	if err != nil {
		return nil, err
	}
	// The JSON serializers decode what the YAML serializers of Crossplane's parser decode after
	// their own YAML-to-JSON conversion, converted once here for both.
	dm := json.NewSerializerWithOptions(json.DefaultMetaFactory, metaScheme, metaScheme, json.SerializerOptions{})
	do := json.NewSerializerWithOptions(json.DefaultMetaFactory, objScheme, objScheme, json.SerializerOptions{})
	parallel(len(docs), func(i int) {
		p := &docs[i]
		if p.json, p.jsonErr = yaml.YAMLToJSON(p.data); p.jsonErr != nil {
			return
		}
		if p.obj, _, p.err = dm.Decode(p.json, nil, nil); p.err == nil {
			p.isMeta = true
			return
		}
		if k8sruntime.IsNotRegisteredError(p.err) {
			p.obj, _, p.err = do.Decode(p.json, nil, nil)
		}
	})
	return docs, nil
}

// streamDocs splits a file's data as Crossplane's parser splits it within its stream, leaving
// out the documents it skips as empty.
func streamDocs(data []byte) ([][]byte, error) {
	r := k8syaml.NewYAMLReader(bufio.NewReader(io.MultiReader(bytes.NewReader(data), strings.NewReader(streamSuffix))))
	var out [][]byte
	for {
		d, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if !isEmptyYAML(d) {
			out = append(out, bytes.Clone(d))
		}
	}
}

// isEmptyYAML is Crossplane's parser's test for a document it skips: only blank lines,
// separators, document ends and comments.
func isEmptyYAML(y []byte) bool {
	for line := range strings.SplitSeq(string(y), "\n") {
		trimmed := strings.TrimLeftFunc(line, unicode.IsSpace)
		if trimmed != "" && trimmed != "---" && trimmed != "..." && !strings.HasPrefix(trimmed, "#") {
			return false
		}
	}
	return true
}

// parallel calls f for 0..n-1 on as many goroutines as the process may run at once.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var next sync.Mutex
	i := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				next.Lock()
				j := i
				i++
				next.Unlock()
				if j >= n {
					return
				}
				f(j)
			}
		})
	}
	wg.Wait()
}

// lintable is the decoded package as Crossplane's linter and encoder read it.
type lintable struct {
	meta, objects []k8sruntime.Object
}

func (l *lintable) GetMeta() []k8sruntime.Object    { return l.meta }
func (l *lintable) GetObjects() []k8sruntime.Object { return l.objects }

// packageOf collects the decoded objects in stream order, as Crossplane's parser does.
func packageOf(docs []parsed) *lintable {
	l := &lintable{}
	for _, d := range docs {
		if d.isMeta {
			l.meta = append(l.meta, d.obj)
		} else {
			l.objects = append(l.objects, d.obj)
		}
	}
	return l
}

// encode writes the package layer's package.yaml exactly as Crossplane's builder does (xpkg's
// encode: "---", the meta, "---", then each object followed by "---", each in the YAML of the
// object scheme's serializer), encoding the objects in parallel.
func encode(pkg *lintable) (*bytes.Buffer, error) {
	all := append([]k8sruntime.Object{pkg.meta[0]}, pkg.objects...)
	out := make([]bytes.Buffer, len(all))
	errs := make([]error, len(all))
	parallel(len(all), func(i int) {
		// What the object scheme's YAML serializer does: JSON, then YAML.
		j, err := stdjson.Marshal(all[i])
		if err == nil {
			var y []byte
			if y, err = jsonToYAML(j); err == nil {
				out[i].Write(y)
			}
		}
		errs[i] = err
	})
	buf := new(bytes.Buffer)
	buf.WriteString("---\n")
	for i := range all {
		if errs[i] != nil {
			return nil, errs[i]
		}
		buf.Write(out[i].Bytes())
		buf.WriteString("---\n")
	}
	return buf, nil
}
