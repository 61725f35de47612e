package livecheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	ptv1beta1 "github.com/crossplane-contrib/function-patch-and-transform/input/v1beta1"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// What a plan (or service, or any value an instance holds) gives its composed resources is what
// the Composition's function-patch-and-transform step maps it to: the generator writes a catalog
// value as a patch from spec.plan with a map transform that lists every plan the composition
// offers, with the mapping's default filled in (a hand-written Composition may do the same). Such
// a map is read here with P&T's own input types, which define the format. An instance whose value
// the map has no entry for cannot be rendered (P&T v0.10.7's ResolveMap: "key %s is not found in
// map", a fatal result); an entry whose value changed changes the composed resource of every
// instance holding the key.

// errReadComposition is the error of a Composition whose P&T input cannot be read.
const errReadComposition = "cannot read the function-patch-and-transform input of Composition %s"

// mapPatch is a patch that maps a value of the composite to a composed resource's field through a
// map transform first.
type mapPatch struct {
	// Resource is the composed resource's name in the Composition.
	Resource string
	// From is the composite's field path (spec.plan), To the composed resource's.
	From, To string
	// Pairs is the map.
	Pairs map[string]extv1.JSON
}

// key identifies a patch across releases.
func (p mapPatch) key() string { return p.Resource + "\x00" + p.From + "\x00" + p.To }

// mapPatches lists the map patches of a Composition's function-patch-and-transform steps, in
// order; patch sets are expanded where resources use them.
func mapPatches(c *unstructured.Unstructured) ([]mapPatch, error) {
	steps, _, _ := unstructured.NestedSlice(c.Object, "spec", "pipeline")
	var out []mapPatch
	for _, st := range steps {
		in, _ := st.(map[string]any)["input"].(map[string]any)
		if in == nil || in["apiVersion"] != generator.PTInputAPIVersion || in["kind"] != "Resources" {
			continue
		}
		data, err := json.Marshal(in)
		if err != nil {
			return nil, errors.Wrapf(err, errReadComposition, c.GetName())
		}
		res := &ptv1beta1.Resources{}
		if err := json.Unmarshal(data, res); err != nil {
			return nil, errors.Wrapf(err, errReadComposition, c.GetName())
		}
		sets := map[string][]ptv1beta1.PatchSetPatch{}
		for _, ps := range res.PatchSets {
			sets[ps.Name] = ps.Patches
		}
		for _, r := range res.Resources {
			for _, p := range r.Patches {
				if p.Type == ptv1beta1.PatchTypePatchSet && p.PatchSetName != nil {
					for _, sp := range sets[*p.PatchSetName] {
						out = appendMapPatch(out, r.Name, sp.Type, sp.Patch)
					}
					continue
				}
				out = appendMapPatch(out, r.Name, p.Type, p.Patch)
			}
		}
	}
	return out, nil
}

// appendMapPatch appends p when it maps a composite field through a map transform first.
func appendMapPatch(out []mapPatch, resource string, t ptv1beta1.PatchType, p ptv1beta1.Patch) []mapPatch {
	if t != "" && t != ptv1beta1.PatchTypeFromCompositeFieldPath {
		return out
	}
	if p.FromFieldPath == nil || len(p.Transforms) == 0 || p.Transforms[0].Type != ptv1beta1.TransformTypeMap || p.Transforms[0].Map == nil {
		return out
	}
	to := *p.FromFieldPath
	if p.ToFieldPath != nil {
		to = *p.ToFieldPath
	}
	return append(out, mapPatch{Resource: resource, From: *p.FromFieldPath, To: to, Pairs: p.Transforms[0].Map.Pairs})
}

// Shrinkable says whether a composed field may take a smaller value than it has. Volumes do not
// shrink: a PersistentVolumeClaim's spec.resources.requests.storage may only grow, and so may the
// storage and disk sizes of operators and cloud databases (Valkey's storage, CloudNativePG's
// storage.size, an RDS instance's allocatedStorage). A field whose path names storage, a volume or
// a disk is not shrinkable.
func Shrinkable(path string) bool {
	p := strings.ToLower(path)
	return !strings.Contains(p, "storage") && !strings.Contains(p, "volume") && !strings.Contains(p, "disk")
}

// shrinks says whether next is smaller than old, both quantities (4Gi) or numbers.
func shrinks(old, next extv1.JSON) bool {
	o, ok1 := quantity(old)
	n, ok2 := quantity(next)
	return ok1 && ok2 && n.Cmp(o) < 0
}

func quantity(j extv1.JSON) (resource.Quantity, bool) {
	var v any
	if json.Unmarshal(j.Raw, &v) != nil {
		return resource.Quantity{}, false
	}
	var s string
	switch t := v.(type) {
	case string:
		s = t
	case float64:
		s = fmt.Sprint(t)
	default:
		return resource.Quantity{}, false
	}
	q, err := resource.ParseQuantity(s)
	return q, err == nil
}

// display shows a map value as YAML would: strings bare, everything else as JSON.
func display(j extv1.JSON) string {
	var s string
	if json.Unmarshal(j.Raw, &s) == nil {
		return s
	}
	return string(bytes.TrimSpace(j.Raw))
}

// ValueChange is a change of what a value an instance holds (its plan) gives a composed resource:
// every instance holding it is changed in place when the change applies (a resize).
type ValueChange struct {
	// Composition is the Composition that maps the value.
	Composition string `json:"composition"`
	// Field is the instance's field that holds the value (spec.plan), Value the value (medium).
	Field string `json:"field"`
	Value string `json:"value"`
	// Resource is the composed resource, Path its field the value is written to.
	Resource string `json:"resource"`
	Path     string `json:"path"`
	// Old and New are the values written before and after.
	Old string `json:"old"`
	New string `json:"new"`
	// Shrink says the new value is smaller than the old one in a field that cannot shrink
	// (Shrinkable): the backend would refuse it, or lose data.
	Shrink bool `json:"shrink,omitempty"`
	// Count is how many instances hold the value; Instances names them, sorted. Both are empty
	// when the change was judged without instances.
	Count     int      `json:"count,omitempty"`
	Instances []string `json:"instances,omitempty"`
}

// ValueChanges lists every map entry that maps to another value in next than in old, for the
// Compositions both releases have: what changes for every instance holding the entry's key, with
// or without instances to count. Entries removed are not changes of value (an instance holding
// one cannot be rendered: Evaluate reports it).
func ValueChanges(old, next *Release) []ValueChange { return valueChanges(old.maps, next.maps) }

// CompositionValueChanges is ValueChanges of two releases' Compositions, matched by name: what
// check-compat reports without instances.
func CompositionValueChanges(old, next []*unstructured.Unstructured) ([]ValueChange, error) {
	maps := func(cs []*unstructured.Unstructured) (map[string][]mapPatch, error) {
		out := make(map[string][]mapPatch, len(cs))
		for _, c := range cs {
			mp, err := mapPatches(c)
			if err != nil {
				return nil, err
			}
			out[c.GetName()] = mp
		}
		return out, nil
	}
	om, err := maps(old)
	if err != nil {
		return nil, err
	}
	nm, err := maps(next)
	if err != nil {
		return nil, err
	}
	return valueChanges(om, nm), nil
}

func valueChanges(old, next map[string][]mapPatch) []ValueChange {
	var out []ValueChange
	for _, name := range sortedKeys(next) {
		om, ok := old[name]
		if !ok {
			continue
		}
		for _, np := range next[name] {
			i := slices.IndexFunc(om, func(p mapPatch) bool { return p.key() == np.key() })
			if i < 0 {
				continue
			}
			op := om[i]
			for _, k := range sortedKeys(np.Pairs) {
				ov, ok := op.Pairs[k]
				if !ok || jsonEqual(ov, np.Pairs[k]) {
					continue
				}
				out = append(out, ValueChange{
					Composition: name, Field: np.From, Value: k, Resource: np.Resource, Path: np.To,
					Old: display(ov), New: display(np.Pairs[k]), Shrink: !Shrinkable(np.To) && shrinks(ov, np.Pairs[k]),
				})
			}
		}
	}
	return out
}

// jsonEqual compares two JSON values as parsed.
func jsonEqual(a, b extv1.JSON) bool {
	var x, y any
	if json.Unmarshal(a.Raw, &x) != nil || json.Unmarshal(b.Raw, &y) != nil {
		return bytes.Equal(a.Raw, b.Raw)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// Describe says what a value change does, in one line.
func (v ValueChange) Describe() string {
	what := fmt.Sprintf("%s %q of composition %s: %s %s %s → %s", fieldNoun(v.Field), v.Value, v.Composition, v.Resource, v.Path, v.Old, v.New)
	if v.Shrink {
		what += " (a shrink the backend cannot make: volumes only grow)"
	}
	return what
}
