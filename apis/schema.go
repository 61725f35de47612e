// Package apis holds the APIs of function-dataservice: the DataService (v1alpha1), the klutch-bind
// and kube-bind templates it generates, and the XRD that serves DataServices (definition.yaml).
package apis

import (
	_ "embed"
	"encoding/json"
	"fmt"

	xv1 "github.com/crossplane/crossplane/apis/v2/apiextensions/v1"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// definition is the XRD generated from the Go types by make generate: the DataService's schema
// as a control plane serves it, so that `dataservice explain` shows what `kubectl explain` would.
//
//go:embed definition.yaml
var definition []byte

// overlay is the CRD controller-gen generates from the DataServiceOverlay type by make generate:
// overlays have no API in a cluster, but the schema is their field reference (dataservice explain
// overlay).
//
//go:embed schemas/overlay.yaml
var overlay []byte

// OverlaySchema returns the OpenAPI v3 schema of the DataServiceOverlay, with every description.
func OverlaySchema() (*extv1.JSONSchemaProps, error) {
	crd := &extv1.CustomResourceDefinition{}
	if err := yaml.Unmarshal(overlay, crd); err != nil {
		return nil, fmt.Errorf("cannot read the DataServiceOverlay CRD: %w", err)
	}
	if len(crd.Spec.Versions) == 0 || crd.Spec.Versions[0].Schema == nil || crd.Spec.Versions[0].Schema.OpenAPIV3Schema == nil {
		return nil, fmt.Errorf("the DataServiceOverlay CRD has no schema")
	}
	return crd.Spec.Versions[0].Schema.OpenAPIV3Schema, nil
}

// DataServiceSchema returns the OpenAPI v3 schema of the DataService, with every description.
func DataServiceSchema() (*extv1.JSONSchemaProps, error) {
	x := &xv1.CompositeResourceDefinition{}
	if err := yaml.Unmarshal(definition, x); err != nil {
		return nil, fmt.Errorf("cannot read the DataService XRD: %w", err)
	}
	if len(x.Spec.Versions) == 0 || x.Spec.Versions[0].Schema == nil {
		return nil, fmt.Errorf("the DataService XRD has no schema")
	}
	s := &extv1.JSONSchemaProps{}
	if err := json.Unmarshal(x.Spec.Versions[0].Schema.OpenAPIV3Schema.Raw, s); err != nil {
		return nil, fmt.Errorf("cannot read the DataService schema: %w", err)
	}
	return s, nil
}
