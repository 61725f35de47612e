package manifests

import (
	"fmt"

	"github.com/dustin/go-humanize"
)

// Kind is what a reader reads documents as, and so how far they may expand: every YAML or JSON
// document the CLI reads comes through a Reader of its kind, which refuses a document, before
// anything decodes it, once what it expands to (its bytes, with every alias replaced by what its
// anchor holds) passes the kind's limit. Decoding costs a small multiple of what a document
// expands to, so these bound the memory of every read.
type Kind struct {
	// Name says what one document is, for errors.
	Name string
	// MaxDocument bounds what one document expands to, in bytes.
	MaxDocument int64
	// MaxTotal bounds what the documents one Reader reads expand to together, in bytes: many
	// documents each within MaxDocument would otherwise add up without bound.
	MaxTotal int64
	// NoAnchors refuses any anchor or alias.
	NoAnchors bool
}

// The kinds of documents the CLI reads. A Kubernetes object is stored as JSON of at most 1.5 MiB
// (etcd's default request limit), and its YAML, indented, takes up to a few times that: the
// limits of objects leave room for that and nothing more.
var (
	// Specs are DataService specs and DataServiceOverlays (generate, plans, docs, check-compat,
	// explain): the generator refuses a spec beyond 1.5 MiB as JSON.
	Specs = Kind{Name: "DataService spec", MaxDocument: 4 << 20, MaxTotal: 64 << 20}
	// Defaults is the function input of --defaults: a handful of names.
	Defaults = Kind{Name: "function input (--defaults)", MaxDocument: 1 << 20, MaxTotal: 1 << 20}
	// Objects are Kubernetes objects read to import or compare them: XRDs, Compositions, export
	// templates, the package roots generate writes.
	Objects = Kind{Name: "Kubernetes manifest", MaxDocument: 8 << 20, MaxTotal: 64 << 20}
	// CRDs are the CustomResourceDefinitions of operators (--crd).
	CRDs = Kind{Name: "CustomResourceDefinition", MaxDocument: 8 << 20, MaxTotal: 64 << 20}
	// PackageMeta is a package's crossplane.yaml: a name, a version constraint, dependencies.
	PackageMeta = Kind{Name: "package meta (crossplane.yaml)", MaxDocument: 1 << 20, MaxTotal: 1 << 20}
	// PackageFiles are the files of a package root and its examples, which build reads: together
	// at most what Crossplane reads of a package (crossplane-runtime pkg/xpkg, maxPackageSize), as
	// its builder writes the objects out expanded.
	PackageFiles = Kind{Name: "package file", MaxDocument: 8 << 20, MaxTotal: 200 << 20}
	// PackageStream is a package's package.yaml, from a file or a registry: Crossplane's builder
	// writes no anchor, so a package that holds one was made by something else, to be refused.
	PackageStream = Kind{Name: "package.yaml", MaxDocument: 200 << 20, MaxTotal: 200 << 20, NoAnchors: true}
	// PackageExamples are a package's .up/examples.yaml, which holds the example files as written.
	PackageExamples = Kind{Name: "package example", MaxDocument: 8 << 20, MaxTotal: 200 << 20}
)

// TooLargeError is a document, or the documents of one read, expanding beyond a limit.
type TooLargeError struct {
	// Where names the document (file and line).
	Where string
	// Kind is what it was read as.
	Kind Kind
	// Size is what it expands to (the documents so far, for the total), saturated far beyond
	// any limit; Limit what was allowed.
	Size, Limit int64
	// Aliases counts the aliases of the document.
	Aliases int
	// Total says the limit is that of all the documents read together.
	Total bool
}

func (e *TooLargeError) Error() string {
	size := humanize.IBytes(uint64(e.Size))
	if e.Size >= maxSize {
		size = "more than " + humanize.IBytes(uint64(e.Limit))
	}
	if e.Total {
		return fmt.Sprintf("%s: the documents read so far expand to %s, beyond the %s that one read of %s documents may expand to together: read fewer files at once",
			e.Where, size, humanize.IBytes(uint64(e.Limit)), e.Kind.Name)
	}
	why := ""
	if e.Aliases > 0 {
		why = fmt.Sprintf(" (its %d aliases each repeat what their anchor holds)", e.Aliases)
	}
	return fmt.Sprintf("%s: the document expands to %s%s, beyond the %s one %s may expand to: write it smaller, with fewer aliases of smaller anchors",
		e.Where, size, why, humanize.IBytes(uint64(e.Limit)), e.Kind.Name)
}

// AnchorError is an anchor in a document of a kind that holds none.
type AnchorError struct {
	Where string
	Kind  Kind
}

func (e *AnchorError) Error() string {
	return fmt.Sprintf("%s: an anchor (&name): a %s holds none (Crossplane's package builder writes none), so this one was made by another tool: it is not read", e.Where, e.Kind.Name)
}
