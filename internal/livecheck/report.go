package livecheck

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
)

// Report is what an evaluation found.
type Report struct {
	// Total is how many instances exist; Evaluated how many were evaluated.
	Total     int `json:"total"`
	Evaluated int `json:"evaluated"`
	// Stopped says why the evaluation stopped before the last instance, "" when it did not.
	Stopped string `json:"stopped,omitempty"`
	// Changes are the changes that break instances, each with the instances it breaks.
	Changes []Change `json:"changes"`
	// Resizes are the value changes that change instances in place, each with the instances it
	// changes; shrinks that cannot be made are Changes of kind Shrink instead.
	Resizes []ValueChange `json:"resizes"`
}

// Change is one change of the API that breaks existing instances.
type Change struct {
	// Kinds say how it breaks them, in the order of Kind's constants.
	Kinds []Kind `json:"kinds"`
	// Path is the instances' field the change is about; Value what they hold there (a plan), the
	// default they get, or the message of the rule that refuses them.
	Path  string `json:"path,omitempty"`
	Value string `json:"value,omitempty"`
	// What says what changed and how it breaks them, in one line.
	What string `json:"what"`
	// Fix says how to make the change without breaking them.
	Fix string `json:"fix"`
	// In are the objects the change is in: holding the change back keeps them as they are.
	In []Object `json:"in"`
	// Instances names the instances it breaks, sorted.
	Instances []string `json:"instances"`
}

// Breaking says whether anything found holds the change back: an instance it breaks, or instances
// it could not evaluate.
func (r *Report) Breaking() bool { return len(r.Changes) > 0 || r.Evaluated < r.Total }

// HeldBack lists the objects the breaking changes are in, sorted, XRD first.
func (r *Report) HeldBack() []Object {
	var out []Object
	for _, c := range r.Changes {
		for _, o := range c.In {
			if !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	slices.SortFunc(out, func(a, b Object) int {
		if a.Kind != b.Kind {
			if a.Kind == ObjectXRD {
				return -1
			}
			if b.Kind == ObjectXRD {
				return 1
			}
		}
		return cmp.Or(strings.Compare(a.Kind, b.Kind), strings.Compare(a.Name, b.Name))
	})
	return out
}

// shown is how many instances a message names.
const shown = 3

// Message says a change in one line: what changed, how many instances it breaks and the first
// of them, and the fix. allow says what the fix is besides the change's own: the annotation that
// applies it anyway.
func (c Change) Message() string {
	return fmt.Sprintf("%s; %s, or annotate the DataService with %s: \"true\" to apply it anyway", c.Summary(), c.Fix, v1alpha1.AnnotationAllowBreakingChanges)
}

// Summary says a change in one line without the fix: what changed, how many instances it breaks
// and the first of them.
func (c Change) Summary() string {
	return fmt.Sprintf("%s: %s %s (%s)", c.What, countOf(len(c.Instances), "instance", "instances"), verb(c.Kinds, len(c.Instances)), Names(c.Instances, shown))
}

// ResizeMessage says a value change in one line, with the instances it changes.
func (v ValueChange) ResizeMessage() string {
	return fmt.Sprintf("%s: resizes %s (%s)", v.Describe(), countOf(v.Count, "instance", "instances"), Names(v.Instances, shown))
}

// Names lists the first n names, and says how many more there are.
func Names(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(", and %d more", len(names)-n)
}

func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// verb says what the instances do that the change breaks.
func verb(kinds []Kind, n int) string {
	s := func(one, many string) string {
		if n == 1 {
			return one
		}
		return many
	}
	switch kinds[0] {
	case NotOffered, Unrenderable, Shrink:
		return s("uses it", "use it")
	case FieldRemoved:
		return s("holds a value there", "hold a value there")
	case NewlyRequired, DefaultChanged:
		return s("leaves it unset", "leave it unset")
	case APIReplaced:
		return s("exists", "exist")
	}
	return s("holds such a value", "hold such values")
}

// grouper gathers findings into changes: findings about the same value of the same field are one
// change, however many ways they break it (a plan gone from a catalog is both not offered and
// unrenderable).
type grouper struct {
	byKey map[string]*group
	order []string
}

type group struct {
	findings  map[Kind]finding
	in        []Object
	instances []string
}

func newGrouper() *grouper { return &grouper{byKey: map[string]*group{}} }

func (g *grouper) add(instance string, f finding) {
	key := f.path + "\x00" + f.value
	switch f.kind {
	case NotOffered, Unrenderable:
	default:
		key = string(f.kind) + "\x00" + key + "\x00" + f.detail
	}
	gr, ok := g.byKey[key]
	if !ok {
		gr = &group{findings: map[Kind]finding{}}
		g.byKey[key] = gr
		g.order = append(g.order, key)
	}
	if _, ok := gr.findings[f.kind]; !ok {
		gr.findings[f.kind] = f
	}
	for _, o := range f.in {
		if !slices.Contains(gr.in, o) {
			gr.in = append(gr.in, o)
		}
	}
	if len(gr.instances) == 0 || gr.instances[len(gr.instances)-1] != instance {
		gr.instances = append(gr.instances, instance)
	}
}

// kindOrder orders kinds as their constants are declared.
var kindOrder = []Kind{APIReplaced, NotOffered, Unrenderable, FieldRemoved, NewlyRequired, DefaultChanged, Shrink, RefusedWithoutRatcheting}

func (g *grouper) changes() []Change {
	out := make([]Change, 0, len(g.order))
	for _, key := range g.order {
		gr := g.byKey[key]
		kinds := slices.Collect(maps.Keys(gr.findings))
		slices.SortFunc(kinds, func(a, b Kind) int { return slices.Index(kindOrder, a) - slices.Index(kindOrder, b) })
		first := gr.findings[kinds[0]]
		c := Change{Kinds: kinds, Path: first.path, Value: first.value, In: gr.in, Instances: gr.instances}
		var what []string
		for _, k := range kinds {
			what = append(what, describe(gr.findings[k]))
		}
		c.What = strings.Join(what, ", and ")
		c.Fix = fix(first)
		slices.Sort(c.Instances)
		c.Instances = slices.Compact(c.Instances)
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b Change) int {
		return cmp.Or(slices.Index(kindOrder, a.Kinds[0])-slices.Index(kindOrder, b.Kinds[0]), strings.Compare(a.Path, b.Path), strings.Compare(a.Value, b.Value))
	})
	return out
}

// fieldNoun names what a field holds: plan, service, composition, or the field path.
func fieldNoun(path string) string {
	switch path {
	case "spec.plan":
		return "plan"
	case "spec.service":
		return "service"
	case "spec.compositionRef.name", "spec.crossplane.compositionRef.name":
		return "composition"
	}
	return path
}

// describe says how one finding breaks its instances.
func describe(f finding) string {
	switch f.kind {
	case NotOffered:
		return fmt.Sprintf("%s %q is no longer offered (%s)", fieldNoun(f.path), f.value, NotOffered)
	case Unrenderable:
		return fmt.Sprintf("composition %s has no value for it at %s: its composed resources cannot be rendered (%s)", strings.SplitN(f.detail, ": ", 2)[0], strings.SplitN(f.detail, ": ", 2)[1], Unrenderable)
	case FieldRemoved:
		return fmt.Sprintf("field %s is removed: the API server drops the values instances hold there (%s)", f.path, FieldRemoved)
	case NewlyRequired:
		return fmt.Sprintf("field %s is newly required (%s)", f.path, NewlyRequired)
	case DefaultChanged:
		return fmt.Sprintf("field %s gets the default %s where instances leave it unset (%s)", f.path, f.value, DefaultChanged)
	case Shrink:
		return f.detail + " (" + string(Shrink) + ")"
	case APIReplaced:
		return fmt.Sprintf("the API moves from XRD %s to %s: Crossplane would delete the instances with the old XRD (%s)", f.detail, f.value, APIReplaced)
	}
	return fmt.Sprintf("%s: %s: an update that keeps the instance's values is refused by an API server without ratcheting (before Kubernetes 1.30, as app clusters may run) (%s)", f.path, f.value, RefusedWithoutRatcheting)
}

// fix says how to make a change without breaking the instances.
func fix(f finding) string {
	switch {
	case (f.kind == NotOffered || f.kind == Unrenderable) && f.path == "spec.plan":
		return "hide it with spec.plan.hidden instead (instances that have it keep it, new ones cannot choose it)"
	case f.kind == NotOffered || f.kind == Unrenderable:
		return "keep offering it"
	case f.kind == FieldRemoved:
		return "keep the field (say in its description that it is deprecated)"
	case f.kind == NewlyRequired:
		return "keep it optional, or give it a default"
	case f.kind == DefaultChanged:
		return "keep the field without a default"
	case f.kind == Shrink:
		return "keep the value, or grow it"
	case f.kind == APIReplaced:
		return "keep the API's group, kind and Crossplane line, and serve the new API beside it from another DataService"
	}
	return "loosen the rule so that the values instances hold pass it"
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
