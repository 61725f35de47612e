package generator

import (
	"slices"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// convert turns the checked objects into the Output callers get.
func convert(m *model, o *objects) (*Output, error) {
	// Beside what resolve assumed, the notes report what the API needs granted and what its
	// claims do (safety.go, claims.go).
	notes := append(append(slices.Clone(m.notes), m.privilegeReports()...), m.claimReports()...)
	out := &Output{API: m.ServedAPI(), Resolved: m.API, Notes: notes, Grants: m.grants(), ObjectGrants: m.objectGrants()}
	var err error
	if out.XRD, err = toUnstructured(o.xrd); err != nil {
		return nil, err
	}
	for _, comp := range o.compositions {
		if comp == nil {
			continue
		}
		u, err := toUnstructured(comp)
		if err != nil {
			return nil, err
		}
		out.Compositions = append(out.Compositions, u)
	}
	if o.exportTemplate != nil {
		if out.ExportTemplate, err = toUnstructured(o.exportTemplate); err != nil {
			return nil, err
		}
	}
	if o.kubeBindTemplate != nil {
		if out.KubeBindTemplate, err = toUnstructured(o.kubeBindTemplate); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// toUnstructured turns a typed object into the plain form the function returns and the CLI writes.
// Typed Kubernetes objects always carry a creationTimestamp and a status; a generated object has
// neither, so both are dropped rather than written as null and {}.
func toUnstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, errors.Wrapf(err, "cannot convert %T to unstructured", obj)
	}
	delete(m, "status")
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "creationTimestamp")
	}
	return &unstructured.Unstructured{Object: m}, nil
}
