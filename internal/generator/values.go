package generator

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	ptv1beta1 "github.com/crossplane-contrib/function-patch-and-transform/input/v1beta1"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/resolved"
)

// A catalog holds the values plans (or services) carry. A mapping that takes value plan.memory
// becomes a patch from spec.plan with a map transform from each offered plan to its memory: the
// composed resource keeps its name when the plan changes, and the change updates it in place. The
// map lists every plan a composition offers, with the mapping's default where a plan lacks the
// value, so that P&T's map transform never meets a key it does not have.
type catalog struct {
	what   string      // plan or service: the field of the API it keys on
	path   *field.Path // spec.plan or spec.service
	decls  []v1alpha1.ValueDeclaration
	offers []resolved.Offering
}

// field is the resolved API's field of the catalog: its declarations and entries.
func (c *catalog) field() *resolved.Field {
	return &resolved.Field{Name: c.what, Values: c.decls, Catalog: c.offers}
}

// resolveCatalog validates the value declarations and the catalog of a plan or service field.
func resolveCatalog(p *field.Path, what string, decls []v1alpha1.ValueDeclaration, offers []v1alpha1.Offering) (*catalog, field.ErrorList) {
	var errs field.ErrorList
	c := &catalog{what: what, path: p}
	seen := map[string]bool{}
	for i, d := range decls {
		dp := p.Child("values").Index(i)
		if !lowerCamel.MatchString(d.Name) {
			errs = append(errs, field.Invalid(dp.Child("name"), d.Name, "must be lowerCamelCase, e.g. memory"))
		}
		if seen[d.Name] {
			errs = append(errs, field.Duplicate(dp.Child("name"), d.Name))
		}
		seen[d.Name] = true
		if d.Type == "" {
			d.Type = v1alpha1.ValueTypeString
		}
		if !slices.Contains([]string{v1alpha1.ValueTypeString, v1alpha1.ValueTypeInteger, v1alpha1.ValueTypeBoolean}, d.Type) {
			errs = append(errs, field.NotSupported(dp.Child("type"), d.Type, []string{v1alpha1.ValueTypeString, v1alpha1.ValueTypeInteger, v1alpha1.ValueTypeBoolean}))
		}
		c.decls = append(c.decls, d)
	}
	names := map[string]bool{}
	for i, o := range offers {
		op := p.Child("catalog").Index(i)
		if !planToken.MatchString(o.Name) {
			errs = append(errs, field.Invalid(op.Child("name"), o.Name, "a "+what+" name may hold only letters, digits, '.', '_' and '-'"))
		}
		if names[o.Name] {
			errs = append(errs, field.Duplicate(op.Child("name"), o.Name))
		}
		names[o.Name] = true
		for _, k := range slices.Sorted(maps.Keys(o.Values)) {
			vp := op.Child("values").Key(k)
			d, ok := c.decl(k)
			if !ok {
				errs = append(errs, field.NotFound(vp, fmt.Sprintf("%s is not declared: add {name: %s, type: %s} to %s", k, k, guessType(o.Values[k]), p.Child("values"))))
				continue
			}
			if msg := typeProblem(d.Type, o.Values[k]); msg != "" {
				errs = append(errs, field.Invalid(vp, string(o.Values[k].Raw), msg))
			}
		}
		c.offers = append(c.offers, resolved.Offering{Name: o.Name, Description: o.Description, Values: o.Values})
	}
	return c, errs
}

func (c *catalog) decl(name string) (v1alpha1.ValueDeclaration, bool) {
	for _, d := range c.decls {
		if d.Name == name {
			return d, true
		}
	}
	return v1alpha1.ValueDeclaration{}, false
}

// names lists the catalog's plans or services in order.
func (c *catalog) names() []string { return resolved.Offered(nil, c.offers) }

func (c *catalog) value(offer, name string) (extv1.JSON, bool) {
	for _, o := range c.offers {
		if o.Name == offer {
			v, ok := o.Values[name]
			return v, ok
		}
	}
	return extv1.JSON{}, false
}

// description lists the catalog's descriptions, appended to the field's own in the API.
func (c *catalog) description() string {
	var lines []string
	for _, o := range c.offers {
		if o.Description != "" {
			lines = append(lines, fmt.Sprintf("%s: %s", o.Name, o.Description))
		}
	}
	return strings.Join(lines, "\n")
}

// valueRef splits a mapping's value (plan.memory) into the field it keys on and the value's name.
func valueRef(v string) (what, name string, ok bool) {
	what, name, ok = strings.Cut(v, ".")
	if !ok || (what != "plan" && what != "service") || name == "" || strings.Contains(name, ".") {
		return "", "", false
	}
	return what, name, true
}

// mapTransform is the map from each offered plan (or service) to its value. p is the path of the
// mapping; offered names what the composition offers (from offeredPath).
func (c *catalog) mapTransform(p *field.Path, name string, def *extv1.JSON, offered []string, offeredPath *field.Path) (ptv1beta1.Transform, field.ErrorList) {
	var errs field.ErrorList
	d, ok := c.decl(name)
	if !ok {
		return ptv1beta1.Transform{}, field.ErrorList{field.NotFound(p.Child("value"), fmt.Sprintf("%s.%s: declare the value under %s, e.g. {name: %s, type: string}, and give each %s its value in %s", c.what, name, c.path.Child("values"), name, c.what, c.path.Child("catalog")))}
	}
	if def != nil {
		if msg := typeProblem(d.Type, *def); msg != "" {
			errs = append(errs, field.Invalid(p.Child("default"), string(def.Raw), msg))
		}
	}
	if len(offered) == 0 {
		return ptv1beta1.Transform{}, append(errs, field.Invalid(p.Child("value"), c.what+"."+name, fmt.Sprintf("the composition offers no %s: list them under %s or %s", c.what, offeredPath, c.path.Child("catalog"))))
	}
	pairs := make(map[string]extv1.JSON, len(offered))
	for _, o := range offered {
		v, ok := c.value(o, name)
		switch {
		case ok:
			pairs[o] = v
		case def != nil:
			pairs[o] = *def
		default:
			at := c.path.Child("catalog")
			if i := slices.Index(c.names(), o); i >= 0 {
				at = at.Index(i).Child("values")
			}
			errs = append(errs, field.Required(p.Child("value"), fmt.Sprintf("%s %s offered by %s has no value %s: set %s.%s, or give this mapping a default", c.what, o, offeredPath, name, at, name)))
		}
	}
	return ptv1beta1.Transform{Type: ptv1beta1.TransformTypeMap, Map: &ptv1beta1.MapTransform{Pairs: pairs}}, errs
}

// typeProblem says why v is not of a declared type, or "" when it is.
func typeProblem(typ string, v extv1.JSON) string {
	var x any
	if err := json.Unmarshal(v.Raw, &x); err != nil {
		return "not a JSON value: " + err.Error()
	}
	switch typ {
	case v1alpha1.ValueTypeInteger:
		if f, ok := x.(float64); ok && f == math.Trunc(f) {
			return ""
		}
		return "must be an integer, e.g. 2 (the value is declared type: integer)"
	case v1alpha1.ValueTypeBoolean:
		if _, ok := x.(bool); ok {
			return ""
		}
		return "must be true or false (the value is declared type: boolean)"
	default:
		if _, ok := x.(string); ok {
			return ""
		}
		return `must be a string; quote it, e.g. "1" (the value is declared type: string)`
	}
}

func guessType(v extv1.JSON) string {
	var x any
	_ = json.Unmarshal(v.Raw, &x)
	switch x.(type) {
	case float64:
		return v1alpha1.ValueTypeInteger
	case bool:
		return v1alpha1.ValueTypeBoolean
	}
	return v1alpha1.ValueTypeString
}
