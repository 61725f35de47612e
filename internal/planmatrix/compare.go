package planmatrix

import (
	"slices"
)

// Delta is one change an instance may make (or one value it may hold) that two releases of an
// API answer differently.
type Delta struct {
	// Field is plan or service.
	Field string `json:"field"`
	// Context is the version and composition, and the value of the other field, that the change
	// keeps.
	Context Instance `json:"context"`
	// From is the value before the change; empty for a value an instance may (no longer) hold.
	From string `json:"from,omitempty"`
	// To is the value after the change, or the value held.
	To string `json:"to"`
	// Refusal is the first rule that refuses: in the new release for what it refuses, in the old
	// one for what it allows now.
	Refusal *Refusal `json:"refusal,omitempty"`
}

// Comparison is how the plan and service changes of two releases differ.
type Comparison struct {
	// NewlyRefused are changes the old release allowed and the new one refuses: claims that could
	// make them cannot any more.
	NewlyRefused []Delta `json:"newlyRefused,omitempty"`
	// NoLongerOffered are values an instance could hold in the old release that the new one
	// refuses on create.
	NoLongerOffered []Delta `json:"noLongerOffered,omitempty"`
	// KeptOnly are values new instances could choose in the old release that the new one keeps for
	// existing instances only (a hidden plan).
	KeptOnly []Delta `json:"keptOnly,omitempty"`
	// NewlyAllowed are changes the old release refused and the new one allows.
	NewlyAllowed []Delta `json:"newlyAllowed,omitempty"`
	// NewlyOffered are values the new release offers where the old one refused them.
	NewlyOffered []Delta `json:"newlyOffered,omitempty"`
}

// Breaking says whether some change or value of an existing instance is refused now.
func (c Comparison) Breaking() bool { return len(c.NewlyRefused) > 0 || len(c.NoLongerOffered) > 0 }

// Union is the domain of both releases: what either offers is a candidate of both.
func Union(a, b Domain) Domain {
	add := func(x, y []string) []string {
		out := slices.Clone(x)
		for _, v := range y {
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
		return out
	}
	return Domain{Compositions: add(a.Compositions, b.Compositions), Services: add(a.Services, b.Services), Plans: add(a.Plans, b.Plans)}
}

// cellAt is one evaluated value or change, keyed by field, context and values.
type cellAt struct {
	field   string
	context Instance
	from    string
	to      string
}

// flatten indexes every change and every held value of r. A held value is keyed with an empty
// from; a value not offered maps to its refusal.
func flatten(r Result) (changes map[cellAt]Cell, held, kept map[cellAt]*Refusal, order []cellAt) {
	changes, held, kept = map[cellAt]Cell{}, map[cellAt]*Refusal{}, map[cellAt]*Refusal{}
	for _, m := range r.Matrices {
		for _, ctx := range m.Contexts {
			for _, n := range m.KeptOnly {
				rf := n.Refusal
				kept[cellAt{field: m.Field, context: ctx, to: n.Value}] = &rf
			}
			for _, v := range m.Values {
				k := cellAt{field: m.Field, context: ctx, to: v}
				held[k] = nil
				order = append(order, k)
			}
			for _, n := range m.NotOffered {
				rf := n.Refusal
				held[cellAt{field: m.Field, context: ctx, to: n.Value}] = &rf
			}
			for _, row := range m.Cells {
				for _, c := range row {
					k := cellAt{field: m.Field, context: ctx, from: c.From, to: c.To}
					changes[k] = c
					order = append(order, k)
				}
			}
		}
	}
	return changes, held, kept, order
}

// Compare says which changes and values old and next answer differently. Both must be computed over
// the same domain (Union of the two releases'), so that each evaluates every value the other
// offers. Changes whose rules could not be evaluated on either side are left to the results'
// Errors.
func Compare(old, next Result) Comparison {
	oc, oh, okept, oorder := flatten(old)
	nc, nh, nk, norder := flatten(next)
	var c Comparison
	first := func(cl Cell) *Refusal {
		if len(cl.Refusals) == 0 {
			return nil
		}
		r := cl.Refusals[0]
		return &r
	}
	for _, k := range oorder {
		d := Delta{Field: k.field, Context: k.context, From: k.from, To: k.to}
		if k.from == "" {
			if r, ok := nh[k]; ok && r != nil {
				d.Refusal = r
				c.NoLongerOffered = append(c.NoLongerOffered, d)
			} else if r := nk[k]; r != nil && okept[k] == nil {
				d.Refusal = r
				c.KeptOnly = append(c.KeptOnly, d)
			}
			continue
		}
		o := oc[k]
		n, ok := nc[k]
		if !ok || o.Unevaluated || n.Unevaluated {
			continue
		}
		switch {
		case o.Allowed && !n.Allowed:
			d.Refusal = first(n)
			c.NewlyRefused = append(c.NewlyRefused, d)
		case !o.Allowed && n.Allowed:
			d.Refusal = first(o)
			c.NewlyAllowed = append(c.NewlyAllowed, d)
		}
	}
	for _, k := range norder {
		if k.from != "" {
			continue
		}
		if r, ok := oh[k]; ok && r != nil {
			c.NewlyOffered = append(c.NewlyOffered, Delta{Field: k.field, Context: k.context, To: k.to, Refusal: r})
		}
	}
	return c
}
