package backendcrd

import (
	"encoding/json"
	"fmt"

	ptv1beta1 "github.com/crossplane-contrib/function-patch-and-transform/input/v1beta1"
	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// The object P&T composes for an instance: the base, then every patch from the composite in
// order, its transforms applied. A value the instance gives but the sample composite does not hold
// (a parameter, a field of the API) is unknown: its place gets a placeholder of the target's type,
// and what the API server says about that place is not reported, since the value is the
// instance's.

// fromComposite says whether a patch copies from the composite to the composed resource.
func fromComposite(p ptv1beta1.ComposedPatch) bool {
	return p.Type == "" || p.Type == ptv1beta1.PatchTypeFromCompositeFieldPath
}

// composed is the object of one composite, and what its patches carried.
type composed struct {
	obj map[string]any
	// values are what each patch (by index) wrote: its value, or why P&T would fail on it.
	values []patchValue
	// placeholders are the paths that hold a placeholder for a value the instance gives.
	placeholders []fieldpath.Segments
}

type patchValue struct {
	ok  bool
	v   value
	err error
	// transform is the index of the transform that failed.
	transform int
}

// compose composes r for the composite c. placeholder gives the value that stands for an unknown
// one at a path of the composed resource.
func compose(r *Resource, c map[string]any, placeholder func(fieldpath.Segments) any) composed {
	out := composed{obj: normalize(r.Base), values: make([]patchValue, len(r.Patches))}
	src := fieldpath.Pave(c)
	dst := fieldpath.Pave(out.obj)
	for i, p := range r.Patches {
		if !fromComposite(p.Patch) || p.Patch.FromFieldPath == nil || p.Patch.ToFieldPath == nil {
			continue
		}
		to, err := fieldpath.Parse(*p.Patch.ToFieldPath)
		if err != nil {
			continue // the generator refuses it before
		}
		v := sourceValue(src, r.CompositeSchema, *p.Patch.FromFieldPath)
		pv := patchValue{ok: true}
		for j, t := range p.Patch.Transforms {
			nv, err := transform(t, v)
			if err != nil {
				pv = patchValue{err: err, transform: j}
				break
			}
			v = nv
		}
		if !pv.ok {
			out.values[i] = pv
			continue
		}
		pv.v = v
		out.values[i] = pv
		set := v.v
		if !v.known {
			set = placeholder(to)
			out.placeholders = append(out.placeholders, to)
		}
		if err := dst.SetValue(*p.Patch.ToFieldPath, set); err != nil {
			out.values[i] = patchValue{err: fmt.Errorf("cannot set %s: %w", *p.Patch.ToFieldPath, err), transform: -1}
		}
	}
	out.obj = normalize(dst.UnstructuredContent())
	return out
}

// sourceValue is the value a patch reads from the composite: known when the sample holds it, else
// of the type the composite's schema gives the field.
func sourceValue(src *fieldpath.Paved, s *extv1.JSONSchemaProps, from string) value {
	if v, err := src.GetValue(from); err == nil {
		return known(v)
	}
	segs, err := fieldpath.Parse(from)
	if err != nil || s == nil {
		return unknown(typeAny)
	}
	f := lookup(s, segs)
	if !f.ok() {
		return unknown(typeAny)
	}
	return unknown(f.typ)
}

// normalize makes an object what the API server decodes from JSON: whole numbers int64.
func normalize(obj map[string]any) map[string]any {
	b, err := json.Marshal(obj)
	if err != nil {
		return obj
	}
	var out map[string]any
	if err := utiljson.Unmarshal(b, &out); err != nil {
		return obj
	}
	return out
}

// placeholderOf is a value of the type f leads to: its default, its first allowed value, or a
// value of its type.
func placeholderOf(f found) any {
	if s := f.schema; s != nil {
		if s.Default != nil {
			if v, err := decodeJSON(s.Default.Raw); err == nil {
				return v
			}
		}
		if len(s.Enum) > 0 {
			if v, err := decodeJSON(s.Enum[0].Raw); err == nil {
				return v
			}
		}
	}
	switch f.typ {
	case typeInteger:
		if f.schema != nil && f.schema.Minimum != nil {
			return int64(*f.schema.Minimum)
		}
		return int64(1)
	case typeNumber:
		return 1.0
	case typeBoolean:
		return false
	case typeObject:
		return map[string]any{}
	case typeArray:
		return []any{}
	case typeIntOrString:
		return "1"
	}
	return "placeholder"
}
