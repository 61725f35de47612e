package pkgbuild

import (
	stdjson "encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg"
	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg/parser"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/internal/manifests"
)

// Kind is the kind of package meta a build expects.
type Kind string

// The kinds of package this builder makes.
const (
	Configuration Kind = "Configuration"
	Function      Kind = "Function"
)

// holds says, for a user, what a package of the kind may hold.
func (k Kind) holds() string {
	if k == Function {
		return "only CustomResourceDefinitions (the function's input types)"
	}
	return "only CompositeResourceDefinitions, Compositions, ManagedResourceActivationPolicies and Operations"
}

// objectLinter is Crossplane's own rule for the objects of a package of the kind.
func (k Kind) objectLinter() parser.ObjectLinterFn {
	if k == Function {
		return xpkg.IsCRD
	}
	return parser.Or(xpkg.IsXRD, xpkg.IsActivationPolicy, xpkg.IsComposition, xpkg.IsOperation, xpkg.IsCronOperation, xpkg.IsWatchOperation)
}

func (k Kind) metaLinter() parser.ObjectLinterFn {
	if k == Function {
		return xpkg.IsFunction
	}
	return xpkg.IsConfiguration
}

// Error is every problem found in a package's files, each naming its file, line and object.
type Error struct {
	Root     string
	Problems []string
	// Note explains the problems, e.g. what a package may hold.
	Note string
}

func (e *Error) Error() string {
	if len(e.Problems) == 1 && e.Note == "" {
		return fmt.Sprintf("cannot build the package in %s: %s", e.Root, e.Problems[0])
	}
	msg := fmt.Sprintf("cannot build the package in %s:\n  %s", e.Root, strings.Join(e.Problems, "\n  "))
	if e.Note != "" {
		msg += "\n" + e.Note
	}
	return msg
}

// check reports what Crossplane's parser and linter would refuse in the decoded documents of the
// package (parseFiles) and in its examples, but naming the file, line and object, and saying
// where a foreign object belongs. Crossplane's own errors name neither.
func check(r *manifests.Reader, f *files, docs []parsed, kind Kind, rel func(string) string) error {
	var problems, metas []string
	foreigners := 0
	isObject := kind.objectLinter()
	for _, p := range docs {
		d := p.doc
		id, err := identifyParsed(p)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		switch {
		case p.jsonErr != nil:
			where, msg := d.Locate(p.jsonErr)
			problems = append(problems, fmt.Sprintf("%s: %s: %s", where, id, msg))
		case p.isMeta:
			metas = append(metas, d.Where())
			if lerr := kind.metaLinter()(p.obj); lerr != nil {
				problems = append(problems, fmt.Sprintf("%s: %s is not a %s meta: build it with the command for its kind", d.Where(), id, kind))
			} else if lerr := xpkg.PackageValidSemver(p.obj); lerr != nil {
				problems = append(problems, fmt.Sprintf("%s: %s: spec.crossplane.version: %v", d.Where(), id, lerr))
			}
			if m, ok := p.obj.(metav1.Object); ok {
				// The package file is named after it (NAME.xpkg): a name the API server would
				// refuse ("../../x") would write outside the folder.
				for _, msg := range validation.IsDNS1123Subdomain(m.GetName()) {
					problems = append(problems, fmt.Sprintf("%s: %s: metadata.name: Invalid value: %q: %s: give the package a name the API server accepts, e.g. my-configuration", d.Where(), id, m.GetName(), msg))
				}
			}
		case runtime.IsNotRegisteredError(p.err):
			foreigners++
			problems = append(problems, foreign(d, id, kind, rel(f.root)))
		case p.err != nil:
			where, msg := d.Locate(p.err)
			problems = append(problems, fmt.Sprintf("%s: %s: %s", where, id, msg))
		case isObject(p.obj) != nil:
			foreigners++
			problems = append(problems, foreign(d, id, kind, rel(f.root)))
		}
	}
	switch {
	case len(metas) == 0:
		problems = append(problems, fmt.Sprintf("no %s meta (apiVersion: meta.pkg.crossplane.io/v1, kind: %s) in any file: add a crossplane.yaml to the package root", kind, kind))
	case len(metas) > 1:
		problems = append(problems, fmt.Sprintf("a package has exactly one meta, found %d: %s: keep one, in crossplane.yaml at the package root, and remove the others", len(metas), strings.Join(metas, ", ")))
	}

	// Crossplane's examples parser reads each document as a Kubernetes object.
	for _, file := range f.ex {
		docs, err := readDocs(r, file, rel)
		if err != nil {
			return err
		}
		for _, d := range docs {
			if _, err := identify(d); err != nil {
				problems = append(problems, err.Error()+" (in the examples root)")
			}
		}
	}
	if len(problems) > 0 {
		e := &Error{Root: rel(f.root), Problems: problems}
		if foreigners > 0 {
			e.Note = fmt.Sprintf("A %s package holds one crossplane.yaml meta and %s (Crossplane's package linter).", kind, kind.holds())
		}
		return e
	}
	return nil
}

func readDocs(r *manifests.Reader, file string, rel func(string) string) ([]manifests.Document, error) {
	data, err := readRegular(file)
	if err != nil {
		return nil, err
	}
	return r.Split(rel(file), data)
}

// identifyParsed names the object of a decoded document from its JSON, which is cheaper to read
// than its YAML; a document that is no JSON object is named by identify, with the YAML error.
func identifyParsed(p parsed) (string, error) {
	if p.jsonErr == nil {
		var o objectID
		if err := stdjson.Unmarshal(p.json, &o); err == nil {
			return o.id(p.doc)
		}
	}
	return identify(p.doc)
}

// objectID is what names an object.
type objectID struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

func (o objectID) id(d manifests.Document) (string, error) {
	if o.APIVersion == "" || o.Kind == "" {
		return "", fmt.Errorf("%s: object has no apiVersion or kind: add them, or move the file out of the package root", d.Where())
	}
	id := o.Kind
	if o.Metadata.Name != "" {
		id += fmt.Sprintf(" %q", o.Metadata.Name)
	}
	return id + " (" + o.APIVersion + ")", nil
}

// identify names the object of a document, e.g. `APIServiceExportTemplate "mongodbs"`.
func identify(d manifests.Document) (string, error) {
	var o objectID
	if err := yaml.Unmarshal(d.Data, &o); err != nil {
		where, msg := d.Locate(err)
		return "", fmt.Errorf("%s: not a YAML object: %s", where, msg)
	}
	return o.id(d)
}

// foreign explains why an object does not belong in the package and where it goes instead.
func foreign(d manifests.Document, id string, kind Kind, root string) string {
	msg := fmt.Sprintf("%s: %s does not belong in a %s package: ", d.Where(), id, kind)
	switch {
	case strings.HasPrefix(id, "APIServiceExportTemplate"):
		msg += "apply it to the control plane beside the package; `dataservice generate` writes templates to " +
			"apiserviceexporttemplates.yaml beside the package root, so move this file out of " + root
	case kind == Function:
		msg += "move it out of " + root + " or leave it out with --ignore"
	default:
		msg += "apply it to the control plane separately and move it out of " + root + ", or leave it out with --ignore"
	}
	return msg
}

var errNotDir = errors.New("not a directory")

// relTo returns a function that shows absolute paths relative to the working directory when below it.
func relTo(wd string) func(string) string {
	return func(p string) string {
		if wd == "" {
			return p
		}
		if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
			return r
		}
		return p
	}
}
