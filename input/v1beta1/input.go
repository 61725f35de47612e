// Package v1beta1 holds the pipeline input of function-dataservice: the defaults shared by every
// DataService a Composition composes.
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
)

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
