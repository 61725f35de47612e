package backendcrd

import (
	"maps"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// The nearest valid path to one that does not exist: what "did you mean" proposes. A misspelt
// name is replaced by the nearest name of its object (edit distance, at most a third of its
// length), as often as the rest of the path needs; a name in the wrong place is looked for a few
// levels below where it failed (spec.size → spec.storage.size). The search is bounded, so that a
// CRD of megabytes answers as fast as a small one.

const (
	// maxFixes bounds the misspellings one path may have corrected.
	maxFixes = 4
	// maxDepth bounds how far below the failing object a misplaced name is looked for.
	maxDepth = 3
	// maxVisits bounds the schema nodes that search visits.
	maxVisits = 4096
)

// suggest returns the nearest valid path to segs, which fails as f says; nil when none is near.
func suggest(root *extv1.JSONSchemaProps, segs fieldpath.Segments, f found) fieldpath.Segments {
	cur := slices.Clone(segs)
	for range maxFixes {
		if f.at < 0 || f.at >= len(cur) || cur[f.at].Type != fieldpath.SegmentField {
			break
		}
		names := fields(f.parent)
		if f.parent == nil && f.at > 0 && cur[f.at-1].Field == "metadata" {
			names = slices.Sorted(maps.Keys(objectMetaFields))
		}
		name, ok := nearest(cur[f.at].Field, names)
		if !ok {
			if moved := misplaced(f.parent, cur, f.at); moved != nil {
				return moved
			}
			break
		}
		cur[f.at] = fieldpath.Field(name)
		next := lookup(root, cur)
		if next.ok() {
			return cur
		}
		if next.at <= f.at {
			break
		}
		f = next
	}
	if f.at > 0 && !slices.Equal(cur[:f.at], segs[:f.at]) {
		// The misspelt part is fixed, the rest leads nowhere: propose what exists.
		return cur[:f.at]
	}
	return nil
}

// nearest returns the name of names nearest to n, if one is near enough to be a misspelling.
func nearest(n string, names []string) (string, bool) {
	best, bestD := "", -1
	ln := strings.ToLower(n)
	for _, c := range names {
		d := distance(ln, strings.ToLower(c))
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	if bestD < 0 || bestD > max(1, len(n)/3) {
		return "", false
	}
	return best, true
}

// misplaced looks for segs[at:] below s, a few levels down, and returns the shortest path that
// leads there; nil when there is none.
func misplaced(s *extv1.JSONSchemaProps, segs fieldpath.Segments, at int) fieldpath.Segments {
	if s == nil {
		return nil
	}
	type node struct {
		s    *extv1.JSONSchemaProps
		path fieldpath.Segments
	}
	queue := []node{{s: s}}
	visits := 0
	for depth := 0; depth < maxDepth && len(queue) > 0; depth++ {
		var next []node
		for _, n := range queue {
			for _, name := range fields(n.s) {
				visits++
				if visits > maxVisits {
					return nil
				}
				p := n.s.Properties[name]
				path := append(slices.Clone(n.path), fieldpath.Field(name))
				child := &p
				if typeOf(child) == typeArray && child.Items != nil && child.Items.Schema != nil {
					path = append(path, fieldpath.FieldOrIndex("0"))
					child = child.Items.Schema
				}
				if _, ok := child.Properties[segs[at].Field]; ok {
					if f := walk(child, segs, at, false); f.ok() && !f.open {
						// child holds segs[at:]: the name was put a level (or more) too high.
						return append(append(slices.Clone(segs[:at]), path...), segs[at:]...)
					}
				}
				next = append(next, node{s: child, path: path})
			}
		}
		queue = next
	}
	return nil
}

// distance is the edit distance of a and b, a swap of two neighbours counting as one edit (the
// optimal string alignment distance): nmae is one edit from name.
func distance(a, b string) int {
	if a == b {
		return 0
	}
	rows := make([][]int, len(a)+1)
	for i := range rows {
		rows[i] = make([]int, len(b)+1)
		rows[i][0] = i
	}
	for j := range rows[0] {
		rows[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d := min(rows[i-1][j]+1, rows[i][j-1]+1, rows[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d = min(d, rows[i-2][j-2]+1)
			}
			rows[i][j] = d
		}
	}
	return rows[len(a)][len(b)]
}
