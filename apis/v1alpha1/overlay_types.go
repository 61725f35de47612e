package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// DataServiceOverlayKind is the kind of a DataServiceOverlay.
const DataServiceOverlayKind = "DataServiceOverlay"

// DataServiceOverlay rebrands and reshapes an existing DataService (Klutch's own, or an imported one)
// without copying it: rename the API and compositions, add, remove or rename services and plans,
// change any other field. Every reference follows a rename: plan-change rules, verbatim CEL rules,
// patches, the export selector and the default composition. `dataservice generate` applies overlays
// it is given to the DataService they name; the result replaces that DataService.
//
// +kubebuilder:object:root=true
type DataServiceOverlay struct {
	metav1.TypeMeta `json:",inline"`
	// Name of the resulting DataService. Defaults to the base's name.
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec DataServiceOverlaySpec `json:"spec"`
}

// DataServiceOverlaySpec is what an overlay changes.
type DataServiceOverlaySpec struct {
	// Base is the name of the DataService the overlay applies to.
	Base string `json:"base"`
	// Group renames the API group.
	// +optional
	Group string `json:"group,omitempty"`
	// Kind renames the kind app developers create; plural and composite names follow unless set.
	// +optional
	Kind string `json:"kind,omitempty"`
	// Plural renames the resource.
	// +optional
	Plural string `json:"plural,omitempty"`
	// Composite renames the composite (Crossplane v1).
	// +optional
	Composite *Names `json:"composite,omitempty"`
	// Compositions renames compositions. A rebrand (another group or kind) renames the generated
	// Compositions it does not rename here after the new brand (the overlay's name, else its kind),
	// so that they never share a name with the base's on one control plane.
	// +optional
	// +listType=atomic
	Compositions []Rename `json:"compositions,omitempty"`
	// Services adds, removes and renames services.
	// +optional
	Services *ListEdit `json:"services,omitempty"`
	// Plans adds, removes and renames plans.
	// +optional
	Plans *ListEdit `json:"plans,omitempty"`
	// Merge is a JSON merge patch (RFC 7386) applied to the base's spec last, to change defaults or
	// anything else, e.g. {deletePolicy: Background, export: {namespace: bind}}. null deletes a field.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Merge *runtime.RawExtension `json:"merge,omitempty"`
}

// Rename renames one thing.
type Rename struct {
	// From is the name in the base.
	From string `json:"from"`
	// To is the name in the result.
	To string `json:"to"`
}

// ListEdit edits the services or plans of compositions, however they are declared (listed by a
// composition, or the catalog a composition that lists none offers): catalog entries, hidden plans
// and plan-change rules follow. Removals apply first, then renames, then additions, then hiding.
type ListEdit struct {
	// Remove drops these names from every composition and from the catalog; plan-change rules
	// drop the sizes, families and features no plan has any more.
	// +optional
	// +listType=atomic
	Remove []string `json:"remove,omitempty"`
	// Rename renames single names.
	// +optional
	// +listType=atomic
	Rename []Rename `json:"rename,omitempty"`
	// RenamePrefix replaces a prefix of every name that has it, e.g. mongodbsspl- to acme-docdb-.
	// +optional
	RenamePrefix *Rename `json:"renamePrefix,omitempty"`
	// Add appends names to a composition.
	// +optional
	// +listType=atomic
	Add []Addition `json:"add,omitempty"`
	// Hide keeps these plans for the instances that have them and refuses them to new ones (adds
	// them to spec.plan.hidden): the way to retire a plan without breaking its instances. Plans
	// only.
	// +optional
	// +listType=atomic
	Hide []string `json:"hide,omitempty"`
}

// Addition appends names to a composition.
type Addition struct {
	// Composition to add to (after renames). Defaults to the first.
	// +optional
	Composition string `json:"composition,omitempty"`
	// Names to add.
	// +listType=atomic
	Names []string `json:"names"`
}
