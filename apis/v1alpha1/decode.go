package v1alpha1

import (
	"fmt"

	"sigs.k8s.io/yaml"
)

// Decode reads one DataService from YAML or JSON, rejecting fields the API does not know, so that a
// typo (plans: under spec instead of under a composition) is an error rather than silently ignored.
func Decode(data []byte) (*DataService, error) {
	ds := &DataService{}
	if err := yaml.UnmarshalStrict(data, ds); err != nil {
		return nil, err
	}
	if ds.APIVersion != GroupVersion.String() || ds.Kind != DataServiceKind {
		return nil, fmt.Errorf("not a DataService: apiVersion %q, kind %q; want apiVersion %s, kind %s", ds.APIVersion, ds.Kind, GroupVersion, DataServiceKind)
	}
	return ds, nil
}
