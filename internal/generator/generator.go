// Package generator turns a DataService into the objects that serve it: a CompositeResourceDefinition,
// the Compositions that have a backend, and an APIServiceExportTemplate for klutch-bind. It is the one
// place these decisions are made; the composition function and the CLI both call Generate. It does no
// I/O and its output depends on nothing but its input.
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

// generate validates and generates, skipping the API server's checks of XRDs c accepted before.
func generate(ds *v1alpha1.DataService, d inputv1beta1.Defaults, c *Cache) (*Output, error) {
	if errs := checkLimits(ds); len(errs) > 0 {
		return nil, &InvalidError{Name: ds.GetName(), Errs: errs}
	}
	m, errs := resolve(ds, d.WithFallbacks())
	if len(errs) > 0 && m.tooBig {
		return nil, &InvalidError{Name: ds.GetName(), Errs: errs}
	}
	// The API server's checks run even when the spec has other errors, so that one run reports
	// everything; what they find about objects the spec errors already explain is left out.
	xrd, prov := buildXRD(m)
	if e := checkXRDSize(xrd); e != nil {
		return nil, &InvalidError{Name: ds.GetName(), Errs: append(errs, e)}
	}
	var key [32]byte
	cached := false
	if c != nil && len(errs) == 0 {
		var ok bool
		if key, ok = c.key(xrd); ok {
			cached = c.has(key)
		}
	}
	var xerrs field.ErrorList
	if !cached {
		xerrs = checkXRD(m, xrd, prov)
		if c != nil && len(errs) == 0 && len(xerrs) == 0 {
			c.add(key)
		}
	}
	if len(errs) > 0 {
		for _, e := range xerrs {
			if strings.HasPrefix(e.Field, "spec.") {
				errs = append(errs, e)
			}
		}
	} else {
		errs = xerrs
	}
	if len(errs) > 0 {
		return nil, &InvalidError{Name: ds.GetName(), Errs: errs}
	}
	out := &Output{API: m.servedAPI()}
	u, err := toUnstructured(xrd)
	if err != nil {
		return nil, err
	}
	out.XRD = u
	var sizeErrs field.ErrorList
	for i := range m.compositions {
		c := &m.compositions[i]
		if c.spec.Backend == nil {
			continue
		}
		comp := buildComposition(m, c)
		if e := checkCompositionSize(i, comp); e != nil {
			sizeErrs = append(sizeErrs, e)
			continue
		}
		u, err := toUnstructured(comp)
		if err != nil {
			return nil, err
		}
		out.Compositions = append(out.Compositions, u)
	}
	if len(sizeErrs) > 0 {
		return nil, &InvalidError{Name: ds.GetName(), Errs: sizeErrs}
	}
	if m.export != nil {
		u, err := toUnstructured(buildExportTemplate(m))
		if err != nil {
			return nil, err
		}
		out.ExportTemplate = u
	}
	if m.kubeBind != nil {
		u, err := toUnstructured(buildKubeBindTemplate(m))
		if err != nil {
			return nil, err
		}
		out.KubeBindTemplate = u
	}
	return out, nil
}
