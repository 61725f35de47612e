package scaffold

import (
	"encoding/json"
	"slices"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// What the CRD requires of the base: the required fields of spec, and of every object a mapping
// writes into on its way, with their defaults or a value of their type.

// requiredAlong sets in base (the spec of the CR) what the CRD requires of every object a mapping
// to path creates on its way: the required fields of each, but the one the path goes on through
// and those a mapping sets (mapped holds their paths).
func requiredAlong(spec *extv1.JSONSchemaProps, path fieldpath.Segments, base map[string]any, mapped map[string]bool) {
	var cur any = base
	s := spec
	for i := 1; i < len(path) && s != nil; i++ { // path[0] is spec
		seg := path[i]
		if m, ok := cur.(map[string]any); ok {
			for _, r := range s.Required {
				if r == seg.Field || mapped[append(slices.Clone(path[:i]), fieldpath.Field(r)).String()] {
					continue
				}
				if _, set := m[r]; !set {
					if c := child(s, r); c != nil {
						m[r], _ = valueOf(c, 0)
					}
				}
			}
		}
		if i == len(path)-1 {
			return
		}
		next := path[i+1]
		switch {
		case seg.Type == fieldpath.SegmentIndex:
			l, _ := cur.([]any)
			if len(l) == 0 {
				return
			}
			cur = l[0]
			continue
		case next.Type == fieldpath.SegmentIndex:
			c := child(s, seg.Field)
			if c == nil || c.Items == nil || c.Items.Schema == nil {
				return
			}
			m := cur.(map[string]any)
			l, _ := m[seg.Field].([]any)
			if len(l) == 0 {
				l = []any{map[string]any{}}
				m[seg.Field] = l
			}
			cur, s = l, c.Items.Schema
		default:
			c := child(s, seg.Field)
			if c == nil {
				return
			}
			m := cur.(map[string]any)
			sub, _ := m[seg.Field].(map[string]any)
			if sub == nil {
				sub = map[string]any{}
				m[seg.Field] = sub
			}
			cur, s = sub, c
		}
	}
}

// requiredOf lists the fields s requires, each with the value a base gives it: its default, its
// first allowed value, or a value of its type (an object with its own required fields).
func requiredOf(s *extv1.JSONSchemaProps) []requiredField {
	var out []requiredField
	for _, name := range s.Required {
		c := child(s, name)
		if c == nil {
			continue
		}
		v, why := valueOf(c, 0)
		out = append(out, requiredField{name: name, value: v, why: why})
	}
	return out
}

func valueOf(s *extv1.JSONSchemaProps, depth int) (any, string) {
	if s.Default != nil {
		var v any
		if json.Unmarshal(s.Default.Raw, &v) == nil {
			return v, "required by the CRD; its default"
		}
	}
	if len(s.Enum) > 0 {
		var v any
		if json.Unmarshal(s.Enum[0].Raw, &v) == nil {
			return v, "required by the CRD; its first allowed value"
		}
	}
	switch typeOf(s) {
	case "boolean":
		return false, "required by the CRD, no default: check it"
	case "integer", "number":
		if s.Minimum != nil {
			return *int64Of(s.Minimum), "required by the CRD, no default: its minimum, check it"
		}
		return int64(1), "required by the CRD, no default: check it"
	case "object":
		m := map[string]any{}
		if depth < 4 {
			for _, r := range s.Required {
				if c := child(s, r); c != nil {
					m[r], _ = valueOf(c, depth+1)
				}
			}
		}
		return m, "required by the CRD, no default: check it"
	case "array":
		return []any{}, "required by the CRD, no default: fill it"
	}
	return "change-me", "REQUIRED by the CRD, which has no default: set it"
}

// prune removes the empty objects and lists requiredAlong made on its way.
func prune(m map[string]any) {
	for k, v := range m {
		switch x := v.(type) {
		case map[string]any:
			prune(x)
			if len(x) == 0 {
				delete(m, k)
			}
		case []any:
			if len(x) == 1 {
				if item, ok := x[0].(map[string]any); ok {
					prune(item)
					if len(item) == 0 {
						delete(m, k)
					}
				}
			}
		}
	}
}
