// Package v1alpha1 holds the DataService API: one concise description of a data service that Klutch
// offers to app clusters, from which the generator derives the service's XRD, Composition(s) and
// APIServiceExportTemplate.
//
// +kubebuilder:object:generate=true
// +groupName=dataservice.klutch.io
// +versionName=v1alpha1
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Group and version of the DataService API.
const (
	Group   = "dataservice.klutch.io"
	Version = "v1alpha1"
)

// GroupVersion is the API group and version of DataService.
var GroupVersion = schema.GroupVersion{Group: Group, Version: Version}

// DataServiceKind is the kind of a DataService.
const DataServiceKind = "DataService"

// DataServiceGroupVersionKind is the GVK of a DataService.
var DataServiceGroupVersionKind = GroupVersion.WithKind(DataServiceKind)
