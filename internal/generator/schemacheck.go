package generator

import (
	"context"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/function-dataservice/function-dataservice/apis"
	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/crvalidate"
)

// A control plane admits a DataService only if its schema (apis/definition.yaml, the XRD of the
// platform package) does: enums, patterns, required fields and CEL rules, among them those of the
// klutch-bind and kube-bind types the spec embeds (permission claims). The function sees only
// admitted DataServices; dataservice generate reads files, so the same schema is checked here,
// with the API server's own validation, and a spec the cluster would refuse (deletePolicy:
// foreground, owner: Provder) fails with its field path.

// dataServiceSchema validates DataServices, built once, on first use.
var dataServiceSchema = sync.OnceValues(func() (*crvalidate.Validator, error) {
	s, err := apis.DataServiceSchema()
	if err != nil {
		return nil, err
	}
	return crvalidate.New(s)
})

// validateSchema returns what the DataService's schema refuses of the spec and what validate did
// not already report at the same field (or above or below it): one problem, one message.
func (m *model) validateSchema(reported field.ErrorList) field.ErrorList {
	v, err := dataServiceSchema()
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath("spec"), err)}
	}
	spec, err := runtime.DefaultUnstructuredConverter.ToUnstructured(m.spec)
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath("spec"), err)}
	}
	obj := map[string]any{
		"apiVersion": v1alpha1.GroupVersion.String(), "kind": v1alpha1.DataServiceKind,
		"metadata": map[string]any{"name": m.Name}, "spec": spec,
	}
	var errs field.ErrorList
	for _, e := range v.Create(context.Background(), obj) {
		if e.Field == "" || e.Field == "<nil>" || overlaps(e.Field, reported) {
			continue
		}
		errs = append(errs, e)
	}
	return errs
}

// overlaps says whether an error of reported is at path, above it or below it.
func overlaps(path string, reported field.ErrorList) bool {
	for _, r := range reported {
		if within(path, r.Field) || within(r.Field, path) {
			return true
		}
	}
	return false
}

// within says whether path is at or below parent.
func within(path, parent string) bool {
	rest, ok := strings.CutPrefix(path, parent)
	return ok && (rest == "" || rest[0] == '.' || rest[0] == '[')
}
