package function

import (
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crossplane/function-sdk-go/resource/composite"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// setStatus reports on the DataService what it serves and what was generated for it, so that an
// operator finds the API app developers use (kubectl get dataservices -o yaml) and the objects to
// look at without reading the generator.
func setStatus(xr *composite.Unstructured, out *generator.Output) error {
	api := out.API
	st := v1alpha1.DataServiceStatus{
		API:       &api,
		Generated: &v1alpha1.GeneratedObjects{XRD: out.XRD.GetName()},
	}
	for _, c := range out.Compositions {
		st.Generated.Compositions = append(st.Generated.Compositions, c.GetName())
	}
	if t := out.ExportTemplate; t != nil {
		st.Generated.ExportTemplate = t.GetNamespace() + "/" + t.GetName()
	}
	if t := out.KubeBindTemplate; t != nil {
		st.Generated.KubeBindTemplate = t.GetName()
	}
	// Through the unstructured converter, so that the status carries exactly the fields the
	// DataService API defines, with their omitempty rules.
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&st)
	if err != nil {
		return errors.Wrap(err, "cannot convert the status to unstructured")
	}
	for k, v := range m {
		if err := xr.SetValue("status."+k, v); err != nil {
			return errors.Wrapf(err, "cannot set status.%s", k)
		}
	}
	return nil
}
