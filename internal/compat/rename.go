package compat

import (
	"strings"
)

// PossibleRename is a removed field beside an added one of a similar name. It is a hint beside the
// FieldRemoved change, not a change of its own: whether the field was renamed only its author knows.
const PossibleRename Kind = "PossibleRename"

// renameHints adds a hint for each removed field that has an added sibling of a similar name:
// equal but for case, '_' or '-', or a small edit distance, so that a rename is not mistaken for an
// unrelated removal and addition.
func renameHints(changes []Change) []Change {
	var hints []Change
	for _, r := range changes {
		if r.Kind != FieldRemoved {
			continue
		}
		rp, rn := splitPath(r.Path)
		for _, a := range changes {
			if a.API != r.API || (a.Kind != FieldAdded && a.Kind != RequiredFieldAdded) {
				continue
			}
			ap, an := splitPath(a.Path)
			if ap != rp || !similar(rn, an) {
				continue
			}
			hints = append(hints, Change{API: r.API, Path: r.Path, Kind: PossibleRename, Breaking: r.Breaking,
				Reason: "possible rename to " + a.Path + ": claims setting " + rn + " lose the value, the backend gets nothing under its key; " +
					"to rename without breaking them keep " + rn + " beside " + an + " (say in its description it is deprecated) until no claim sets it"})
		}
	}
	return append(changes, hints...)
}

// splitPath splits a field path into its parent and its last name.
func splitPath(p string) (parent, name string) {
	i := strings.LastIndex(p, ".")
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}

// similar says whether two field names are probably one renamed: equal ignoring case and the
// separators '_' and '-', or at most a small edit apart (one edit per four letters, at most two).
func similar(a, b string) bool {
	if a == b {
		return false
	}
	fold := func(s string) string {
		return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(s))
	}
	fa, fb := fold(a), fold(b)
	if fa == fb {
		return true
	}
	limit := min(len(fa), len(fb)) / 4
	limit = min(limit, 2)
	return limit > 0 && editDistance(fa, fb) <= limit
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
