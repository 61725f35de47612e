package generator

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/resolved"
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

	// The CEL a spec brings (spec.rules, plan change rules and the x-kubernetes-validations of
	// its schemas) is compiled by the API server's checks (crdcheck.go) once per distinct unit, once
	// more when a version's cost total must be added up, and again in the whole CRD, once per
	// version and CRD, when a part fails. cel-go's checker takes time quadratic in the length of an
	// expression (a 1,000-term || chain: half a second) and linear in their number (40,000 rules on
	// one parameter: 10 s, 1.1 GB). These bound both so that no spec within the limits takes more
	// than a second to generate; the API server's own estimated-cost limit per CRD (checkXRD)
	// bounds what the rules cost to evaluate.
	// Klutch's rules are a few hundred bytes, a handful per data service.

	// MaxRuleLength bounds one CEL expression (rule or messageExpression), in bytes.
	MaxRuleLength = 1024
	// MaxRulesPerSchema bounds the x-kubernetes-validations of one schema node.
	MaxRulesPerSchema = 16
	// MaxCELRules bounds the CEL expressions of a spec together.
	MaxCELRules = 128
	// MaxCELSize bounds the CEL expressions of a spec together, in bytes.
	MaxCELSize = 16 << 10
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
	// What the compositions offer counts, however it is declared: listed, or the whole catalog
	// of a composition that lists none (resolved.Offered), once the catalogs are within bounds.
	var serviceCatalog, planCatalog []resolved.Offering
	if s.Service != nil {
		tooMany(sp.Child("service", "catalog"), len(s.Service.Catalog), MaxServices, "services")
		serviceCatalog = offerings(s.Service.Catalog)
	}
	if s.Plan != nil {
		tooMany(sp.Child("plan", "catalog"), len(s.Plan.Catalog), MaxPlans, "plans")
		planCatalog = offerings(s.Plan.Catalog)
	}
	services, plans := 0, 0
	bounded := len(errs) == 0
	for i, c := range s.Compositions {
		if bounded {
			services += len(resolved.Offered(c.Services, serviceCatalog))
			plans += len(resolved.Offered(c.Plans, planCatalog))
		}
		if b := c.Backend; b != nil {
			tooMany(sp.Child("compositions").Index(i).Child("backend", "fields"), len(b.Fields)+len(b.Status), MaxMappings, "mappings")
		}
	}
	tooMany(sp.Child("compositions"), services, MaxServices, "services offered by the compositions together")
	tooMany(sp.Child("compositions"), plans, MaxPlans, "plans offered by the compositions together")
	tooMany(sp.Child("fields"), len(s.Fields), MaxFields, "fields")
	tooMany(sp.Child("rules"), len(s.Rules), MaxRules, "rules")
	tooMany(sp.Child("versions"), len(s.Versions), MaxVersions, "versions")
	if s.Plan != nil {
		tooMany(sp.Child("plan", "changes"), len(s.Plan.Changes), MaxPlanChanges, "plan changes")
	}
	errs = append(errs, checkCEL(ds)...)
	// Descriptions and schemas are limited by nothing else, and a spec is decoded in full before it
	// gets here; this stops it before it costs more.
	if b, err := json.Marshal(s); err == nil && len(b) > MaxObjectSize {
		errs = append(errs, tooLarge(sp, "the spec", len(b), "shorten descriptions and schemas, or split the data service into several"))
	}
	return errs
}

// offerings are the names of a catalog, as resolved.Offered reads them.
func offerings(catalog []v1alpha1.Offering) []resolved.Offering {
	out := make([]resolved.Offering, len(catalog))
	for i, o := range catalog {
		out[i] = resolved.Offering{Name: o.Name}
	}
	return out
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

// checkCEL rejects CEL beyond the limits (MaxRuleLength and the rest) before any is compiled.
func checkCEL(ds *v1alpha1.DataService) field.ErrorList {
	var errs field.ErrorList
	sp := field.NewPath("spec")
	s := &ds.Spec
	count, size := 0, 0
	add := func(p *field.Path, expr string) {
		if expr == "" {
			return
		}
		count++
		size += len(expr)
		if len(expr) > MaxRuleLength {
			errs = append(errs, &field.Error{Type: field.ErrorTypeTooLong, Field: p.String(), BadValue: len(expr),
				Detail: fmt.Sprintf("the CEL expression takes %d bytes, at most %d are allowed: split it into several rules, or express it with an enum, pattern or format", len(expr), MaxRuleLength)})
		}
	}
	for i, r := range s.Rules {
		add(sp.Child("rules").Index(i).Child("rule"), r.Rule)
		add(sp.Child("rules").Index(i).Child("messageExpression"), r.MessageExpression)
	}
	if s.Plan != nil {
		for i, c := range s.Plan.Changes {
			add(sp.Child("plan", "changes").Index(i).Child("rule"), c.Rule)
		}
	}
	schemaCEL := func(p *field.Path, raw []byte) {
		root := &extv1.JSONSchemaProps{}
		if len(raw) == 0 || json.Unmarshal(raw, root) != nil {
			return // resolve reports what is wrong with the schema
		}
		type item struct {
			s *extv1.JSONSchemaProps
			p *field.Path
		}
		stack := []item{{root, p}}
		for n := 0; len(stack) > 0 && n <= MaxSchemaNodes; n++ {
			it := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			vp := it.p.Child("x-kubernetes-validations")
			if v := it.s.XValidations; len(v) > MaxRulesPerSchema {
				e := field.TooMany(vp, len(v), MaxRulesPerSchema)
				e.Detail = fmt.Sprintf("%d CEL rules on one schema, at most %d are allowed: combine them, or express them with enums, patterns or formats", len(v), MaxRulesPerSchema)
				errs = append(errs, e)
			}
			for i, r := range it.s.XValidations {
				add(vp.Index(i).Child("rule"), r.Rule)
				add(vp.Index(i).Child("messageExpression"), r.MessageExpression)
			}
			push := func(c *extv1.JSONSchemaProps, p *field.Path) {
				if c != nil {
					stack = append(stack, item{c, p})
				}
			}
			// Pushed in reverse, so that errors come in the schema's order.
			push(it.s.Not, it.p.Child("not"))
			for _, l := range []struct {
				name string
				s    []extv1.JSONSchemaProps
			}{{"oneOf", it.s.OneOf}, {"anyOf", it.s.AnyOf}, {"allOf", it.s.AllOf}} {
				for i := len(l.s) - 1; i >= 0; i-- {
					push(&l.s[i], it.p.Child(l.name).Index(i))
				}
			}
			if it.s.AdditionalProperties != nil {
				push(it.s.AdditionalProperties.Schema, it.p.Child("additionalProperties"))
			}
			if it.s.Items != nil {
				for i := len(it.s.Items.JSONSchemas) - 1; i >= 0; i-- {
					push(&it.s.Items.JSONSchemas[i], it.p.Child("items").Index(i))
				}
				push(it.s.Items.Schema, it.p.Child("items"))
			}
			keys := slices.Sorted(maps.Keys(it.s.Properties))
			for i := len(keys) - 1; i >= 0; i-- {
				c := it.s.Properties[keys[i]]
				push(&c, it.p.Child("properties").Key(keys[i]))
			}
		}
	}
	for i, f := range s.Fields {
		schemaCEL(sp.Child("fields").Index(i).Child("schema"), f.Schema.Raw)
	}
	if s.Parameters != nil {
		schemaCEL(sp.Child("parameters", "schema"), s.Parameters.Schema.Raw)
	}
	if count > MaxCELRules {
		e := field.TooMany(sp, count, MaxCELRules)
		e.Detail = fmt.Sprintf("the spec holds %d CEL expressions (rules, messageExpressions, x-kubernetes-validations), at most %d are allowed: combine them, or express them with enums, patterns or formats", count, MaxCELRules)
		errs = append(errs, e)
	}
	if size > MaxCELSize {
		errs = append(errs, &field.Error{Type: field.ErrorTypeTooLong, Field: sp.String(), BadValue: size,
			Detail: fmt.Sprintf("the spec's CEL expressions take %d bytes together, at most %d are allowed: shorten them, or express them with enums, patterns or formats", size, MaxCELSize)})
	}
	return errs
}
