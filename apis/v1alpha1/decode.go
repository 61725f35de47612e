package v1alpha1

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// CrossplaneSpecFields are the fields Crossplane adds to the spec of every composite resource: the
// Crossplane v1 (and legacy v2) ones at the top level, the v2 ones under spec.crossplane. They are
// not part of the DataService a user wrote.
var CrossplaneSpecFields = []string{
	"claimRef", "compositeDeletePolicy", "compositionRef", "compositionRevisionRef",
	"compositionRevisionSelector", "compositionSelector", "compositionUpdatePolicy", "crossplane",
	"environmentConfigRefs", "publishConnectionDetailsTo", "resourceRef", "resourceRefs",
	"writeConnectionSecretToRef",
}

// userMetadata is the part of an object's metadata a DataService is made of; the rest (uid,
// resourceVersion, managedFields, finalizers, ownerReferences…) is the API server's and Crossplane's.
var userMetadata = []string{"name", "labels", "annotations"}

// UnknownFieldsError lists the fields of a document the DataService API does not know.
// +kubebuilder:object:generate=false
type UnknownFieldsError struct {
	Errs field.ErrorList
}

func (e *UnknownFieldsError) Error() string {
	msgs := make([]string, 0, len(e.Errs))
	for _, err := range e.Errs {
		msgs = append(msgs, err.Error())
	}
	return strings.Join(msgs, "; ")
}

// Decode reads one DataService from YAML or JSON. Fields the API does not know (a typo, plans:
// under spec instead of under a composition) are an *UnknownFieldsError naming each with its path,
// rather than silently ignored.
func Decode(data []byte) (*DataService, error) {
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	if err := json.Unmarshal(j, &obj); err != nil {
		return nil, err
	}
	if obj == nil {
		return nil, errors.New("empty document: want a DataService")
	}
	ds, unknown, err := decode(obj, "status")
	if err != nil {
		return nil, err
	}
	if len(unknown) > 0 {
		return nil, &UnknownFieldsError{Errs: unknown}
	}
	return ds, nil
}

// FromComposite reads the DataService a user wrote from a composite resource as Crossplane holds
// it: what Crossplane and the API server add to the spec and metadata is dropped and the status is
// ignored. Known fields are decoded even when there are unknown ones, which are returned with their
// paths, so that a caller can report them beside everything else wrong with the spec.
func FromComposite(in map[string]any) (*DataService, field.ErrorList, error) {
	// Only the maps whose keys are dropped are copied, so that in is left as it was; decode turns
	// the rest into JSON once. (A deep copy through JSON cost as much as the decoding, on every
	// reconcile of the function.)
	obj := maps.Clone(in)
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
		spec = maps.Clone(spec)
		for _, k := range CrossplaneSpecFields {
			delete(spec, k)
		}
		obj["spec"] = spec
	}
	return decode(obj)
}

func decode(obj map[string]any, ignore ...string) (*DataService, field.ErrorList, error) {
	for _, k := range ignore {
		delete(obj, k)
	}
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	if apiVersion != GroupVersion.String() || kind != DataServiceKind {
		return nil, nil, fmt.Errorf("not a DataService: apiVersion %q, kind %q; want apiVersion %s, kind %s", apiVersion, kind, GroupVersion, DataServiceKind)
	}
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, nil, err
	}
	ds := &DataService{}
	strict, err := kjson.UnmarshalStrict(data, ds)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot decode a DataService: %w", err)
	}
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
		errs = append(errs, &field.Error{Type: field.ErrorTypeForbidden, Field: fe.FieldPath(), Detail: what + ": fix its spelling or nesting (" + explainHint(fe.FieldPath()) + ")"})
	}
	return ds, errs, nil
}

// explainHint is the command that lists the fields beside an unknown one: `dataservice explain`
// of its parent, indices dropped (explain steps through lists).
func explainHint(path string) string {
	parent := path
	if i := strings.LastIndex(parent, "."); i >= 0 {
		parent = parent[:i]
	} else {
		parent = ""
	}
	var b strings.Builder
	depth := 0
	for _, r := range parent {
		switch {
		case r == '[':
			depth++
		case r == ']':
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "dataservice explain"
	}
	return "dataservice explain " + b.String()
}
