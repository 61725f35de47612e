package livecheck

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/planmatrix"
	"github.com/function-dataservice/function-dataservice/internal/resolved"
)

// Kind says how a change breaks an instance. Kinds are part of check-compat's JSON output, so they
// are never renamed.
type Kind string

// Kinds of breakage.
const (
	// NotOffered: a value the instance holds (plan, service, composition, enum value) is no
	// longer offered.
	NotOffered Kind = "NotOffered"
	// FieldRemoved: a field the instance holds a value in is no longer in the schema: the API
	// server drops the value.
	FieldRemoved Kind = "FieldRemoved"
	// NewlyRequired: a field the instance leaves unset is required now.
	NewlyRequired Kind = "NewlyRequired"
	// DefaultChanged: a field the instance leaves unset gets a default it did not have: its value
	// changes under it.
	DefaultChanged Kind = "DefaultChanged"
	// Unrenderable: its composition has no entry for a value it holds (its plan's catalog values
	// are gone): its composed resources can no longer be rendered.
	Unrenderable Kind = "Unrenderable"
	// RefusedWithoutRatcheting: an update that keeps every value of the instance is refused by an
	// API server without ratcheting (before Kubernetes 1.30).
	RefusedWithoutRatcheting Kind = "RefusedWithoutRatcheting"
	// Shrink: a value it holds gives a composed field that cannot shrink a smaller value.
	Shrink Kind = "Shrink"
	// APIReplaced: the API's XRD is another (name or Crossplane line): the instances would be
	// deleted with the old one.
	APIReplaced Kind = "APIReplaced"
)

// DefaultMaxInstances is how many instances Evaluate evaluates unless told otherwise: 10,000 take
// about a second on one core (bench/livecheck).
const DefaultMaxInstances = 10000

// Options tune an evaluation.
type Options struct {
	// MaxInstances bounds the instances evaluated; beyond it the rest are counted, not evaluated.
	// Zero is DefaultMaxInstances.
	MaxInstances int
}

// Object is a composed object a breaking change is in: the XRD, or a Composition.
type Object struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// Kinds of Object.
const (
	ObjectXRD         = "CompositeResourceDefinition"
	ObjectComposition = "Composition"
)

// finding is one way a change breaks one instance.
type finding struct {
	kind Kind
	// path is the instance's field, value what it holds there (or the default it gets, or the
	// message of the rule that refuses it).
	path, value string
	// detail says more for the change's description: the composed resource and field of an
	// unrenderable map, a shrink's values.
	detail string
	// in lists the objects the change is in, which holding it back keeps as they are.
	in []Object
}

// Evaluate evaluates every instance (up to Options.MaxInstances, and while ctx lasts) against
// next, a release about to replace old, and reports the changes that break instances, with the
// instances each breaks, and the value changes that resize them.
func Evaluate(ctx context.Context, old, next *Release, instances []Instance, o Options) (*Report, error) {
	limit := o.MaxInstances
	if limit <= 0 {
		limit = DefaultMaxInstances
	}
	r := &Report{Total: len(instances)}
	g := newGrouper()
	if old.Identity() != next.Identity() {
		all := []Object{{Kind: ObjectXRD, Name: old.XRD.GetName()}}
		for _, n := range sortedKeys(old.Compositions) {
			all = append(all, Object{Kind: ObjectComposition, Name: n})
		}
		for _, in := range instances {
			g.add(in.Name, finding{kind: APIReplaced, value: next.Identity(), detail: old.Identity(), in: all})
		}
		r.Evaluated = len(instances)
		r.Changes = g.changes()
		return r, nil
	}
	values := ValueChanges(old, next)
	// Instances that hold the same values are evaluated once (sameAs).
	seen := map[string][]finding{}
	same := sameAs(next)
	for i, in := range instances {
		if i == limit {
			r.Stopped = fmt.Sprintf("the evaluation stops at %d instances", limit)
			break
		}
		if i%64 == 0 && ctx.Err() != nil {
			r.Stopped = "the deadline came first"
			break
		}
		key, keyed := same(in)
		fs, ok := seen[key]
		if !keyed || !ok {
			var err error
			if fs, err = evaluate(ctx, old, next, in); err != nil {
				return nil, err
			}
			if keyed {
				seen[key] = fs
			}
		}
		for _, f := range fs {
			g.add(in.Name, f)
		}
		for j := range values {
			if holds(old.API, in, values[j]) {
				values[j].Count++
				values[j].Instances = append(values[j].Instances, in.Name)
				if values[j].Shrink {
					g.add(in.Name, finding{kind: Shrink, path: values[j].Field, value: values[j].Value, detail: values[j].Describe(),
						in: []Object{{Kind: ObjectComposition, Name: values[j].Composition}}})
				}
			}
		}
		r.Evaluated++
	}
	r.Changes = g.changes()
	for _, v := range values {
		if v.Count > 0 && !v.Shrink {
			slices.Sort(v.Instances)
			r.Resizes = append(r.Resizes, v)
		}
	}
	return r, nil
}

// perInstance are the fields of a composite's spec (and of its spec.crossplane on v2) that
// Crossplane sets to what is particular to each instance: its claim, the resources it composed,
// its connection secret, the revision of its Composition.
var perInstance = []string{"claimRef", "resourceRefs", "writeConnectionSecretToRef", "publishConnectionDetailsTo",
	"compositionRevisionRef", "compositionRevisionSelector", "compositionUpdatePolicy", "environmentConfigRefs"}

// sameAs returns the key of what the evaluation of an instance against next depends on: the
// composition it selects and its spec without the fields particular to each instance, so that
// instances holding the same values (most share a plan and leave parameters unset) are evaluated
// once. It is the API server's answer for each that is shared, so only where no field of next's
// schema or rule names one of those fields (an XRD may declare and constrain anything); else
// every instance is evaluated (false).
func sameAs(next *Release) func(Instance) (string, bool) {
	schema, _ := json.Marshal(next.XRD.Object["spec"])
	for _, f := range perInstance {
		if bytes.Contains(schema, []byte(f)) {
			return func(Instance) (string, bool) { return "", false }
		}
	}
	return func(in Instance) (string, bool) {
		spec, ok := in.Object["spec"].(map[string]any)
		if !ok {
			return in.Composition, true
		}
		key := make(map[string]any, len(spec))
		for k, v := range spec {
			if slices.Contains(perInstance, k) {
				continue
			}
			if c, ok := v.(map[string]any); ok && k == "crossplane" {
				cc := make(map[string]any, len(c))
				for k, v := range c {
					if !slices.Contains(perInstance, k) {
						cc[k] = v
					}
				}
				v = cc
			}
			key[k] = v
		}
		b, err := json.Marshal(key)
		if err != nil {
			return "", false
		}
		return in.Composition + "\x00" + string(b), true
	}
}

// holds says whether an instance holds the value a value change maps: it selects the composition
// (or none, and the composition is the default) and holds the value in the field.
func holds(api *resolved.API, in Instance, v ValueChange) bool {
	comp := in.Composition
	if comp == "" {
		comp = api.DefaultComposition
	}
	if comp != v.Composition {
		return false
	}
	got, ok := stringAt(in.Object, v.Field)
	return ok && got == v.Value
}

// evaluate finds how next breaks one instance.
func evaluate(ctx context.Context, old, next *Release, in Instance) ([]finding, error) {
	var out []finding
	xrd := []Object{{Kind: ObjectXRD, Name: next.XRD.GetName()}}
	comp := in.Composition
	if comp == "" {
		comp = next.API.DefaultComposition
	}

	// The composition it selects.
	if in.Composition != "" && next.API.Composition(in.Composition) == nil && old.API.Composition(in.Composition) != nil {
		out = append(out, finding{kind: NotOffered, path: compositionRefPath(next.API.Line), value: in.Composition,
			in: append(slices.Clone(xrd), Object{Kind: ObjectComposition, Name: in.Composition})})
	}

	// What the new schema makes of it: the API server prunes what the schema does not declare,
	// defaults what is unset, and validates the rest, here without ratcheting.
	obj := map[string]any{"apiVersion": next.API.Group + "/" + next.version, "kind": next.API.CompositeKind}
	md := map[string]any{}
	if v, ok := in.Object["metadata"].(map[string]any); ok {
		for _, k := range []string{"name", "namespace"} {
			if s, ok := v[k]; ok {
				md[k] = s
			}
		}
	}
	obj["metadata"] = md
	if spec, ok := in.Object["spec"]; ok {
		obj["spec"] = asDecoded(spec)
	}
	ns, was := next.structural(), old.structural()
	for _, p := range structuralpruning.PruneWithOptions(obj, ns, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}) {
		// Only fields the old schema declared: Crossplane's own fields a schema does not model
		// are pruned from both alike.
		if strings.HasPrefix(p, "spec.") && planmatrix.NodeAt(was, p) != nil {
			out = append(out, finding{kind: FieldRemoved, path: p, in: xrd})
		}
	}
	before := runtime.DeepCopyJSON(obj)
	a := next.schema
	refusals, err := a.Existing(ctx, next.version, obj)
	if err != nil {
		return nil, err
	}
	if len(refusals) > 0 {
		// What the old schema refuses of the instance too is not the change's doing (an instance
		// the old schema's own ratcheting let through).
		if refusals, err = newRefusals(ctx, old, in, refusals); err != nil {
			return nil, err
		}
	}
	for _, p := range added(before, obj, "") {
		if strings.HasPrefix(p, "spec.") && planmatrix.NodeAt(was, p) != nil {
			v, _ := valueAt(obj, p)
			j, _ := json.Marshal(v)
			out = append(out, finding{kind: DefaultChanged, path: p, value: string(j), in: xrd})
		}
	}
	for _, rf := range refusals {
		switch {
		case rf.ErrorType() == field.ErrorTypeRequired:
			out = append(out, finding{kind: NewlyRequired, path: rf.Path, in: xrd})
		case rf.ErrorType() == field.ErrorTypeNotSupported:
			v, _ := stringAt(obj, rf.Path)
			out = append(out, finding{kind: NotOffered, path: rf.Path, value: v, in: xrd})
		case rf.Rule != "":
			if o, ok := generator.ParseOffering(extv1.ValidationRule{Rule: rf.Rule, Message: rf.Message}, next.API.DefaultComposition); ok {
				p := "spec." + o.Field
				v, _ := stringAt(obj, p)
				out = append(out, finding{kind: NotOffered, path: p, value: v, in: xrd})
				continue
			}
			out = append(out, finding{kind: RefusedWithoutRatcheting, path: rf.Path, value: rf.Message, in: xrd})
		default:
			out = append(out, finding{kind: RefusedWithoutRatcheting, path: rf.Path, value: rf.Message, in: xrd})
		}
	}

	// What its composition maps a value it holds to, where it mapped it before.
	for _, p := range next.maps[comp] {
		v, ok := stringAt(obj, p.From)
		if !ok {
			continue
		}
		if _, ok := p.Pairs[v]; !ok && !unmappedBefore(old, comp, p, v) {
			out = append(out, finding{kind: Unrenderable, path: p.From, value: v, detail: comp + ": " + p.Resource + " " + p.To,
				in: []Object{{Kind: ObjectComposition, Name: comp}}})
		}
	}
	return out, nil
}

// newRefusals drops from refusals of next those the old release makes of the instance too.
func newRefusals(ctx context.Context, old *Release, in Instance, refusals []planmatrix.Refusal) ([]planmatrix.Refusal, error) {
	obj := map[string]any{"apiVersion": old.API.Group + "/" + old.version, "kind": old.API.CompositeKind, "metadata": map[string]any{}}
	if spec, ok := in.Object["spec"]; ok {
		obj["spec"] = asDecoded(spec)
	}
	structuralpruning.PruneWithOptions(obj, old.structural(), true, structuralschema.UnknownFieldPathOptions{})
	before, err := old.schema.Existing(ctx, old.version, obj)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(refusals, func(r planmatrix.Refusal) bool {
		return slices.ContainsFunc(before, func(b planmatrix.Refusal) bool { return b.Path == r.Path && b.Message == r.Message })
	}), nil
}

// unmappedBefore says whether the old release's composition comp already had p's map without an
// entry for v: the instance could not be rendered before either.
func unmappedBefore(old *Release, comp string, p mapPatch, v string) bool {
	i := slices.IndexFunc(old.maps[comp], func(o mapPatch) bool { return o.key() == p.key() })
	if i < 0 {
		return false
	}
	_, ok := old.maps[comp][i].Pairs[v]
	return !ok
}

// asDecoded copies a JSON value as the API server decodes it: a number without a fraction is an
// int64. An object that went through a protobuf Struct (the function's request) has float64
// numbers only, and the schema's int-or-string and integer checks would refuse those.
func asDecoded(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = asDecoded(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = asDecoded(e)
		}
		return out
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1<<53 {
			return int64(t)
		}
		return t
	case int:
		return int64(t)
	}
	return v
}

// added lists the field paths b has that a lacks (the defaults the API server applied), each the
// outermost one.
func added(a, b map[string]any, at string) []string {
	var out []string
	for _, k := range sortedKeys(b) {
		p := k
		if at != "" {
			p = at + "." + k
		}
		av, ok := a[k]
		if !ok {
			out = append(out, p)
			continue
		}
		am, ok1 := av.(map[string]any)
		bm, ok2 := b[k].(map[string]any)
		if ok1 && ok2 {
			out = append(out, added(am, bm, p)...)
		}
	}
	return out
}

// valueAt is the value at a dotted field path of plain objects (no list indexes), false when unset.
func valueAt(obj map[string]any, path string) (any, bool) {
	var cur any = obj
	for _, seg := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[seg]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// stringAt is the string at a dotted field path, false when unset or not a string.
func stringAt(obj map[string]any, path string) (string, bool) {
	v, ok := valueAt(obj, path)
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	return s, ok
}
