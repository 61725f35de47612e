// Package v1beta1 holds the pipeline input of function-dataservice: the defaults shared by every
// DataService a Composition composes, and what the function knows of the control plane it runs in.
//
// +kubebuilder:object:generate=true
// +groupName=dataservice.fn.crossplane.io
// +versionName=v1beta1
package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// DefaultCrossplaneVersion is the Crossplane line used when neither the DataService nor the input
// names one, as package xpline decides it.
var DefaultCrossplaneVersion = xpline.Default.Name

// Defaults used when neither the DataService nor the input says otherwise.
const (
	DefaultExportNamespace          = "crossplane-system"
	DefaultProviderConfigNameFormat = "%s-service-broker"
	DefaultPatchAndTransform        = "function-patch-and-transform"
	DefaultParametersTo             = "spec.forProvider.parameters"
	// DefaultKubernetesProviderConfig is the provider-kubernetes ProviderConfig Klutch's own
	// Compositions name (crossplane-api/deploy/config-in-cluster.yaml of klutchio).
	DefaultKubernetesProviderConfig = "kubernetes-provider"
)

// ControlPlaneAuto detects the Crossplane line of the control plane (see ControlPlane.Crossplane).
const ControlPlaneAuto = "auto"

// Input configures function-dataservice in a Composition's pipeline. Every field is optional: an
// empty input uses the defaults Klutch's own data services follow.
//
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:categories=crossplane
type Input struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Defaults apply to every DataService composed by this pipeline step.
	// +optional
	Defaults Defaults `json:"defaults,omitempty"`

	// ControlPlane is the Crossplane that runs this function, which decides how what a DataService
	// generates is composed. It is not the line of the generated APIs (defaults.crossplaneVersion).
	// +optional
	ControlPlane ControlPlane `json:"controlPlane,omitempty"`
}

// ControlPlane describes the control plane that runs the function: the same for every DataService
// of the Composition, never chosen per DataService.
type ControlPlane struct {
	// Crossplane is the line of the Crossplane that calls the function: v1 (every 1.x, e.g. Klutch's
	// 1.17 to 1.20), v2, or auto to detect it (Crossplane v2.2 and later advertise their
	// capabilities; an older one is asked for the CompositeResourceDefinition CRD, which serves
	// version v2 on Crossplane v2 only). On v1 a namespaced object a DataService composes (the
	// APIServiceExportTemplate) goes inside a cluster-scoped provider-kubernetes Object, and a
	// DataService generating a v2 API is refused. Defaults to auto.
	// +optional
	// +kubebuilder:validation:Enum=auto;v1;v2
	Crossplane string `json:"crossplane,omitempty"`

	// KubernetesProviderConfig names the provider-kubernetes ProviderConfig of those Objects.
	// Defaults to kubernetes-provider, as Klutch names it.
	// +optional
	KubernetesProviderConfig string `json:"kubernetesProviderConfig,omitempty"`
}

// Defaults apply to every DataService unless it says otherwise.
type Defaults struct {
	// CrossplaneVersion is the Crossplane line APIs are generated for when a DataService does not
	// say: v1 (XRD with claims, Klutch today) or v2. Defaults to v1.
	// +optional
	// +kubebuilder:validation:Enum=v1;v2
	CrossplaneVersion string `json:"crossplaneVersion,omitempty"`

	// ExportNamespace is where APIServiceExportTemplates go. Defaults to crossplane-system, where
	// klutch-bind's backend looks for them.
	// +optional
	ExportNamespace string `json:"exportNamespace,omitempty"`

	// ProviderConfigNameFormat names a backend's ProviderConfig from the DataService name (or from
	// the field a backend names). Defaults to %s-service-broker, as Klutch names its a9s brokers.
	// +optional
	ProviderConfigNameFormat string `json:"providerConfigNameFormat,omitempty"`

	// PatchAndTransform is the name of the function-patch-and-transform Function that generated
	// Compositions pipe to. Defaults to function-patch-and-transform.
	// +optional
	PatchAndTransform string `json:"patchAndTransform,omitempty"`

	// AutoReady, when set, appends a function-auto-ready step with this Function name to generated
	// Compositions.
	// +optional
	AutoReady string `json:"autoReady,omitempty"`
}

// WithFallbacks returns c with every unset field set to its default.
func (c ControlPlane) WithFallbacks() ControlPlane {
	if c.Crossplane == "" {
		c.Crossplane = ControlPlaneAuto
	}
	if c.KubernetesProviderConfig == "" {
		c.KubernetesProviderConfig = DefaultKubernetesProviderConfig
	}
	return c
}

// WithFallbacks returns d with every unset field set to its default.
func (d Defaults) WithFallbacks() Defaults {
	if d.CrossplaneVersion == "" {
		d.CrossplaneVersion = DefaultCrossplaneVersion
	}
	if d.ExportNamespace == "" {
		d.ExportNamespace = DefaultExportNamespace
	}
	if d.ProviderConfigNameFormat == "" {
		d.ProviderConfigNameFormat = DefaultProviderConfigNameFormat
	}
	if d.PatchAndTransform == "" {
		d.PatchAndTransform = DefaultPatchAndTransform
	}
	return d
}
