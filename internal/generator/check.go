package generator

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// check checks the built objects as the API server would: the XRD's size, then its schemas and CEL
// rules (apiserver.go, with ck's verdicts), then each Composition's size, then whether all of them
// fit through Crossplane's gRPC messages (wire.go). errs are the spec's own errors from validate;
// the result is every error to report, none when the objects may be returned. c, when not nil,
// spares the API server's checks of an XRD it accepted before, and remembers this one if it
// passes. Once ctx ends it stops and returns ctx's error, remembering nothing it did not finish.
func check(ctx context.Context, m *model, o *objects, errs field.ErrorList, ck *Checker, c *Cache) (field.ErrorList, error) {
	if e := checkXRDSize(o.xrd); e != nil {
		return append(errs, e), nil
	}
	var key [32]byte
	cached := false
	if c != nil && len(errs) == 0 {
		var ok bool
		if key, ok = c.key(o.xrd); ok {
			cached = c.has(key)
		}
	}
	var xerrs field.ErrorList
	if !cached {
		xerrs = checkXRD(ctx, m, o.xrd, o.prov, ck)
		if err := ctx.Err(); err != nil {
			return nil, errors.Wrap(err, "stopped checking the generated XRD")
		}
		if c != nil && len(errs) == 0 && len(xerrs) == 0 {
			c.add(key)
		}
	}
	if len(errs) > 0 {
		// What the API server finds about objects the spec's errors already explain is left out.
		for _, e := range xerrs {
			if strings.HasPrefix(e.Field, "spec.") {
				errs = append(errs, e)
			}
		}
		return errs, nil
	}
	if len(xerrs) > 0 {
		return xerrs, nil
	}
	var sizeErrs field.ErrorList
	for i, comp := range o.compositions {
		if comp == nil {
			continue
		}
		if e := checkCompositionSize(i, comp); e != nil {
			sizeErrs = append(sizeErrs, e)
		}
	}
	// The templates as klutch-bind's and kube-bind's CRDs judge them (exportcheck.go).
	sizeErrs = append(sizeErrs, checkExportTemplates(o)...)
	if len(sizeErrs) > 0 {
		return sizeErrs, nil
	}
	e, err := checkObjectsWire(m, o)
	if e != nil {
		return field.ErrorList{e}, err
	}
	return nil, err
}

// checkObjectsWire measures the objects for checkWire.
func checkObjectsWire(m *model, o *objects) (*field.Error, error) {
	type named struct {
		what string
		obj  any
	}
	all := []named{{fmt.Sprintf("XRD %q", o.xrd.GetName()), o.xrd}}
	for _, comp := range o.compositions {
		if comp != nil {
			all = append(all, named{fmt.Sprintf("Composition %q", comp.GetName()), comp})
		}
	}
	if t := o.exportTemplate; t != nil {
		all = append(all, named{fmt.Sprintf("APIServiceExportTemplate %q", t.GetNamespace()+"/"+t.GetName()), t})
	}
	if t := o.kubeBindTemplate; t != nil {
		all = append(all, named{fmt.Sprintf("kube-bind APIServiceExportTemplate %q", t.GetNamespace()+"/"+t.GetName()), t})
	}
	wires := make([]Wire, 0, len(all))
	for _, n := range all {
		b, err := json.Marshal(n.obj)
		if err != nil {
			return nil, fmt.Errorf("cannot marshal %s: %w", n.what, err)
		}
		w, err := ObjectWire(n.what, b)
		if err != nil {
			return nil, err
		}
		wires = append(wires, w)
	}
	spec, err := json.Marshal(struct {
		Metadata map[string]string `json:"metadata"`
		Spec     any               `json:"spec"`
	}{map[string]string{"name": m.Name}, m.spec})
	if err != nil {
		return nil, fmt.Errorf("cannot marshal the DataService: %w", err)
	}
	return checkWire(spec, wires, m.notes)
}
