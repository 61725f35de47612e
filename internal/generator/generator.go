// Package generator turns a DataService into the objects that serve it: a CompositeResourceDefinition,
// the Compositions that have a backend, and an APIServiceExportTemplate for klutch-bind. It is the one
// place these decisions are made; the composition function and the CLI both call Generate. It does no
// I/O and its output depends on nothing but its input.
//
// Generate runs phases, each in files named for it: limits (limits.go), resolve (resolve.go: every
// default, once, into the model of model.go; schemas parsed by schema.go), validate (validate.go,
// names.go), build (build.go: xrd.go, composition.go, export.go, planrules.go), check (check.go:
// sizes, and the API server's checks of apiserver.go, answered in parts by crdcheck.go from the
// split of crdsplit.go, remembered in internal/lru), convert (convert.go). The CEL shapes it writes that
// import and check-compat read back are parsed beside their writers.
package generator

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
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
	// API is the API app developers use.
	API v1alpha1.ServedAPI
	// Grants are the kinds the Compositions compose, which Crossplane's service account must be
	// allowed to manage (safety.go): what the package's ClusterRole grants.
	Grants []Grant
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
// yields an *InvalidError listing every problem; nothing is generated from it.
func Generate(ds *v1alpha1.DataService, d inputv1beta1.Defaults) (*Output, error) {
	return GenerateCached(ds, d, nil)
}

// GenerateCached is Generate that skips the API server's checks for XRDs the cache has seen
// accepted, and returns a copy of the last output of an unchanged DataService without generating
// it again. A nil cache checks and generates every time.
func GenerateCached(ds *v1alpha1.DataService, d inputv1beta1.Defaults, c *Cache) (*Output, error) {
	if c == nil {
		return generate(ds, d, nil)
	}
	k, ok := inputKey(ds, d)
	if ok {
		if out, hit := c.output(ds.GetName(), k); hit {
			return out, nil
		}
	}
	out, err := generate(ds, d, c)
	if err == nil && ok {
		c.remember(ds.GetName(), k, out)
	}
	return out, err
}

// generate runs the phases in order; each takes what the one before made. c, when not nil,
// spares the API server's checks of XRDs it accepted before.
func generate(ds *v1alpha1.DataService, d inputv1beta1.Defaults, c *Cache) (*Output, error) {
	invalid := func(errs field.ErrorList) error { return &InvalidError{Name: ds.GetName(), Errs: errs} }
	// 0. limits (limits.go): a spec beyond them is not looked at further.
	if errs := checkLimits(ds); len(errs) > 0 {
		return nil, invalid(errs)
	}
	// 1. resolve (resolve.go): every default applied, once; schemas parsed.
	m := resolve(ds, d.WithFallbacks())
	// 2. validate (validate.go): everything the spec itself says wrong.
	errs := validate(m)
	if len(errs) > 0 && m.tooBig {
		return nil, invalid(errs)
	}
	// 3. build (build.go): the XRD always, so that the API server's checks of it report alongside
	// the spec's errors; the other objects from a valid spec only.
	objs := build(m, len(errs) == 0)
	// 4. check (check.go): every object's size, and the XRD as the API server would.
	if errs := check(m, objs, errs, c); len(errs) > 0 {
		return nil, invalid(errs)
	}
	// 5. convert (convert.go): typed objects to the plain ones callers get.
	return convert(m, objs)
}
