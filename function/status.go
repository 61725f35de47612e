package function

import (
	"maps"

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
	m, err := statusFields(out)
	if err != nil {
		return err
	}
	// Set in place: the fieldpath setter parses each path with a goroutine per call, which showed
	// in the function's CPU profile.
	status, ok := xr.Object["status"].(map[string]any)
	if !ok {
		if v, exists := xr.Object["status"]; exists && v != nil {
			return errors.Errorf("cannot set the status of the DataService: status is a %T, not an object", v)
		}
		status = map[string]any{}
		xr.Object["status"] = status
	}
	maps.Copy(status, m)
	return nil
}

// statusFields are the fields of the DataService's status the function sets.
func statusFields(out *generator.Output) (map[string]any, error) {
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
		return nil, errors.Wrap(err, "cannot convert the status to unstructured")
	}
	return m, nil
}
