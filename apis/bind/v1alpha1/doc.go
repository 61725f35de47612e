// Package v1alpha1 mirrors klutch-bind's APIServiceExportTemplate
// (example-backend.klutch.anynines.com/v1alpha1), the object that tells klutch-bind which API of the
// control plane to export to app clusters and which other resources to sync with them. The type is
// ours so the generator can build templates as values; a test generates its CRD with controller-gen
// and compares it with the CRD klutch-bind ships.
//
// +kubebuilder:object:generate=true
// +groupName=example-backend.klutch.anynines.com
// +versionName=v1alpha1
package v1alpha1

import "k8s.io/apimachinery/pkg/runtime/schema"

// Group and version of the APIServiceExportTemplate API.
const (
	Group   = "example-backend.klutch.anynines.com"
	Version = "v1alpha1"
)

// APIServiceExportTemplateKind is the kind of an APIServiceExportTemplate.
const APIServiceExportTemplateKind = "APIServiceExportTemplate"

// GroupVersion is the API group and version of APIServiceExportTemplate.
var GroupVersion = schema.GroupVersion{Group: Group, Version: Version}
