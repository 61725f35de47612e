package generator

import (
	xv1 "github.com/crossplane/crossplane/apis/v2/apiextensions/v1"

	bindv1alpha1 "github.com/function-dataservice/function-dataservice/apis/bind/v1alpha1"
	kubebindv1alpha2 "github.com/function-dataservice/function-dataservice/apis/kubebind/v1alpha2"
)

// objects are the typed objects a DataService generates, before they are checked and converted.
type objects struct {
	xrd xrdObject
	// prov says which DataService field each of the XRD's CEL rules came from.
	prov provenance
	// compositions has one entry per resolved composition: nil where it has no backend.
	compositions     []*xv1.Composition
	exportTemplate   *bindv1alpha1.APIServiceExportTemplate
	kubeBindTemplate *kubebindv1alpha2.APIServiceExportTemplate
}

// build builds the XRD (xrd.go) and, when all is true, every other object: the Compositions
// (composition.go) and the export templates (export.go). Only a valid model builds them all.
func build(m *model, all bool) *objects {
	o := &objects{}
	o.xrd, o.prov = buildXRD(m)
	if !all {
		return o
	}
	o.compositions = make([]*xv1.Composition, len(m.compositions))
	for i := range m.compositions {
		if m.compositions[i].backend != nil {
			o.compositions[i] = buildComposition(m, &m.compositions[i])
		}
	}
	if m.export != nil {
		o.exportTemplate = buildExportTemplate(m)
	}
	if m.kubeBind != nil {
		o.kubeBindTemplate = buildKubeBindTemplate(m)
	}
	return o
}
