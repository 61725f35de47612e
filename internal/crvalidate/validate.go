// Package crvalidate validates custom resources in-process the way the Kubernetes API server does
// for a CRD version: defaulting, unknown fields (as kubectl's strict field validation reports them),
// the OpenAPI schema, list types and the CEL rules (x-kubernetes-validations), with transition rules
// and ratcheting on update. It is the API server's own code (k8s.io/apiextensions-apiserver), called
// in the order its custom resource strategy calls it, so that what it accepts a control plane
// accepts. It does no I/O.
package crvalidate

import (
	"context"
	"fmt"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel/model"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/cel/common"
)

// Validator validates objects against one CRD version's schema.
type Validator struct {
	structural *structuralschema.Structural
	schema     validation.SchemaValidator
	cel        *cel.Validator
	budget     int64
}

// Option tunes a Validator.
type Option func(*options)

type options struct {
	perCallLimit uint64
	budget       int64
}

// WithCostBudget sets the CEL cost budget of one validation of a whole object; the API server's is
// celconfig.RuntimeCELCostBudget.
func WithCostBudget(b int64) Option { return func(o *options) { o.budget = b } }

// WithPerCallLimit sets the CEL cost limit of one rule evaluation; the API server's is
// celconfig.PerCallLimit.
func WithPerCallLimit(l uint64) Option { return func(o *options) { o.perCallLimit = l } }

// New returns a Validator of a CRD version whose openAPIV3Schema is s. A schema that is not
// structural is an error: the API server would not serve it.
func New(s *extv1.JSONSchemaProps, opts ...Option) (*Validator, error) {
	o := options{perCallLimit: celconfig.PerCallLimit, budget: celconfig.RuntimeCELCostBudget}
	for _, f := range opts {
		f(&o)
	}
	internal := &apiextensions.JSONSchemaProps{}
	if err := extv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(s, internal, nil); err != nil {
		return nil, fmt.Errorf("cannot convert schema: %w", err)
	}
	st, err := structuralschema.NewStructural(internal)
	if err != nil {
		return nil, fmt.Errorf("schema is not structural: %w", err)
	}
	sv, _, err := validation.NewSchemaValidator(internal)
	if err != nil {
		return nil, fmt.Errorf("cannot build schema validator: %w", err)
	}
	return &Validator{structural: st, schema: sv, cel: cel.NewValidator(st, true, o.perCallLimit), budget: o.budget}, nil
}

// Structural is the structural schema objects are validated against, e.g. to find the rules at the
// field path of an error.
func (v *Validator) Structural() *structuralschema.Structural { return v.structural }

// Create validates obj as the API server validates a new object. obj is defaulted in place, as the
// API server defaults what it decodes; unknown fields are errors, as kubectl's default strict field
// validation makes them.
func (v *Validator) Create(ctx context.Context, obj map[string]any) field.ErrorList {
	errs := v.prepare(obj)
	errs = append(errs, validation.ValidateCustomResource(nil, obj, v.schema)...)
	errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, v.structural, obj)...)
	if blocking(errs) {
		return append(errs, field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"))
	}
	cerrs, _ := v.cel.Validate(ctx, nil, v.structural, obj, nil, v.budget)
	return append(errs, cerrs...)
}

// Update validates obj as the API server validates an update of old to obj: transition rules see
// old as oldSelf, and errors of fields that did not change are ratcheted (dropped), as they are
// since Kubernetes 1.30. Both objects are defaulted in place.
func (v *Validator) Update(ctx context.Context, obj, old map[string]any) field.ErrorList {
	return v.update(ctx, obj, old, true)
}

// UpdateWithoutRatcheting validates an update of old to obj as an API server without ratcheting
// does (before Kubernetes 1.30, or with the CRDValidationRatcheting feature off): every value is
// validated again, changed or not, and transition rules see old as oldSelf. An update of an object
// to itself is the update its every reconcile and edit makes: what refuses it strands the object
// on such a cluster. Both objects are defaulted in place.
func (v *Validator) UpdateWithoutRatcheting(ctx context.Context, obj, old map[string]any) field.ErrorList {
	return v.update(ctx, obj, old, false)
}

func (v *Validator) update(ctx context.Context, obj, old map[string]any, ratchet bool) field.ErrorList {
	errs := v.prepare(obj)
	structuraldefaulting.Default(old, v.structural)
	var (
		schemaOpts []validation.ValidationOption
		celOpts    []cel.Option
	)
	if ratchet {
		corr := common.NewCorrelatedObject(obj, old, &model.Structural{Structural: v.structural})
		schemaOpts, celOpts = append(schemaOpts, validation.WithRatcheting(corr)), append(celOpts, cel.WithRatcheting(corr))
	}
	errs = append(errs, validation.ValidateCustomResourceUpdate(nil, obj, old, v.schema, schemaOpts...)...)
	// The API server checks list types only where the old object passed them, ratcheting or not.
	if len(structurallisttype.ValidateListSetsAndMaps(nil, v.structural, old)) == 0 {
		errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, v.structural, obj)...)
	}
	if blocking(errs) {
		return append(errs, field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"))
	}
	cerrs, _ := v.cel.Validate(ctx, nil, v.structural, obj, old, v.budget, celOpts...)
	return append(errs, cerrs...)
}

// prepare defaults obj and reports its unknown fields.
func (v *Validator) prepare(obj map[string]any) field.ErrorList {
	structuraldefaulting.Default(obj, v.structural)
	probe := runtime.DeepCopyJSON(obj)
	var errs field.ErrorList
	for _, p := range structuralpruning.PruneWithOptions(probe, v.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}) {
		errs = append(errs, field.Invalid(field.NewPath(p), nil, "unknown field (the API server drops it; kubectl's strict field validation refuses it)"))
	}
	return errs
}

// blocking says whether errs stop the API server from running the CEL rules, as its custom
// resource strategy decides.
func blocking(errs field.ErrorList) bool {
	for _, e := range errs {
		switch e.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}
