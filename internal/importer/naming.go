package importer

import (
	"encoding/json"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	xv2 "github.com/crossplane/crossplane/apis/v2/apiextensions/v2"
	"k8s.io/apimachinery/pkg/runtime"

	bindv1alpha1 "github.com/function-dataservice/function-dataservice/apis/bind/v1alpha1"
	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
)

// Errors of reading the export template.
const (
	errReadTemplate  = "cannot read APIServiceExportTemplate %s"
	errTemplateGroup = "APIServiceExportTemplate %s selects group %s, not the XRD's %s"
)

// pcName is a backend's fixed ProviderConfig name, to drop when the DataService name derives it.
type pcName struct {
	backend *v1alpha1.Backend
	name    string
	base    map[string]any
}

// nameIt names the DataService: as asked, as the rules' messages say, as the ProviderConfig of a
// backend suggests, else after the kind.
func (im *importer) nameIt() {
	name := im.in.Name
	for _, pc := range im.pcNames {
		if name == "" && strings.HasSuffix(pc.name, "-service-broker") {
			name = strings.TrimSuffix(pc.name, "-service-broker")
		}
	}
	if name == "" {
		name = strings.TrimSuffix(strings.ToLower(im.ds.Spec.Kind), "instance")
	}
	im.ds.Name = name
	for _, pc := range im.pcNames {
		if pc.name != strings.Replace(inputv1beta1.DefaultProviderConfigNameFormat, "%s", name, 1) {
			continue
		}
		// Drop the name from the base: the default pattern derives it.
		spec := pc.base["spec"].(map[string]any)
		pcr := spec["providerConfigRef"].(map[string]any)
		delete(pcr, "name")
		if len(pcr) == 0 {
			delete(spec, "providerConfigRef")
		}
		if len(spec) == 0 {
			delete(pc.base, "spec")
		}
		pc.backend.Base = nil
		if len(pc.base) > 0 {
			raw, _ := json.Marshal(pc.base)
			pc.backend.Base = &runtime.RawExtension{Raw: raw}
		}
	}
}

func (im *importer) importExport(x *xv2.CompositeResourceDefinition) error {
	t := im.in.ExportTemplate
	if t == nil {
		im.note("spec.export: no APIServiceExportTemplate given; the default one (namespace crossplane-system, resource %s) will be generated", im.userPlural(x))
		return nil
	}
	tt := &bindv1alpha1.APIServiceExportTemplate{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(t.Object, tt); err != nil {
		return errors.Wrapf(err, errReadTemplate, t.GetName())
	}
	if tt.Spec.APIServiceSelector.Group != x.Spec.Group {
		return errors.Errorf(errTemplateGroup, t.GetName(), tt.Spec.APIServiceSelector.Group, x.Spec.Group)
	}
	e := &v1alpha1.Export{PermissionClaims: tt.Spec.PermissionClaims, Version: tt.Spec.APIServiceSelector.Version}
	if r := tt.Spec.APIServiceSelector.Resource; r != im.userPlural(x) {
		e.Resource = r
	}
	if tt.Name != tt.Spec.APIServiceSelector.Resource {
		e.Name = tt.Name
	}
	if tt.Namespace != inputv1beta1.DefaultExportNamespace {
		e.Namespace = tt.Namespace
	}
	if e.Resource != "" || e.Name != "" || e.Namespace != "" || e.Version != "" || len(e.PermissionClaims) > 0 {
		im.ds.Spec.Export = e
	}
	return nil
}

func (im *importer) userPlural(x *xv2.CompositeResourceDefinition) string {
	if x.Spec.ClaimNames != nil {
		return x.Spec.ClaimNames.Plural
	}
	return x.Spec.Names.Plural
}
