package planmatrix

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	xv2 "github.com/crossplane/crossplane/apis/v2/apiextensions/v2"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/function-dataservice/function-dataservice/internal/crvalidate"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// errVersionSchema is the error of a version whose schema cannot be read or validated with.
const errVersionSchema = "XRD %s: spec.versions[%d].schema"

// API is a generated XRD ready to have objects validated against it: per served version, the
// validator of the CRD app developers' objects live in (the claim on Crossplane v1, the composite
// on v2), with Crossplane's machinery fields, as the API server validates them.
type API struct {
	// Name of the XRD.
	Name string
	// Group and Kind app developers create.
	Group, Kind string
	// Line is the Crossplane line.
	Line xpline.Line
	// Namespaced says whether the objects app developers create are namespaced.
	Namespaced bool
	// Versions are the served versions, in the XRD's order.
	Versions []Version
	// XRD is the XRD as read, for what its callers show of it (every version, served or not).
	XRD *xv2.CompositeResourceDefinition

	// evaluations counts the questions asked of the API server's validation.
	evaluations atomic.Int64
	// clock is the clock of MaxCPU (now).
	clock func() instant
}

// Version is one served version of an API.
type Version struct {
	Name      string
	validator *crvalidate.Validator
	// schema is the version's schema as the XRD holds it: versions with the same answer the same.
	schema string
	// cel is how many bytes of CEL the schema's rules hold: every evaluation runs them.
	cel int
}

// Validator validates objects of the version as the API server does.
func (v Version) Validator() *crvalidate.Validator { return v.validator }

// Load decodes a generated XRD (apiextensions.crossplane.io/v1 or v2) and builds the validators of
// its served versions. opts tune the validators (cost budget, per-call limit).
func Load(xrd *unstructured.Unstructured, opts ...crvalidate.Option) (*API, error) {
	return load(xrd, true, opts)
}

// LoadComposites is Load for the composites of the XRD: on Crossplane v1 the CRD of its cluster-
// scoped composites (which carry their claim's spec beside Crossplane's composite fields), on v2 the
// same CRD Load reads.
func LoadComposites(xrd *unstructured.Unstructured, opts ...crvalidate.Option) (*API, error) {
	return load(xrd, false, opts)
}

func load(xrd *unstructured.Unstructured, claims bool, opts []crvalidate.Option) (*API, error) {
	x := &xv2.CompositeResourceDefinition{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(xrd.Object, x); err != nil {
		return nil, errors.Wrapf(err, "cannot decode XRD %s", xrd.GetName())
	}
	line, ok := xpline.OfXRD(x.APIVersion)
	if !ok {
		return nil, errors.Errorf("%s is not a CompositeResourceDefinition of a known Crossplane line (%s)", x.GetName(), x.APIVersion)
	}
	a := &API{Name: x.GetName(), Group: x.Spec.Group, Kind: x.Spec.Names.Kind, Line: line, Namespaced: true, XRD: x, clock: now}
	switch {
	case line.Claims && !claims:
		a.Namespaced = false
	case line.Claims:
		if x.Spec.ClaimNames == nil {
			return nil, errors.Errorf("XRD %s offers no claims: app developers cannot create objects of it", x.GetName())
		}
		a.Kind = x.Spec.ClaimNames.Kind
	case x.Spec.Scope == xv2.CompositeResourceScopeCluster:
		a.Namespaced = false
	}
	for i, v := range x.Spec.Versions {
		if !v.Served {
			continue
		}
		if v.Schema == nil || len(v.Schema.OpenAPIV3Schema.Raw) == 0 {
			return nil, errors.Errorf("XRD %s: spec.versions[%d] (%s) has no schema", x.GetName(), i, v.Name)
		}
		s := &extv1.JSONSchemaProps{}
		if err := json.Unmarshal(v.Schema.OpenAPIV3Schema.Raw, s); err != nil {
			return nil, errors.Wrapf(err, errVersionSchema, x.GetName(), i)
		}
		val, err := crvalidate.New(generator.CRDSchema(line, claims && line.Claims, s), opts...)
		if err != nil {
			return nil, errors.Wrapf(err, errVersionSchema, x.GetName(), i)
		}
		a.Versions = append(a.Versions, Version{Name: v.Name, validator: val, schema: string(v.Schema.OpenAPIV3Schema.Raw), cel: celBytes(val.Structural())})
	}
	if len(a.Versions) == 0 {
		return nil, errors.Errorf("XRD %s serves no version", x.GetName())
	}
	return a, nil
}

// Instance is what an existing object holds in the fields a plan matrix is about.
type Instance struct {
	Version     string `json:"version"`
	Composition string `json:"composition,omitempty"`
	Service     string `json:"service,omitempty"`
	Plan        string `json:"plan,omitempty"`
}

// Object is the smallest object of the API that holds in: its composition reference where
// Crossplane sets it on every existing object, its service and plan, and each other required spec
// field with its default, its first allowed value or the zero of its type.
func (a *API) Object(in Instance) map[string]any {
	spec := map[string]any{}
	if in.Composition != "" {
		ref := map[string]any{"name": in.Composition}
		if a.Line.Claims {
			spec["compositionRef"] = ref
		} else {
			spec["crossplane"] = map[string]any{"compositionRef": ref}
		}
	}
	if in.Service != "" {
		spec["service"] = in.Service
	}
	if in.Plan != "" {
		spec["plan"] = in.Plan
	}
	md := map[string]any{"name": "example"}
	if a.Namespaced {
		md["namespace"] = "default"
	}
	obj := map[string]any{"apiVersion": a.Group + "/" + in.Version, "kind": a.Kind, "metadata": md, "spec": spec}
	if v := a.version(in.Version); v != nil {
		if s, ok := v.validator.Structural().Properties["spec"]; ok {
			fillRequired(spec, &s)
		}
	}
	return obj
}

// Version returns the served version of a name, nil when the XRD serves none.
func (a *API) Version(name string) *Version { return a.version(name) }

func (a *API) version(name string) *Version {
	i := slices.IndexFunc(a.Versions, func(v Version) bool { return v.Name == name })
	if i < 0 {
		return nil
	}
	return &a.Versions[i]
}

// fillRequired sets each required field of obj that is unset to a value its schema accepts.
func fillRequired(obj map[string]any, s *structuralschema.Structural) {
	for _, name := range requiredOf(s) {
		if _, ok := obj[name]; ok {
			continue
		}
		p, ok := s.Properties[name]
		if !ok {
			continue
		}
		obj[name] = SampleValue(&p)
	}
}

func requiredOf(s *structuralschema.Structural) []string {
	if s.ValueValidation == nil {
		return nil
	}
	return s.ValueValidation.Required
}

// SampleValue is a value s accepts by its type: its default, its first enum value, or the zero of
// its type with its required fields filled in. CEL rules may still refuse it.
func SampleValue(s *structuralschema.Structural) any {
	if s.Default.Object != nil {
		return runtime.DeepCopyJSONValue(s.Default.Object)
	}
	if s.ValueValidation != nil && len(s.ValueValidation.Enum) > 0 {
		return runtime.DeepCopyJSONValue(s.ValueValidation.Enum[0].Object)
	}
	switch s.Type {
	case "object":
		o := map[string]any{}
		fillRequired(o, s)
		return o
	case "array":
		return []any{}
	case "string":
		return ""
	case "integer":
		return int64(0)
	case "number":
		return float64(0)
	case "boolean":
		return false
	}
	if s.XIntOrString {
		return int64(0)
	}
	return map[string]any{}
}

// verdict is what the API server answers a create or an update: refusals by rules or the schema,
// and the rules it could not evaluate.
type verdict struct {
	refusals []Refusal
	errs     []evalError
}

// evalError is a rule the API server could not evaluate.
type evalError struct {
	Path, Rule, Detail string
}

// create validates in as a new object.
func (a *API) create(ctx context.Context, in Instance) verdict {
	a.evaluations.Add(1)
	v := a.version(in.Version)
	return classify(v.validator.Structural(), v.validator.Create(ctx, a.Object(in)))
}

// update validates changing from to to.
func (a *API) update(ctx context.Context, from, to Instance) verdict {
	a.evaluations.Add(1)
	v := a.version(to.Version)
	return classify(v.validator.Structural(), v.validator.Update(ctx, a.Object(to), a.Object(from)))
}

// Existing validates obj, an object of the version that exists, as an API server without
// ratcheting validates an update that keeps every value of it (UpdateWithoutRatcheting): the
// refusals, a rule that cannot be evaluated on obj among them (the API server refuses the update
// with that error too). obj is defaulted in place.
func (a *API) Existing(ctx context.Context, version string, obj map[string]any) ([]Refusal, error) {
	v := a.version(version)
	if v == nil {
		return nil, errors.Errorf("XRD %s serves no version %s", a.Name, version)
	}
	got := classify(v.validator.Structural(), v.validator.UpdateWithoutRatcheting(ctx, obj, runtime.DeepCopyJSON(obj)))
	for _, e := range got.errs {
		got.refusals = append(got.refusals, Refusal{Path: e.Path, Rule: e.Rule, Message: e.Detail, typ: field.ErrorTypeInternal})
	}
	return got.refusals, nil
}

// Refusal is one reason the API server refuses an object or a change.
type Refusal struct {
	// Path is the field the refusal is reported on, e.g. spec.plan.
	Path string `json:"path"`
	// Rule is the CEL rule that refuses; empty when the OpenAPI schema refuses (e.g. an enum).
	Rule string `json:"rule,omitempty"`
	// Message is what the API server answers.
	Message string `json:"message"`

	// typ is the API server's type of the error (ErrorType).
	typ field.ErrorType

	// index orders refusals by where their rule sits: schema errors first, then rules by field path
	// and position, so that "the first rule that refuses" is the same on every run (the API server
	// walks object fields in map order).
	index int
}

// ErrorType is the API server's type of the refusal: field.ErrorTypeRequired, NotSupported (an
// enum), Invalid (a rule) ….
func (r Refusal) ErrorType() field.ErrorType { return r.typ }

// Evaluation failures are told from refusals by the API server's wording of them
// (k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel/validation.go).
var evalFailures = []string{
	"rule compiler initialization error", "rule compile error", "evaluating rule:",
	"running out of cost budget", "call cost exceeds limit", "runtime cost could not be calculated",
	"call arguments did not match a supported operator",
}

// notChecked is how the API server says it skipped the CEL rules of an object its schema refused:
// a consequence of the schema's refusal, not a refusal or a failure of its own.
const notChecked = "some validation rules were not checked"

// classify sorts the API server's errors into refusals and rules it could not evaluate, naming the
// rule of each where the schema at its path has one that matches.
func classify(root *structuralschema.Structural, errs field.ErrorList) verdict {
	var out verdict
	for _, e := range errs {
		if strings.Contains(e.Detail, notChecked) {
			continue
		}
		path := strings.TrimPrefix(e.Field, "<nil>.")
		node := NodeAt(root, path)
		var rules extv1.ValidationRules
		if node != nil {
			rules = node.XValidations
		}
		if failure(e) {
			rule := ""
			for _, r := range rules {
				if strings.HasSuffix(strings.TrimSpace(e.Detail), ruleErrorString(r)) {
					rule = r.Rule
					break
				}
			}
			if rule == "" && len(rules) > 0 {
				var all []string
				for _, r := range rules {
					all = append(all, r.Rule)
				}
				rule = strings.Join(all, "\n")
			}
			out.errs = append(out.errs, evalError{Path: path, Rule: rule, Detail: e.Detail})
			continue
		}
		r := Refusal{Path: path, Message: e.ErrorBody(), typ: e.Type}
		for i, vr := range rules {
			if strings.TrimSpace(e.Detail) == messageOf(vr) {
				r.Rule, r.Message, r.index = vr.Rule, messageOf(vr), i+1
				break
			}
		}
		out.refusals = append(out.refusals, r)
	}
	// The API server walks an object's fields in map order: sorted, the same object gets the same
	// answer every time.
	slices.SortStableFunc(out.errs, func(a, b evalError) int { return strings.Compare(a.Path, b.Path) })
	slices.SortStableFunc(out.refusals, func(a, b Refusal) int {
		if (a.Rule == "") != (b.Rule == "") {
			if a.Rule == "" {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return a.index - b.index
	})
	return out
}

func failure(e *field.Error) bool {
	if e.Type == field.ErrorTypeInternal {
		return true
	}
	for _, f := range evalFailures {
		if strings.Contains(e.Detail, f) {
			return true
		}
	}
	return false
}

// messageOf is the message the API server gives for a failed rule without a messageExpression.
func messageOf(r extv1.ValidationRule) string {
	if m := strings.TrimSpace(r.Message); m != "" {
		return m
	}
	return "failed rule: " + strings.TrimSpace(r.Rule)
}

// ruleErrorString is how the API server names a rule in an evaluation error.
func ruleErrorString(r extv1.ValidationRule) string {
	if m := strings.TrimSpace(r.Message); m != "" {
		return m
	}
	return strings.TrimSpace(r.Rule)
}

// NodeAt finds the schema of a field path like spec.plan or spec.items[0].name; nil when the
// schema has none.
func NodeAt(s *structuralschema.Structural, path string) *structuralschema.Structural {
	if path == "" || path == "<nil>" {
		return s
	}
	for _, seg := range strings.Split(path, ".") {
		name, _, _ := strings.Cut(seg, "[")
		if name != "" {
			if s = child(s, name); s == nil {
				return nil
			}
		}
		for range strings.Count(seg, "[") {
			switch {
			case s.Items != nil:
				s = s.Items
			case s.AdditionalProperties != nil && s.AdditionalProperties.Structural != nil:
				s = s.AdditionalProperties.Structural
			default:
				return nil
			}
		}
	}
	return s
}

func child(s *structuralschema.Structural, name string) *structuralschema.Structural {
	if p, ok := s.Properties[name]; ok {
		return &p
	}
	if s.AdditionalProperties != nil {
		return s.AdditionalProperties.Structural
	}
	return nil
}
