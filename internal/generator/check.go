package generator

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// check checks the built objects as the API server would: the XRD's size, then its schemas and CEL
// rules (apiserver.go, with ck's verdicts), then each Composition's size. errs are the spec's own
// errors from validate; the result is every error to report, none when the objects may be
// returned. c, when not nil, spares the API server's checks of an XRD it accepted before, and
// remembers this one if it passes.
func check(m *model, o *objects, errs field.ErrorList, ck *Checker, c *Cache) field.ErrorList {
	if e := checkXRDSize(o.xrd); e != nil {
		return append(errs, e)
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
		xerrs = checkXRD(m, o.xrd, o.prov, ck)
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
		return errs
	}
	if len(xerrs) > 0 {
		return xerrs
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
	return append(sizeErrs, checkExportTemplates(o)...)
}
