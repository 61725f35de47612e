package generator

import (
	"encoding/json"
	"fmt"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
)

// Limits on a DataService. They keep a generated XRD within what the API server stores (objects in
// etcd are limited to 1.5 MiB) and evaluates (CEL cost grows with enum sizes), and they stop a huge or
// hostile spec early, before it costs memory or time: far beyond any real data service (Klutch's
// largest has 28 plans and 25 parameters).
const (
	MaxCompositions = 64
	MaxServices     = 256  // over all compositions
	MaxPlans        = 2048 // over all compositions
	MaxFields       = 256
	MaxParameters   = 2048 // parameter leaves
	MaxSchemaDepth  = 32
	MaxPlanChanges  = 64
	MaxRules        = 64
	MaxVersions     = 16
	MaxMappings     = 512 // field and status mappings of one backend
	MaxNameLength   = 253
	MaxSchemaNodes  = 20000 // properties, items and alternatives of all schemas together
	// MaxObjectSize bounds a DataService's spec and every object generated from it, as JSON: what
	// etcd stores of one object by default (--max-request-bytes), so the API server refuses
	// anything larger. A generated XRD repeats the schema once per version, and a Composition the
	// path of every parameter, so a spec within the limit can still generate objects beyond it.
	MaxObjectSize = 3 << 19 // 1.5 MiB
)

// checkLimits rejects specs beyond the limits before anything else looks at them.
func checkLimits(ds *v1alpha1.DataService) field.ErrorList {
	var errs field.ErrorList
	sp := field.NewPath("spec")
	s := &ds.Spec
	tooMany := func(p *field.Path, n, max int, what string) {
		if n > max {
			e := field.TooMany(p, n, max)
			e.Detail = fmt.Sprintf("%d %s, at most %d are allowed: split the data service into several", n, what, max)
			errs = append(errs, e)
		}
	}
	tooMany(sp.Child("compositions"), len(s.Compositions), MaxCompositions, "compositions")
	services, plans := 0, 0
	for i, c := range s.Compositions {
		services += len(c.Services)
		plans += len(c.Plans)
		if b := c.Backend; b != nil {
			tooMany(sp.Child("compositions").Index(i).Child("backend", "fields"), len(b.Fields)+len(b.Status), MaxMappings, "mappings")
		}
	}
	tooMany(sp.Child("compositions"), services, MaxServices, "services")
	tooMany(sp.Child("compositions"), plans, MaxPlans, "plans")
	tooMany(sp.Child("fields"), len(s.Fields), MaxFields, "fields")
	tooMany(sp.Child("rules"), len(s.Rules), MaxRules, "rules")
	tooMany(sp.Child("versions"), len(s.Versions), MaxVersions, "versions")
	if s.Plan != nil {
		tooMany(sp.Child("plan", "changes"), len(s.Plan.Changes), MaxPlanChanges, "plan changes")
	}
	// Descriptions and schemas are limited by nothing else, and a spec is decoded in full before it
	// gets here; this stops it before it costs more.
	if b, err := json.Marshal(s); err == nil && len(b) > MaxObjectSize {
		errs = append(errs, tooLarge(sp, "the spec", len(b), "shorten descriptions and schemas, or split the data service into several"))
	}
	return errs
}

// checkXRDSize rejects an XRD larger than the API server stores, before its CEL rules are compiled.
func checkXRDSize(xrd xrdObject) *field.Error {
	return checkSize(field.NewPath("spec"), "the generated XRD", xrd, "it repeats the schemas, rules and descriptions once per version: shorten them, or serve fewer versions")
}

// checkCompositionSize rejects a Composition larger than the API server stores: it holds a patch
// with the full path of every parameter, so deep schemas with long names grow it far beyond the
// spec (27 KiB of spec made a 3 MiB Composition).
func checkCompositionSize(i int, comp any) *field.Error {
	return checkSize(field.NewPath("spec", "compositions").Index(i), "the generated Composition", comp, "it holds a patch with the full path of every parameter and field: nest parameters less deeply or shorten their names, or shrink the backend's base")
}

func checkSize(p *field.Path, what string, obj any, fix string) *field.Error {
	b, err := json.Marshal(obj)
	if err != nil || len(b) <= MaxObjectSize {
		return nil
	}
	return tooLarge(p, what, len(b), fix)
}

// tooLarge is the error of an object beyond MaxObjectSize, in MiB, with the fix.
func tooLarge(p *field.Path, what string, size int, fix string) *field.Error {
	const mib = 1 << 20
	return &field.Error{Type: field.ErrorTypeTooLong, Field: p.String(), BadValue: size,
		Detail: fmt.Sprintf("%s takes %.1f MiB as JSON, at most %.1f MiB are allowed (what the API server stores of one object): %s", what, float64(size)/mib, float64(MaxObjectSize)/mib, fix)}
}

// checkSchemaSize rejects schemas nested deeper or holding more nodes than the limits, counting
// without recursion so a hostile schema cannot exhaust the stack.
func checkSchemaSize(p *field.Path, s *extv1.JSONSchemaProps, nodes *int) field.ErrorList {
	type item struct {
		s     *extv1.JSONSchemaProps
		depth int
	}
	stack := []item{{s, 1}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		*nodes++
		if *nodes > MaxSchemaNodes {
			return field.ErrorList{field.TooMany(p, *nodes, MaxSchemaNodes)}
		}
		if it.depth > MaxSchemaDepth {
			return field.ErrorList{field.Invalid(p, it.depth, fmt.Sprintf("the schema nests %d levels deep, at most %d are allowed", it.depth, MaxSchemaDepth))}
		}
		push := func(c *extv1.JSONSchemaProps) {
			if c != nil {
				stack = append(stack, item{c, it.depth + 1})
			}
		}
		for k := range it.s.Properties {
			c := it.s.Properties[k]
			push(&c)
		}
		if it.s.Items != nil {
			push(it.s.Items.Schema)
			for i := range it.s.Items.JSONSchemas {
				push(&it.s.Items.JSONSchemas[i])
			}
		}
		if it.s.AdditionalProperties != nil {
			push(it.s.AdditionalProperties.Schema)
		}
		for _, l := range [][]extv1.JSONSchemaProps{it.s.AllOf, it.s.AnyOf, it.s.OneOf} {
			for i := range l {
				push(&l[i])
			}
		}
		if it.s.Not != nil {
			push(it.s.Not)
		}
	}
	return nil
}
