// Package v1alpha2 mirrors upstream kube-bind's APIServiceExportTemplate (kube-bind.io/v1alpha2): a
// cluster-scoped template grouping the resources (and permission claims) a provider offers to
// consumer clusters. The generator writes it, beside Klutch's own template, for DataServices that
// ask for it, so the project serves kube-bind users beyond Klutch. Only the fields a provider sets
// are mirrored, without kube-bind's validation markers; status is kube-bind's. kube-bind's own CRD
// (module github.com/kube-bind/kube-bind v0.8.2, generated there from sdk/apis/kubebind/v1alpha2)
// is vendored in internal/bindcrds, and every generated template is validated against it.
//
// +kubebuilder:object:generate=true
// +groupName=kube-bind.io
// +versionName=v1alpha2
package v1alpha2

import "k8s.io/apimachinery/pkg/runtime/schema"

// Group and version of kube-bind's API.
const (
	Group   = "kube-bind.io"
	Version = "v1alpha2"
)

// APIServiceExportTemplateKind is the kind of a template.
const APIServiceExportTemplateKind = "APIServiceExportTemplate"

// GroupVersion of kube-bind's API.
var GroupVersion = schema.GroupVersion{Group: Group, Version: Version}
