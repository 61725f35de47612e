package function

import (
	"encoding/json"
	"errors"
	"strings"

	xerrors "github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"

	"github.com/crossplane/function-sdk-go/resource/composite"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// crossplaneSpecFields are the fields Crossplane adds to the spec of every composite resource: the
// Crossplane v1 (and legacy v2) ones at the top level, the v2 ones under spec.crossplane. They are
// not part of the DataService a user wrote, so they are dropped before it is decoded strictly.
var crossplaneSpecFields = []string{
	"claimRef",
	"compositeDeletePolicy",
	"compositionRef",
	"compositionRevisionRef",
	"compositionRevisionSelector",
	"compositionSelector",
	"compositionUpdatePolicy",
	"crossplane",
	"environmentConfigRefs",
	"publishConnectionDetailsTo",
	"resourceRef",
	"resourceRefs",
	"writeConnectionSecretToRef",
}

// userMetadata is the part of an XR's metadata a DataService is made of; the rest (uid,
// resourceVersion, managedFields, finalizers, ownerReferences...) is the API server's and
// Crossplane's.
var userMetadata = []string{"name", "labels", "annotations"}

// dataServiceFrom reads the DataService a user wrote from an observed composite resource. What
// Crossplane and the API server add is dropped, the status (ours) is ignored, and the rest is decoded
// strictly: each field the DataService API does not know is returned as an error with its path, so
// that a typo is reported instead of silently ignored. Known fields are decoded all the same, so the
// generator can report its own findings beside the unknown fields.
func dataServiceFrom(xr *composite.Unstructured) (*v1alpha1.DataService, field.ErrorList, error) {
	if gvk := xr.GroupVersionKind(); gvk != v1alpha1.DataServiceGroupVersionKind {
		return nil, nil, xerrors.Errorf("composite resource is a %s, not a %s: use function-dataservice only in Compositions for %s", gvk, v1alpha1.DataServiceGroupVersionKind, v1alpha1.DataServiceGroupVersionKind.GroupKind())
	}

	obj := runtime.DeepCopyJSON(xr.UnstructuredContent())
	delete(obj, "status")
	if md, ok := obj["metadata"].(map[string]any); ok {
		kept := map[string]any{}
		for _, k := range userMetadata {
			if v, ok := md[k]; ok {
				kept[k] = v
			}
		}
		obj["metadata"] = kept
	}
	if spec, ok := obj["spec"].(map[string]any); ok {
		for _, k := range crossplaneSpecFields {
			delete(spec, k)
		}
	}

	data, err := json.Marshal(obj)
	if err != nil {
		return nil, nil, xerrors.Wrap(err, "cannot marshal the composite resource to JSON")
	}
	ds := &v1alpha1.DataService{}
	strict, err := kjson.UnmarshalStrict(data, ds)
	if err != nil {
		return nil, nil, xerrors.Wrap(err, "cannot decode the composite resource as a DataService")
	}
	return ds, unknownFields(strict, "fix its spelling or nesting (kubectl explain dataservices.spec)"), nil
}

// unknownFields turns the strict decoding errors of sigs.k8s.io/json into field errors, each with
// the full path of the field and what to do about it.
func unknownFields(strict []error, fix string) field.ErrorList {
	var errs field.ErrorList
	for _, err := range strict {
		var fe kjson.FieldError
		if !errors.As(err, &fe) {
			errs = append(errs, field.InternalError(nil, err))
			continue
		}
		what := "unknown field"
		if strings.HasPrefix(err.Error(), "duplicate field") {
			what = "duplicate field"
		}
		errs = append(errs, &field.Error{Type: field.ErrorTypeForbidden, Field: fe.FieldPath(), Detail: what + ": " + fix})
	}
	return errs
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
