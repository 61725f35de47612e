package v1alpha2

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// APIServiceExportTemplate groups CRDs with related resources (permission claims) as a service a
// consumer can bind.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,categories=kube-bind
type APIServiceExportTemplate struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec specifies the template.
	Spec APIServiceExportTemplateSpec `json:"spec"`
}

// InformerScope is the scope of the exported resources.
// +kubebuilder:validation:Enum=Namespaced;Cluster
type InformerScope string

// Scopes of exported resources.
const (
	NamespacedScope InformerScope = "Namespaced"
	ClusterScope    InformerScope = "Cluster"
)

// SchemaUpdatePolicy says whether bound schemas follow changes of the source CRD.
// +kubebuilder:validation:Enum=Never;Always
type SchemaUpdatePolicy string

// Schema update policies.
const (
	SchemaUpdatePolicyNever  SchemaUpdatePolicy = "Never"
	SchemaUpdatePolicyAlways SchemaUpdatePolicy = "Always"
)

// APIServiceExportTemplateSpec is what the template offers.
type APIServiceExportTemplateSpec struct {
	// description is an optional description of the template.
	// +optional
	Description string `json:"description,omitempty"`
	// scope defines the scope of the resources in this template.
	Scope InformerScope `json:"scope,omitempty"`
	// resources defines the CRDs that are part of this template.
	Resources []APIServiceExportResource `json:"resources"`
	// permissionClaims defines the permission claims required by this template.
	// +optional
	PermissionClaims []PermissionClaim `json:"permissionClaims,omitempty"`
	// namespaces to bootstrap on the provider side.
	// +optional
	Namespaces []Namespaces `json:"namespaces,omitempty"`
	// schemaUpdatePolicy defines how bound schemas are updated: Never (default) or Always.
	// +optional
	SchemaUpdatePolicy SchemaUpdatePolicy `json:"schemaUpdatePolicy,omitempty"`
}

// APIServiceExportResource is an exported resource and its versions.
type APIServiceExportResource struct {
	GroupResource `json:",inline"`
	// versions exported; empty lets the provider choose.
	// +optional
	Versions []string `json:"versions,omitempty"`
}

// GroupResource identifies a resource.
type GroupResource struct {
	// group is the name of an API group; "" for the core group.
	// +optional
	Group string `json:"group"`
	// resource is the name of the resource.
	Resource string `json:"resource"`
}

// PermissionClaim selects objects of a GVR that a provider may request.
type PermissionClaim struct {
	GroupResource `json:",inline"`
	// selector selects the claimed objects.
	Selector Selector `json:"selector,omitempty"`
}

// Selector selects objects of a GVR; selectors are ANDed.
type Selector struct {
	// namedResources selects objects by name and namespace.
	// +optional
	NamedResources []NamedResource `json:"namedResources,omitempty"`
	// labelSelector selects objects by label.
	// +optional
	LabelSelector *metav1.LabelSelector `json:"labelSelector,omitempty"`
	// references select objects named by a JSONPath of another object.
	// +optional
	References []SelectorReference `json:"references,omitempty"`
}

// NamedResource selects one object.
type NamedResource struct {
	Name string `json:"name,omitempty"`
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// SelectorReference selects objects via a reference in another object.
type SelectorReference struct {
	GroupResource `json:",inline"`
	// +optional
	Versions []string `json:"versions,omitempty"`
	// jsonPath selects name and namespace of the claimed object in the referencing one.
	JSONPath *JSONPath `json:"jsonPath,omitempty"`
}

// JSONPath selects name and namespace of a resource.
type JSONPath struct {
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// Namespaces names a namespace to bootstrap.
type Namespaces struct {
	Name string `json:"name"`
}
