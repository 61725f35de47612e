// Package generator turns a DataService into its resolved API (internal/resolved) and the objects
// written from it: a CompositeResourceDefinition, the Compositions that have a backend, and an
// APIServiceExportTemplate for klutch-bind. It is the one place these decisions are made; the
// composition function and the CLI both call Generate, and every reader of what an API offers
// reads Output.Resolved (or ReadAPI's, for what was generated before). It does no I/O and its
// output depends on nothing but its input.
//
// Generate runs phases, each in files named for it: limits (limits.go), resolve (resolve.go: every
// default, once, into the resolved API and the model of model.go around it; schemas parsed by
// schema.go, catalogs by values.go), validate (validate.go: the registry of every rule, which the
// rule files names.go, resources.go, transforms.go, validate_plans.go, validate_export.go,
// safety.go, claims.go, exportcheck.go contribute to, then schemacheck.go), build (build.go:
// xrd.go, composition.go, resources.go, export.go, planrules.go), check (check.go: sizes, the
// templates against klutch-bind's and kube-bind's CRDs, and the API server's checks of
// apiserver.go, answered in parts by crdcheck.go from the split of crdsplit.go, with the verdicts a
// Checker remembers; then whether the objects fit through Crossplane's gRPC messages, wire.go),
// backends (backends.go: what the Compositions compose, against the CRDs of its kinds when the
// caller has them, internal/backendcrd), convert (convert.go). The CEL shapes it writes are
// parsed beside their writers (offering.go, planrules.go), and readapi.go reads a resolved API back
// from a generated XRD with them. Packaging metadata (crossplane.yaml, the ClusterRole) is the
// packaging side's (internal/pkgmeta).
package generator

import (
	"context"
	"fmt"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/backendcrd"
	"github.com/function-dataservice/function-dataservice/internal/resolved"
)

// Output is what a DataService generates.
type Output struct {
	// XRD is the CompositeResourceDefinition of the data service's API.
	XRD *unstructured.Unstructured
	// Compositions are the generated Compositions, one per composition with a backend, in the
	// DataService's order.
	Compositions []*unstructured.Unstructured
	// ExportTemplate is klutch-bind's APIServiceExportTemplate, nil when the export is disabled.
	ExportTemplate *unstructured.Unstructured
	// KubeBindTemplate is upstream kube-bind's APIServiceExportTemplate, when the spec asks for it.
	KubeBindTemplate *unstructured.Unstructured
	// API is the API app developers use, as the DataService's status reports it.
	API v1alpha1.ServedAPI
	// Resolved is the resolved API the objects were written from: what every reader of the
	// API reads. Shared with the generator's cache: do not change it.
	Resolved *resolved.API
	// Grants are the kinds the Compositions compose, which Crossplane's service account must be
	// allowed to manage (safety.go): what the package's ClusterRole grants.
	Grants []Grant
	// ObjectGrants are the kinds provider-kubernetes creates from the Objects the Compositions
	// compose (their manifests' kinds, on Crossplane 1.x an operator's CR), which its service
	// account must be allowed to manage.
	ObjectGrants []Grant
	// Checked are the kinds composed that were type-checked against a CRD of Options.CRDs, and
	// Unchecked those that no CRD given defines, each once, in the spec's order.
	Checked, Unchecked []schema.GroupVersionKind
	// Notes say what was assumed that the DataService does not say (e.g. where parameters go in
	// a backend that is not an a9s broker's), and report what the API needs granted and what its
	// permission claims do, for the CLI to print on stderr and the function to report as warnings.
	Notes []string
}

// Objects returns every generated object: the XRD, the Compositions, then the export templates.
func (o *Output) Objects() []*unstructured.Unstructured {
	objs := make([]*unstructured.Unstructured, 0, 2+len(o.Compositions))
	objs = append(objs, o.XRD)
	objs = append(objs, o.Compositions...)
	if o.ExportTemplate != nil {
		objs = append(objs, o.ExportTemplate)
	}
	if o.KubeBindTemplate != nil {
		objs = append(objs, o.KubeBindTemplate)
	}
	return objs
}

// InvalidError reports every reason a DataService is invalid, each with its field path.
type InvalidError struct {
	// Name of the DataService.
	Name string
	// Errs are the validation errors, in the order they were found.
	Errs field.ErrorList
}

func (e *InvalidError) Error() string {
	msgs := make([]string, 0, len(e.Errs))
	for _, err := range e.Errs {
		msgs = append(msgs, err.Error())
	}
	n := "DataService"
	if e.Name != "" {
		n = fmt.Sprintf("DataService %q", e.Name)
	}
	return fmt.Sprintf("%s is invalid (%d errors): %s", n, len(e.Errs), strings.Join(msgs, "; "))
}

// Generate validates ds with defaults d and returns the objects it generates. An invalid DataService
// yields an *InvalidError listing every problem; nothing is generated from it. It keeps nothing
// between calls: GenerateChecked and GenerateCached remember what the API server's checks found.
func Generate(ds *v1alpha1.DataService, d inputv1beta1.Defaults) (*Output, error) {
	return GenerateChecked(ds, d, nil)
}

// GenerateChecked is Generate with the API server's checks of ck, which answers what it has
// checked before from its verdicts. A nil ck checks from nothing.
func GenerateChecked(ds *v1alpha1.DataService, d inputv1beta1.Defaults, ck *Checker) (*Output, error) {
	if ck == nil {
		ck = NewChecker(perCallVerdicts)
	}
	return generate(context.Background(), ds, d, ck, nil, nil)
}

// GenerateCached is Generate that skips the API server's checks for XRDs the cache has seen
// accepted, and returns a copy of the last output of an unchanged DataService without generating
// it again. A nil cache checks and generates every time.
func GenerateCached(ds *v1alpha1.DataService, d inputv1beta1.Defaults, c *Cache) (*Output, error) {
	return GenerateContext(context.Background(), ds, d, c)
}

// GenerateContext is GenerateCached that stops once ctx ends, returning an error that wraps ctx's:
// a caller that has gone (the function's, whose deadline passed) does not keep the CPU busy.
func GenerateContext(ctx context.Context, ds *v1alpha1.DataService, d inputv1beta1.Defaults, c *Cache) (*Output, error) {
	return GenerateWith(ctx, ds, d, Options{Cache: c})
}

// Options are what a caller knows besides the DataService and the defaults.
type Options struct {
	// Cache, when not nil, spares the API server's checks of XRDs it accepted before and returns
	// the last output of an unchanged DataService (GenerateCached).
	Cache *Cache
	// CRDs are CustomResourceDefinitions of kinds the Compositions compose (an operator's, a
	// provider's): they name the kinds' resources and scopes, what is composed of those kinds is
	// type-checked against them (backends.go), and a problem is an error of the DataService like
	// any other. Kinds no CRD defines are listed in Output.Unchecked.
	CRDs *backendcrd.Set
}

// GenerateWith is GenerateContext with what the caller knows besides.
func GenerateWith(ctx context.Context, ds *v1alpha1.DataService, d inputv1beta1.Defaults, o Options) (*Output, error) {
	c := o.Cache
	if c == nil {
		return generate(ctx, ds, d, NewChecker(perCallVerdicts), nil, o.CRDs)
	}
	k, ok := inputKey(ds, d, o.CRDs)
	if ok {
		if out, hit := c.output(ds.GetName(), k); hit {
			return out, nil
		}
	}
	out, err := generate(ctx, ds, d, c.checker, c, o.CRDs)
	if err == nil && ok {
		c.remember(ds.GetName(), k, out)
	}
	return out, err
}

// Resolve validates ds with defaults d and returns its resolved API, without writing the objects
// or running the API server's checks on them (Generate does both, and returns the same value as
// Output.Resolved). An invalid DataService yields an *InvalidError listing every problem.
func Resolve(ds *v1alpha1.DataService, d inputv1beta1.Defaults) (*resolved.API, error) {
	m, errs := resolveValid(ds, d, nil)
	if len(errs) > 0 {
		return nil, &InvalidError{Name: ds.GetName(), Errs: errs}
	}
	return m.API, nil
}

// resolveValid runs the phases up to validation: the model, and what is wrong with the spec.
func resolveValid(ds *v1alpha1.DataService, d inputv1beta1.Defaults, crds *backendcrd.Set) (*model, field.ErrorList) {
	// 0. limits (limits.go): a spec beyond them is not looked at further.
	if errs := checkLimits(ds); len(errs) > 0 {
		return nil, errs
	}
	// 1. resolve (resolve.go): every default applied, once; schemas parsed. The CRDs the caller
	// has name the composed kinds' resources and scopes.
	m := resolve(ds, d.WithFallbacks())
	m.crds = crds
	// 2. validate (validate.go): everything the spec itself says wrong.
	return m, validate(m)
}

// generate runs the phases in order; each takes what the one before made. ck checks the XRD as
// the API server would; c, when not nil, spares those checks for XRDs it accepted before; crds
// type-check what the Compositions compose. ctx stops it between phases and in the loops of the
// checks.
func generate(ctx context.Context, ds *v1alpha1.DataService, d inputv1beta1.Defaults, ck *Checker, c *Cache, crds *backendcrd.Set) (*Output, error) {
	invalid := func(errs field.ErrorList) error { return &InvalidError{Name: ds.GetName(), Errs: errs} }
	m, errs := resolveValid(ds, d, crds)
	if m == nil || (len(errs) > 0 && m.tooBig) {
		return nil, invalid(errs)
	}
	// 3. build (build.go): the XRD always, so that the API server's checks of it report alongside
	// the spec's errors; the other objects from a valid spec only.
	objs := build(m, len(errs) == 0)
	// 4. check (check.go): every object's size, the XRD as the API server would, and whether they
	// fit through Crossplane's messages (wire.go).
	if err := ctx.Err(); err != nil {
		return nil, errors.Wrap(err, "stopped generating")
	}
	errs, err := check(ctx, m, objs, errs, ck, c)
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, invalid(errs)
	}
	// 5. backends (backends.go): what is composed, against the CRDs of its kinds.
	if err := ctx.Err(); err != nil {
		return nil, errors.Wrap(err, "stopped generating")
	}
	backends := checkBackends(ctx, m)
	if len(backends.Errs) > 0 {
		return nil, invalid(backends.Errs)
	}
	// 6. convert (convert.go): typed objects to the plain ones callers get.
	out, err := convert(m, objs)
	if err != nil {
		return nil, err
	}
	out.Checked, out.Unchecked = backends.Checked, backends.Unchecked
	return out, nil
}
