package planmatrix

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/function-dataservice/function-dataservice/internal/markdown"
	"github.com/function-dataservice/function-dataservice/internal/textwrap"
)

// legend names the refusals of a matrix with letters, the first rule (by field path and position)
// A.
type legend struct {
	keys    []string
	entries []Refusal
}

func refusalKey(r Refusal) string { return r.Path + "\x00" + r.Rule + "\x00" + r.Message }

func legendOf(m Matrix) *legend {
	var rs []Refusal
	seen := map[string]bool{}
	for _, row := range m.Cells {
		for _, c := range row {
			if c.Allowed || len(c.Refusals) == 0 {
				continue
			}
			r := c.Refusals[0]
			if k := refusalKey(r); !seen[k] {
				seen[k] = true
				rs = append(rs, r)
			}
		}
	}
	slices.SortStableFunc(rs, func(a, b Refusal) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return a.index - b.index
	})
	l := &legend{entries: rs}
	for _, r := range rs {
		l.keys = append(l.keys, refusalKey(r))
	}
	return l
}

func (l *legend) letter(r Refusal) string {
	i := slices.Index(l.keys, refusalKey(r))
	if i < 26 {
		return string(rune('A' + i))
	}
	return fmt.Sprintf("%c%d", 'A'+i%26, i/26)
}

// summary says a matrix in one line when a grid would say nothing more: one value, every change
// allowed, or every change refused by the same rule.
func summary(m Matrix) (string, bool) {
	if len(m.Values) == 0 {
		return "no " + m.Field + " can be held here", true
	}
	if len(m.Values) == 1 {
		return fmt.Sprintf("one %s (%s): nothing to change to", m.Field, m.Values[0]), true
	}
	allowed, refused := 0, 0
	var first *Refusal
	same := true
	for i, row := range m.Cells {
		for j, c := range row {
			if i == j {
				continue
			}
			if c.Allowed {
				allowed++
				continue
			}
			if c.Unevaluated {
				same = false
			}
			refused++
			r := Refusal{Message: "refused"}
			if len(c.Refusals) > 0 {
				r = c.Refusals[0]
			}
			if first == nil {
				first = &r
			} else if refusalKey(*first) != refusalKey(r) {
				same = false
			}
		}
	}
	// The values are named: the summary stands for a grid that would list them.
	among := fmt.Sprintf("among %ss %s", m.Field, strings.Join(m.Values, ", "))
	switch {
	case refused == 0:
		return "every change allowed " + among, true
	case allowed == 0 && same:
		return fmt.Sprintf("no change allowed %s: %s: %s", among, first.Path, first.Message), true
	}
	return "", false
}

// Title is the heading of a matrix: the field and its contexts.
func Title(m Matrix, d Domain) string {
	return m.Field + " changes, " + describe(m, d)
}

// describe says where a matrix applies: as versions × compositions × values of the other field
// when its contexts are all of those, else context by context.
func describe(m Matrix, d Domain) string {
	var versions, comps, others []string
	for _, c := range m.Contexts {
		o := c.Service
		if m.Field == FieldService {
			o = c.Plan
		}
		versions, comps, others = addOnce(versions, c.Version), addOnce(comps, c.Composition), addOnce(others, o)
	}
	otherName, all := "service", d.Services
	if m.Field == FieldService {
		otherName, all = "plan", d.Plans
	}
	if len(versions)*len(comps)*len(others) != len(m.Contexts) {
		var parts []string
		for _, c := range m.Contexts {
			parts = append(parts, c.String())
		}
		return strings.Join(parts, "; ")
	}
	parts := []string{plural("version", versions)}
	if comps[0] != "" {
		parts = append(parts, plural("composition", comps))
	}
	switch {
	case others[0] == "":
	case len(others) > 1 && slices.Equal(others, all):
		parts = append(parts, "every "+otherName)
	default:
		parts = append(parts, plural(otherName, others))
	}
	return strings.Join(parts, ", ")
}

func addOnce(vs []string, v string) []string {
	if slices.Contains(vs, v) {
		return vs
	}
	return append(vs, v)
}

func plural(noun string, vs []string) string {
	if len(vs) == 1 {
		return noun + " " + vs[0]
	}
	return noun + "s " + strings.Join(vs, ", ")
}

// notOffered groups the values not offered by their reason.
func notOffered(m Matrix) []string { return byReason(m.NotOffered) }

// keptOnly groups the values only existing instances keep by their reason.
func keptOnly(m Matrix) []string { return byReason(m.KeptOnly) }

func byReason(ns []NotOffered) []string {
	var order []string
	by := map[string][]string{}
	for _, n := range ns {
		k := n.Refusal.Path + ": " + n.Refusal.Message
		if _, ok := by[k]; !ok {
			order = append(order, k)
		}
		by[k] = append(by[k], n.Value)
	}
	var out []string
	for _, k := range order {
		out = append(out, fmt.Sprintf("%s (%s)", strings.Join(by[k], ", "), k))
	}
	return out
}

// WriteText writes the matrices of r as compact grids: rows are the value before the change,
// columns the value after, "ok" an allowed change, "=" no change, a letter the first rule that
// refuses, named below the grid.
func WriteText(w io.Writer, r Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s), XRD %s\n", r.Kind, r.Group, r.API)
	for _, m := range r.Matrices {
		b.WriteString("\n" + wrap(Title(m, r.Domain), "", "    "))
		if s, ok := summary(m); ok {
			b.WriteString(wrap(s, "  ", "    "))
		} else {
			writeGrid(&b, m)
		}
		for _, n := range keptOnly(m) {
			b.WriteString(wrap("kept by existing instances, refused to new ones: "+n, "  ", "    "))
		}
		for _, n := range notOffered(m) {
			b.WriteString(wrap("not offered: "+n, "  ", "    "))
		}
	}
	for _, e := range r.Errors {
		b.WriteString("\n" + wrap("error: "+e.Error(), "", "    "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeGrid(b *strings.Builder, m Matrix) {
	l := legendOf(m)
	width := 0
	for _, v := range m.Values {
		width = max(width, len(v))
	}
	num := len(fmt.Sprint(len(m.Values)))
	label := func(i int, v string) string { return fmt.Sprintf("%*d %-*s", num, i+1, width, v) }
	head := fmt.Sprintf("%-*s", num+1+width, "from \\ to")
	fmt.Fprintf(b, "  %s", head)
	for j := range m.Values {
		fmt.Fprintf(b, " %3d", j+1)
	}
	b.WriteString("\n")
	for i, row := range m.Cells {
		fmt.Fprintf(b, "  %s", label(i, m.Values[i]))
		for j, c := range row {
			fmt.Fprintf(b, " %3s", cellMark(c, i == j, l, "ok", "="))
		}
		b.WriteString("\n")
	}
	key := "  ok: allowed, =: no change"
	if unevaluated(m) {
		key += ", !: a rule could not be evaluated (see the errors)"
	}
	b.WriteString(key + "; refused by:\n")
	for _, r := range l.entries {
		b.WriteString(wrap(fmt.Sprintf("%*s  %s: %s", num, l.letter(r), r.Path, r.Message), "  ", "  "+strings.Repeat(" ", num+2)))
	}
}

func cellMark(c Cell, diagonal bool, l *legend, ok, same string) string {
	switch {
	case c.Allowed && diagonal:
		return same
	case c.Allowed:
		return ok
	case len(c.Refusals) == 0:
		return "!"
	}
	return l.letter(c.Refusals[0])
}

// WriteMarkdown writes the matrices of r as Markdown tables under level-n headings (n from 1),
// each followed by the messages of the rules that refuse. Values, paths and messages come from
// the XRD and are escaped (internal/markdown): they render as text, never as HTML or links.
func WriteMarkdown(w io.Writer, r Result, level int) error {
	var b strings.Builder
	h := strings.Repeat("#", level)
	for i, m := range r.Matrices {
		if i > 0 {
			b.WriteString("\n")
		}
		t := Title(m, r.Domain)
		fmt.Fprintf(&b, "%s %s\n\n", h, markdown.Text(strings.ToUpper(t[:1])+t[1:]))
		if s, ok := summary(m); ok {
			fmt.Fprintf(&b, "%s.\n", markdown.Text(strings.ToUpper(s[:1])+s[1:]))
		} else {
			writeTable(&b, m)
		}
		if n := keptOnly(m); len(n) > 0 {
			fmt.Fprintf(&b, "\nKept by existing instances, refused to new ones: %s.\n", markdown.Text(strings.Join(n, "; ")))
		}
		if n := notOffered(m); len(n) > 0 {
			fmt.Fprintf(&b, "\nNot offered here: %s.\n", markdown.Text(strings.Join(n, "; ")))
		}
	}
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "\n**Error:** %s\n", markdown.Text(e.Error()))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeTable(b *strings.Builder, m Matrix) {
	l := legendOf(m)
	key := "✓ allowed, = no change, ✗ refused (the first rule that refuses is named below)"
	if unevaluated(m) {
		key += ", ! a rule could not be evaluated"
	}
	fmt.Fprintf(b, "Rows: the %s an instance has; columns: the %s it changes to. %s.\n\n", m.Field, m.Field, key)
	b.WriteString("| from \\ to |")
	for j := range m.Values {
		fmt.Fprintf(b, " %d |", j+1)
	}
	b.WriteString("\n|---|")
	for range m.Values {
		b.WriteString(":-:|")
	}
	b.WriteString("\n")
	for i, row := range m.Cells {
		fmt.Fprintf(b, "| %d %s |", i+1, markdown.Cell(markdown.Code(m.Values[i])))
		for j, c := range row {
			mark := cellMark(c, i == j, l, "✓", "=")
			if !c.Allowed && !c.Unevaluated {
				mark = "✗ " + mark
			}
			fmt.Fprintf(b, " %s |", mark)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	for _, r := range l.entries {
		fmt.Fprintf(b, "- **%s** %s: %s\n", l.letter(r), markdown.Code(r.Path), markdown.Text(r.Message))
	}
}

// textWidth is where text output wraps: long titles and lists are wrapped, never cut.
const textWidth = 100

// wrap wraps s at textWidth.
func wrap(s, first, rest string) string { return textwrap.Wrap(s, first, rest, textWidth) }

// unevaluated says whether a rule could not be evaluated on some change of m.
func unevaluated(m Matrix) bool {
	return slices.ContainsFunc(m.Cells, func(row []Cell) bool {
		return slices.ContainsFunc(row, func(c Cell) bool { return c.Unevaluated })
	})
}
