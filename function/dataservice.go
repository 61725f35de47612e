package function

import (
	"errors"

	xerrors "github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/crossplane/function-sdk-go/resource/composite"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// dataServiceFrom reads the DataService a user wrote from an observed composite resource; see
// v1alpha1.FromComposite.
func dataServiceFrom(xr *composite.Unstructured) (*v1alpha1.DataService, field.ErrorList, error) {
	if gvk := xr.GroupVersionKind(); gvk != v1alpha1.DataServiceGroupVersionKind {
		return nil, nil, xerrors.Errorf("composite resource is a %s, not a %s: use function-dataservice only in Compositions for %s", gvk, v1alpha1.DataServiceGroupVersionKind, v1alpha1.DataServiceGroupVersionKind.GroupKind())
	}
	ds, unknown, err := v1alpha1.FromComposite(xr.UnstructuredContent())
	if err != nil {
		return nil, nil, xerrors.Wrap(err, "cannot decode the composite resource as a DataService")
	}
	return ds, unknown, nil
}

// invalid returns the error to report for a DataService, or nil when it is valid: the unknown
// fields found while decoding and the generator's validation errors, all at once, so that a user
// fixes everything in one go.
func invalid(name string, unknown field.ErrorList, genErr error) error {
	if genErr == nil && len(unknown) == 0 {
		return nil
	}
	var ie *generator.InvalidError
	switch {
	case genErr == nil:
		return &generator.InvalidError{Name: name, Errs: unknown}
	case errors.As(genErr, &ie):
		return &generator.InvalidError{Name: ie.Name, Errs: append(append(field.ErrorList{}, unknown...), ie.Errs...)}
	case len(unknown) > 0:
		return xerrors.Wrap(genErr, (&generator.InvalidError{Name: name, Errs: unknown}).Error())
	default:
		return xerrors.Wrap(genErr, "cannot generate the objects of the DataService")
	}
}
