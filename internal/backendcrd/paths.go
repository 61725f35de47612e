package backendcrd

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The paths a composed resource's patches, base, readiness checks and connection details name,
// looked up in the CRD version's schema: what does not exist is reported at the DataService field
// that names it, with the nearest valid path.

// pathProblem says why rel does not exist in t, "" when it does: the path as written up to the
// first segment that does not exist, why, and the nearest valid path.
func (t *target) pathProblem(rel fieldpath.Segments, prefix fieldpath.Segments) string {
	f := lookup(t.schema, rel)
	if f.ok() {
		return ""
	}
	return t.describe(rel, prefix, f)
}

func (t *target) describe(rel, prefix fieldpath.Segments, f found) string {
	bad := written(prefix, rel[:min(f.at+1, len(rel))])
	parent := written(prefix, rel[:f.at])
	var why string
	switch f.why {
	case fieldOfList:
		ex := append(slices.Clone(rel[:f.at]), fieldpath.FieldOrIndex("0"))
		ex = append(ex, rel[f.at:]...)
		why = fmt.Sprintf("no such field in %s: %s is a list, index it, e.g. %s", t.name(), parent, written(prefix, ex))
	case fieldOfScalar:
		why = fmt.Sprintf("no such field in %s: %s is %s", t.name(), parent, article(f.parentType))
	case indexOfNonList:
		why = fmt.Sprintf("not a list in %s: %s is %s", t.name(), parent, article(f.parentType))
	case noSuchMetadata:
		why = fmt.Sprintf("no such field of metadata (an object's metadata is Kubernetes' ObjectMeta): its fields are %s", strings.Join(slices.Sorted(maps.Keys(objectMetaFields)), ", "))
	case metadataMap:
		why = fmt.Sprintf("no such field: %s holds strings, e.g. %s[example.org/key]", parent, written(prefix, rel[:f.at-1]))
	default:
		why = "no such field in " + t.name()
	}
	msg := bad + ": " + why
	if s := suggest(t.schema, rel, f); s != nil {
		msg += "; did you mean " + written(prefix, s) + "?"
	} else if names := fields(f.parent); f.why == noSuchField && len(names) > 0 {
		msg += fmt.Sprintf("; %s has %s", orRoot(parent, t), listSome(names, 12))
	}
	return msg
}

func orRoot(p string, t *target) string {
	if p == "" {
		return t.gvk.Kind
	}
	return p
}

func listSome(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(" and %d more", len(names)-n)
}

// checkBase reports every field of the base that t does not have.
func (c *checker) checkBase(t *target) {
	base := c.r.Base
	if len(t.prefix) > 0 {
		m, ok, _ := unstructured.NestedMap(base, segmentNames(t.prefix)...)
		if !ok {
			return
		}
		base = m
	}
	var visit func(v any, rel fieldpath.Segments)
	visit = func(v any, rel fieldpath.Segments) {
		if len(rel) > 0 {
			f := lookup(t.schema, rel)
			if !f.ok() {
				full := append(slices.Clone(t.prefix), rel...)
				p := c.basePath(full)
				c.errs = append(c.errs, field.Invalid(p, shortValue(v), t.describe(rel, t.prefix, f)))
				c.silence(full)
				return
			}
			if f.open {
				return
			}
		}
		switch x := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(x)) {
				visit(x[k], append(slices.Clone(rel), fieldpath.Field(k)))
			}
		case []any:
			for i, e := range x {
				visit(e, append(slices.Clone(rel), fieldpath.FieldOrIndex(fmt.Sprint(i))))
			}
		}
	}
	visit(base, nil)
}

// basePath is the DataService field of a path of the base: the field that implied it, or the
// base's own field.
func (c *checker) basePath(full fieldpath.Segments) *field.Path {
	for i := len(full); i > 0; i-- {
		if p, ok := c.r.Implied[full[:i].String()]; ok {
			return p
		}
	}
	return toFieldPath(c.r.Path.Child("base"), full)
}

// toFieldPath appends segs to p as field.Path writes them.
func toFieldPath(p *field.Path, segs fieldpath.Segments) *field.Path {
	for _, s := range segs {
		switch {
		case s.Type == fieldpath.SegmentIndex:
			p = p.Index(int(s.Index))
		case strings.ContainsAny(s.Field, "./[]"):
			p = p.Key(s.Field)
		default:
			p = p.Child(s.Field)
		}
	}
	return p
}

func segmentNames(segs fieldpath.Segments) []string {
	out := make([]string, len(segs))
	for i, s := range segs {
		out[i] = s.Field
	}
	return out
}

// shortValue is a value as an error shows it: a scalar as it is, an object or list as {…}, […].
func shortValue(v any) any {
	switch v.(type) {
	case map[string]any:
		return "{…}"
	case []any:
		return "[…]"
	}
	return v
}

func (c *checker) silence(p fieldpath.Segments) { c.silenced = append(c.silenced, p) }

func (c *checker) silent(p fieldpath.Segments) bool {
	for _, s := range c.silenced {
		if hasPrefix(p, s) {
			return true
		}
	}
	return false
}

// patchPath is where an error about a patch's path of the composed resource is reported.
func (p *Patch) patchPath() *field.Path {
	if p.Field == "" {
		return p.Path
	}
	return p.Path.Child(p.Field)
}

// checkPatches checks every path a patch writes or reads on the composed resource, and the type
// of what it writes, over every composite.
func (c *checker) checkPatches() {
	for i := range c.r.Patches {
		p := &c.r.Patches[i]
		status := !fromComposite(p.Patch)
		path := p.Patch.ToFieldPath
		if status {
			path = p.Patch.FromFieldPath
		}
		if path == nil {
			continue
		}
		t, segs, rel, ok := c.locate(*path, status)
		if !ok {
			continue
		}
		prefix := t.prefix
		if status {
			prefix = t.statusPrefix
		}
		f := lookup(t.schema, rel)
		if !f.ok() {
			c.errs = append(c.errs, field.Invalid(p.patchPath(), *path, t.describe(rel, prefix, f)))
			c.silence(segs)
			c.badPath[i] = true
		}
	}
}
