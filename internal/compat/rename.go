package compat

import (
	"strings"
)

// PossibleRename is a removed field beside an added one of a similar name: one change, breaking,
// in place of the removal and the addition, so that a rename counts once. Whether the field was
// renamed only its author knows; the reason says how to rename without breaking claims.
const PossibleRename Kind = "PossibleRename"

// renameHints replaces each removed field that has an added sibling of a similar name (equal but
// for case, '_' or '-', or a small edit distance) and the addition by one PossibleRename change,
// so that a rename is neither mistaken for an unrelated removal and addition nor counted twice.
func renameHints(changes []Change) []Change {
	paired := map[int]bool{}
	out := make([]Change, 0, len(changes))
	for i, r := range changes {
		if r.Kind != FieldRemoved {
			continue
		}
		rp, rn := splitPath(r.Path)
		for j, a := range changes {
			if paired[j] || a.API != r.API || (a.Kind != FieldAdded && a.Kind != RequiredFieldAdded) {
				continue
			}
			ap, an := splitPath(a.Path)
			if ap != rp || !similar(rn, an) {
				continue
			}
			paired[i], paired[j] = true, true
			how := "a small edit apart"
			if fold(rn) == fold(an) {
				how = "equal but for case, '_' or '-'"
			}
			out = append(out, Change{API: r.API, Path: r.Path, Kind: PossibleRename, Breaking: true,
				Reason: "field is removed beside " + a.Path + " (" + how + "), a possible rename: claims setting " + rn + " lose the value, the backend gets nothing under its key; " +
					"to rename without breaking them keep " + rn + " beside " + an + " (say in its description it is deprecated) until no claim sets it"})
			break
		}
	}
	for i, c := range changes {
		if !paired[i] {
			out = append(out, c)
		}
	}
	return out
}

// fold is a name with case and the separators '_' and '-' dropped.
func fold(s string) string {
	return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(s))
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
