package backendcrd

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The object composed for every composite, validated as the API server validates it on create, each
// error reported once, at the DataService field that set what it is about, with the plans and
// services it is about.

// placeholder is the value that stands for an unknown one at a path of the composed resource.
func (c *checker) placeholder(p fieldpath.Segments) any {
	t, rel := c.inner(p, false)
	if t == nil {
		return "placeholder"
	}
	return placeholderOf(lookup(t.schema, rel))
}

// checkComposed composes the resource for every composite, checks the patches' values, and has
// every distinct object validated as the API server validates it.
func (c *checker) checkComposed(ctx context.Context) {
	composites := c.r.Composites
	if len(composites) == 0 {
		composites = []Composite{{Object: map[string]any{}}}
	}
	type distinct struct {
		composed
		labels []string
	}
	var objs []composed
	var uniq []*distinct
	byKey := map[string]*distinct{}
	for _, comp := range composites {
		o := compose(c.r, comp.Object, c.placeholder)
		objs = append(objs, o)
		b, _ := json.Marshal(o.obj)
		d := byKey[string(b)]
		if d == nil {
			d = &distinct{composed: o}
			byKey[string(b)] = d
			uniq = append(uniq, d)
		}
		d.labels = append(d.labels, comp.Label)
	}
	c.checkTypes(objs)

	type verdict struct {
		err    *field.Error
		labels []string
		// order is the index of the patch the error is about, after them the base's and the
		// resource's own: errors are reported in the spec's order.
		order int
	}
	var verdicts []*verdict
	byMsg := map[string]*verdict{}
	for _, d := range uniq {
		for _, t := range c.targets {
			obj := d.obj
			if len(t.prefix) > 0 {
				m, ok, _ := unstructured.NestedMap(obj, segmentNames(t.prefix)...)
				if !ok {
					continue
				}
				obj = m
			}
			if _, ok := obj["metadata"]; !ok {
				// Crossplane names what it composes (provider-kubernetes an Object's manifest
				// without a name): the object the API server sees has metadata.
				obj = maps.Clone(obj)
				obj["metadata"] = map[string]any{"name": "composed"}
			}
			v, err := t.crd.Validator(t.version)
			if err != nil {
				c.errs = append(c.errs, field.Invalid(c.r.Path, t.name(), fmt.Sprintf("the API server would not serve CRD %s (%s): %v", t.crd.Object.Name, t.crd.Where, err)))
				return
			}
			for _, e := range v.Create(ctx, obj) {
				fe, order := c.attribute(t, d.composed, e)
				if fe == nil {
					continue
				}
				k := fe.Field + "\x00" + fe.Detail
				if vd, ok := byMsg[k]; ok {
					vd.labels = append(vd.labels, d.labels...)
					continue
				}
				vd := &verdict{err: fe, labels: slices.Clone(d.labels), order: order}
				byMsg[k] = vd
				verdicts = append(verdicts, vd)
			}
		}
	}
	slices.SortStableFunc(verdicts, func(a, b *verdict) int { return a.order - b.order })
	for _, vd := range verdicts {
		e := vd.err
		if l := labelOf(vd.labels, len(composites)); l != "" {
			e.Detail = l + ": " + e.Detail
		}
		c.errs = append(c.errs, e)
	}
}

// labelOf names the composites an error is about: none when it is about every one.
func labelOf(labels []string, of int) string {
	var named []string
	for _, l := range labels {
		if l != "" && !slices.Contains(named, l) {
			named = append(named, l)
		}
	}
	if len(named) == 0 || len(named) == of && of > 1 {
		return ""
	}
	return strings.Join(named, "; ")
}

// attribute turns an error of the API server about a composed object into one about the
// DataService field at fault; nil for errors already reported or about what the instance gives.
func (c *checker) attribute(t *target, o composed, e *field.Error) (*field.Error, int) {
	if strings.HasPrefix(e.Detail, "unknown field") || (e.Field == "<nil>" && strings.HasPrefix(e.Detail, "some validation rules were not checked")) {
		return nil, 0 // the path checks report unknown fields, with the nearest valid path
	}
	rel, err := fieldpath.Parse(e.Field)
	if e.Field == "<nil>" || e.Field == "" || err != nil {
		rel = nil
	}
	full := append(slices.Clone(t.prefix), rel...)
	if c.silent(full) {
		return nil, 0
	}
	for _, p := range o.placeholders {
		if hasPrefix(full, p) {
			return nil, 0
		}
	}
	shown := *e
	shown.Field = written(t.prefix, rel)
	if shown.Field == "" {
		shown.Field = t.gvk.Kind
	}
	msg := fmt.Sprintf("%s refuses the composed object: %s", t.name(), shown.Error())
	// The patch that wrote the field, the last one when several did.
	for i := len(c.r.Patches) - 1; i >= 0; i-- {
		p := &c.r.Patches[i]
		if !fromComposite(p.Patch) || p.Patch.ToFieldPath == nil {
			continue
		}
		to, err := fieldpath.Parse(*p.Patch.ToFieldPath)
		if err == nil && len(rel) > 0 && hasPrefix(full, to) {
			return field.Invalid(p.patchPath(), *p.Patch.ToFieldPath, msg), i
		}
	}
	if len(rel) > 0 && allFields(full) {
		// A value the base sets; an object of the base is only where the rule sits.
		if v, ok, _ := unstructured.NestedFieldNoCopy(c.r.Base, segmentNames(full)...); ok {
			if _, isObject := v.(map[string]any); !isObject {
				return field.Invalid(c.basePath(full), shortValue(v), msg), len(c.r.Patches)
			}
		}
	}
	if e.Type == field.ErrorTypeRequired && len(rel) > 0 {
		msg += fmt.Sprintf(": set it in %s, or map a value to it", toFieldPath(c.r.Path.Child("base"), full))
	}
	return field.Invalid(c.r.Path, t.name(), msg), len(c.r.Patches) + 1
}

func allFields(segs fieldpath.Segments) bool {
	for _, s := range segs {
		if s.Type != fieldpath.SegmentField {
			return false
		}
	}
	return true
}
