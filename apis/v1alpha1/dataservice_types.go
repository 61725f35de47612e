package v1alpha1

import (
	ptv1beta1 "github.com/crossplane-contrib/function-patch-and-transform/input/v1beta1"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	bindv1alpha1 "github.com/function-dataservice/function-dataservice/apis/bind/v1alpha1"
	kubebindv1alpha2 "github.com/function-dataservice/function-dataservice/apis/kubebind/v1alpha2"
)

// Crossplane lines a DataService can target.
const (
	// CrossplaneV1 generates an apiextensions.crossplane.io/v1 XRD with claims: app developers create
	// namespaced claims, Crossplane composes cluster-scoped composites (Klutch today).
	CrossplaneV1 = "v1"
	// CrossplaneV2 generates an apiextensions.crossplane.io/v2 XRD without claims: app developers
	// create namespaced composites directly.
	CrossplaneV2 = "v2"
)

// AnnotationAllowBreakingChanges, set to "true" on a DataService, applies a change that breaks
// existing instances of its API, which the function otherwise holds back (see internal/livecheck).
const AnnotationAllowBreakingChanges = "dataservice.klutch.io/allow-breaking-changes"

// AnnotationBreakingChangesApplied is written by the function on the XRD it composes: what
// AnnotationAllowBreakingChanges applied that breaks existing instances, the message of the
// DataService's ChangesApplied condition, kept while the DataService keeps AnnotationAllowBreakingChanges.
const AnnotationBreakingChangesApplied = "dataservice.klutch.io/breaking-changes-applied"

// Scopes of a Crossplane v2 composite resource.
const (
	ScopeNamespaced = "Namespaced"
	ScopeCluster    = "Cluster"
)

// Key styles that turn a parameter name into the backend's key.
const (
	// KeyStyleSnakeCase turns maxConnections into max_connections (a9s brokers).
	KeyStyleSnakeCase = "snake_case"
	// KeyStyleKebabCase turns maxConnections into max-connections.
	KeyStyleKebabCase = "kebab-case"
	// KeyStyleAsIs keeps the parameter name.
	KeyStyleAsIs = "AsIs"
)

// Types of a plan's or service's value.
const (
	ValueTypeString  = "string"
	ValueTypeInteger = "integer"
	ValueTypeBoolean = "boolean"
)

// DataService describes one data service that Klutch offers to app clusters: its API (group, kinds,
// versions), its offerings (services and plans with their change rules), its parameters, what backs
// it and how klutch-bind exports it. The function-dataservice composition function and the
// `dataservice` CLI turn it into a CompositeResourceDefinition, Compositions and an
// APIServiceExportTemplate.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,categories=crossplane
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="GROUP",type="string",JSONPath=".spec.group"
// +kubebuilder:printcolumn:name="KIND",type="string",JSONPath=".spec.kind"
// +kubebuilder:printcolumn:name="CROSSPLANE",type="string",JSONPath=".spec.crossplaneVersion"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
type DataService struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   DataServiceSpec   `json:"spec"`
	Status DataServiceStatus `json:"status,omitempty"`
}

// DataServiceSpec is the concise description of a data service.
type DataServiceSpec struct {
	// CrossplaneVersion is the Crossplane line the API is generated for: v1 (an
	// apiextensions.crossplane.io/v1 XRD with claims) or v2 (an apiextensions.crossplane.io/v2 XRD,
	// namespaced composites, no claims). Defaults to the function input's default, else v1.
	// +optional
	// +kubebuilder:validation:Enum=v1;v2
	CrossplaneVersion string `json:"crossplaneVersion,omitempty"`

	// Group is the API group app developers use, e.g. anynines.com. It must contain a dot.
	Group string `json:"group"`

	// Kind is the kind app developers create, e.g. MongodbInstance: the claim kind on Crossplane v1,
	// the composite kind on v2. CamelCase.
	Kind string `json:"kind"`

	// Plural is the resource name of Kind, lower case. Defaults to the lower-cased kind plus "s".
	// +optional
	Plural string `json:"plural,omitempty"`

	// Composite names the composite resource on Crossplane v1. Defaults to kind X<Kind> and plural
	// x<plural>. Ignored on v2, where Kind is the composite.
	// +optional
	Composite *Names `json:"composite,omitempty"`

	// Scope of the composite on Crossplane v2: Namespaced (default) or Cluster.
	// +optional
	// +kubebuilder:validation:Enum=Namespaced;Cluster
	Scope string `json:"scope,omitempty"`

	// Categories the API is listed in (kubectl get <category>).
	// +optional
	// +listType=atomic
	Categories []string `json:"categories,omitempty"`

	// ShortNames of the API app developers use.
	// +optional
	// +listType=atomic
	ShortNames []string `json:"shortNames,omitempty"`

	// Versions of the API. Defaults to one version v1, served and referenceable. Every version
	// serves the same schema; exactly one is referenceable.
	// +optional
	// +listType=atomic
	Versions []APIVersion `json:"versions,omitempty"`

	// PrinterColumns shown by kubectl get for every version.
	// +optional
	// +listType=atomic
	PrinterColumns []PrinterColumn `json:"printerColumns,omitempty"`

	// Service describes the spec.service field, present when a composition offers services.
	// +optional
	Service *ServiceField `json:"service,omitempty"`

	// Plan describes the spec.plan field, present when a composition offers plans, and the plan
	// changes an existing instance may make.
	// +optional
	Plan *PlanField `json:"plan,omitempty"`

	// Fields are further spec fields of the API beside service, plan and parameters, e.g.
	// acceptsIncomplete or instanceRef.
	// +optional
	// +listType=atomic
	Fields []Field `json:"fields,omitempty"`

	// Parameters describes spec.parameters: the data service's configuration, each leaf of which
	// is passed to the backend under the broker's key.
	// +optional
	Parameters *Parameters `json:"parameters,omitempty"`

	// Rules are CEL rules on spec, copied verbatim into x-kubernetes-validations, for constraints
	// no declaration expresses. They are compiled against the generated schema.
	// +optional
	// +listType=atomic
	Rules []Rule `json:"rules,omitempty"`

	// Compositions offer the data service. Each names the services and plans it offers; one with a
	// backend is generated, one without is composed elsewhere (only its offerings are validated).
	// With one composition the service and plan fields get enums; with several, CEL rules keyed on
	// the composition reference.
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	Compositions []Composition `json:"compositions"`

	// AllowPrivilegeEscalation lists the privilege-bearing kinds the Compositions may compose, each
	// as resource.group: rolebindings.rbac.authorization.k8s.io, statefulsets.apps, secrets (the
	// core group has no suffix). Crossplane composes with its own service account, and holding one
	// of these lets the holder widen its own access: RBAC roles and bindings, admission webhooks and
	// policies, ServiceAccounts and the Secrets that carry their tokens, certificate signing
	// requests, workloads (which run as any ServiceAccount of their namespace), persistent volumes
	// (host paths), CRDs and APIServices (which take over APIs), and the kinds of Crossplane and
	// klutch-bind themselves. A spec that composes one, directly or as the manifest of a
	// provider-kubernetes Object, is refused unless it lists it here. dataservice generate and the
	// function report every grant the Compositions need either way.
	// +optional
	// +listType=atomic
	AllowPrivilegeEscalation []string `json:"allowPrivilegeEscalation,omitempty"`

	// DefaultComposition is the composition used when a claim names none. Defaults to the first.
	// +optional
	DefaultComposition string `json:"defaultComposition,omitempty"`

	// RequireCompositionRef makes the generated rules read compositionRef.name as Klutch's
	// hand-written XRDs do, so that the API server rejects a claim that names no composition. By
	// default a claim without compositionRef is admitted and validated as the default
	// composition's, which Crossplane then selects.
	// +optional
	RequireCompositionRef bool `json:"requireCompositionRef,omitempty"`

	// DeletePolicy is the XRD's defaultCompositeDeletePolicy (Crossplane v1): Background or
	// Foreground. Unset leaves Crossplane's default.
	// +optional
	// +kubebuilder:validation:Enum=Background;Foreground
	DeletePolicy string `json:"deletePolicy,omitempty"`

	// ConnectionSecretKeys lists the keys of the connection secret the composite publishes.
	// +optional
	// +listType=atomic
	ConnectionSecretKeys []string `json:"connectionSecretKeys,omitempty"`

	// Export says whether and how klutch-bind exposes the API to app clusters.
	// +optional
	Export *Export `json:"export,omitempty"`
}

// Names of a Kubernetes resource.
type Names struct {
	// Kind in CamelCase.
	// +optional
	Kind string `json:"kind,omitempty"`
	// Plural resource name, lower case.
	// +optional
	Plural string `json:"plural,omitempty"`
}

// APIVersion is one version of the generated API.
type APIVersion struct {
	// Name of the version, e.g. v1 or v1beta1.
	Name string `json:"name"`
	// Served says whether the API server serves the version. Defaults to true.
	// +optional
	Served *bool `json:"served,omitempty"`
	// Referenceable marks the version Compositions reference (the storage version). Defaults to true
	// for the last version when none is marked.
	// +optional
	Referenceable bool `json:"referenceable,omitempty"`
	// Deprecated marks the version deprecated.
	// +optional
	Deprecated bool `json:"deprecated,omitempty"`
	// DeprecationWarning is returned to clients of a deprecated version.
	// +optional
	DeprecationWarning string `json:"deprecationWarning,omitempty"`
}

// PrinterColumn is an additional printer column of the generated API.
type PrinterColumn struct {
	// Name of the column.
	Name string `json:"name"`
	// Type of the column: string, integer, number, boolean or date.
	// +kubebuilder:validation:Enum=string;integer;number;boolean;date
	Type string `json:"type"`
	// JSONPath of the value, e.g. .status.managed.state.
	JSONPath string `json:"jsonPath"`
	// Description of the column.
	// +optional
	Description string `json:"description,omitempty"`
	// Priority of the column; columns above 0 show only with -o wide.
	// +optional
	Priority int32 `json:"priority,omitempty"`
}

// ServiceField describes spec.service, the data service version an instance runs.
type ServiceField struct {
	// Description of the field.
	// +optional
	Description string `json:"description,omitempty"`
	// Mutable allows changing the service of an existing instance. By default it is immutable.
	// +optional
	Mutable bool `json:"mutable,omitempty"`
	// Values declares what every service of the catalog carries, e.g. version: backend mappings take
	// them with value: service.<name>.
	// +optional
	// +listType=atomic
	Values []ValueDeclaration `json:"values,omitempty"`
	// Catalog describes the services: a description and the declared values of each. A composition
	// that lists no services offers every service of the catalog.
	// +optional
	// +listType=atomic
	Catalog []Offering `json:"catalog,omitempty"`
}

// PlanField describes spec.plan and the plan changes an existing instance may make.
type PlanField struct {
	// Description of the field.
	// +optional
	Description string `json:"description,omitempty"`
	// Changes are the rules a plan change must follow, in the order their CEL rules are generated.
	// +optional
	// +listType=atomic
	Changes []PlanChange `json:"changes,omitempty"`
	// Hidden are plans kept for the instances that have them but no longer offered: new instances
	// cannot choose them and no instance can change to them (a generated rule with
	// optionalOldSelf). The way to retire a plan without breaking the instances that use it: keep
	// it in the compositions' plans and list it here. Each must be a plan of some composition.
	// +optional
	// +listType=atomic
	Hidden []string `json:"hidden,omitempty"`
	// Values declares what every plan of the catalog carries, e.g. cpu, memory, storage and replicas:
	// backend mappings take them with value: plan.<name>, and the generated patch maps the plan
	// name to its value, so that a plan change updates the composed resource in place.
	// +optional
	// +listType=atomic
	Values []ValueDeclaration `json:"values,omitempty"`
	// Catalog describes the plans: a description and the declared values of each, e.g.
	// {name: medium, values: {cpu: "1", memory: 4Gi, replicas: 2}}. A composition that lists no
	// plans offers every plan of the catalog.
	// +optional
	// +listType=atomic
	Catalog []Offering `json:"catalog,omitempty"`
}

// ValueDeclaration declares a named, typed value every plan (or service) of the catalog carries.
type ValueDeclaration struct {
	// Name of the value, lowerCamelCase, e.g. memory.
	Name string `json:"name"`
	// Type of the value: string (default), integer or boolean.
	// +optional
	// +kubebuilder:validation:Enum=string;integer;boolean
	Type string `json:"type,omitempty"`
	// Description of the value.
	// +optional
	Description string `json:"description,omitempty"`
}

// Offering is one plan or service of the catalog.
type Offering struct {
	// Name of the plan or service, as claims select it, e.g. medium.
	Name string `json:"name"`
	// Description shown in the generated API's description of spec.plan or spec.service.
	// +optional
	Description string `json:"description,omitempty"`
	// Values of the plan or service, by declared name, e.g. {memory: 4Gi, replicas: 2}.
	// +optional
	Values map[string]extv1.JSON `json:"values,omitempty"`
}

// PlanChange is one rule for changing the plan of an existing instance. Set exactly one of
// noDownsizing, oneWay, keep, immutable or rule. Plan features are substrings of plan names.
type PlanChange struct {
	// NoDownsizing forbids moving to a smaller size.
	// +optional
	NoDownsizing *NoDownsizing `json:"noDownsizing,omitempty"`
	// OneWay allows moving from one plan family to another but not back, e.g. single to replica.
	// +optional
	OneWay *OneWay `json:"oneWay,omitempty"`
	// Keep keeps a plan feature as it is: a plan with the feature (e.g. ssl) stays with it, one
	// without stays without.
	// +optional
	Keep *Keep `json:"keep,omitempty"`
	// Immutable forbids any plan change.
	// +optional
	Immutable bool `json:"immutable,omitempty"`
	// Rule is a verbatim CEL transition rule on the plan (self is the new plan, oldSelf the old).
	// +optional
	Rule string `json:"rule,omitempty"`
	// Message replaces the generated error message.
	// +optional
	Message string `json:"message,omitempty"`
}

// NoDownsizing forbids moving to a smaller size.
type NoDownsizing struct {
	// Sizes are the plan-name substrings of the sizes, smallest first, e.g. [nano, small, big].
	// +kubebuilder:validation:MinItems=2
	// +listType=atomic
	Sizes []string `json:"sizes"`
	// To limits this rule to moves down to these sizes, so that a long size list can be split over
	// several rules that each stay within the API server's CEL cost budget. Defaults to every size
	// but the biggest.
	// +optional
	// +listType=atomic
	To []string `json:"to,omitempty"`
}

// OneWay allows moving from one plan family to another but not back.
type OneWay struct {
	// From is the plan-name substring of the family instances may leave, e.g. -single-.
	From string `json:"from"`
	// To is the plan-name substring of the family instances may move to but not leave, e.g. -replica-.
	To string `json:"to"`
}

// Keep keeps a plan feature as it is.
type Keep struct {
	// Feature is the plan-name substring of the feature, e.g. ssl.
	Feature string `json:"feature"`
	// Label names the feature in the message. Defaults to the feature, upper-cased when it has up to
	// three letters (SSL), else capitalised (Bionic).
	// +optional
	Label string `json:"label,omitempty"`
}

// Field is a spec field of the generated API.
type Field struct {
	// Name of the field under spec, lowerCamelCase.
	Name string `json:"name"`
	// Required makes the field required.
	// +optional
	Required bool `json:"required,omitempty"`
	// Schema is the OpenAPI v3 schema of the field (type, description, enum, x-kubernetes-validations).
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Schema runtime.RawExtension `json:"schema"`
}

// Parameters describes spec.parameters.
type Parameters struct {
	// Schema is the OpenAPI v3 schema of spec.parameters, an object. It must be structural; its
	// descriptions, enums, int-or-string and CEL rules are kept as they are.
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Schema runtime.RawExtension `json:"schema"`
	// KeyStyle turns a top-level parameter name into the backend's key: snake_case (default;
	// maxConnections becomes max_connections), kebab-case, or AsIs. Nested names are kept.
	// +optional
	// +kubebuilder:validation:Enum=snake_case;kebab-case;AsIs
	KeyStyle string `json:"keyStyle,omitempty"`
	// Keys override the backend key of single parameters.
	// +optional
	// +listType=atomic
	Keys []ParameterKey `json:"keys,omitempty"`
}

// ParameterKey overrides the backend key of one parameter.
type ParameterKey struct {
	// Parameter is the top-level parameter name, e.g. logMinMessages.
	Parameter string `json:"parameter"`
	// Key is the backend key, e.g. pg_log_min_messages.
	Key string `json:"key"`
}

// Rule is a CEL validation rule.
type Rule struct {
	// Rule is the CEL expression; self is the spec object.
	Rule string `json:"rule"`
	// Message shown when the rule fails.
	// +optional
	Message string `json:"message,omitempty"`
	// MessageExpression is a CEL expression that builds the message.
	// +optional
	MessageExpression string `json:"messageExpression,omitempty"`
	// Reason is the machine-readable reason: FieldValueInvalid, FieldValueForbidden,
	// FieldValueRequired or FieldValueDuplicate.
	// +optional
	Reason string `json:"reason,omitempty"`
	// FieldPath points at the field the failure is reported on, e.g. .plan.
	// +optional
	FieldPath string `json:"fieldPath,omitempty"`
}

// Composition offers the data service with a set of services and plans.
type Composition struct {
	// Name of the Composition, e.g. a9s-mongodb. Claims select it with compositionRef.name.
	Name string `json:"name"`
	// Labels of the Composition; claims may select it by them with compositionSelector.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// Services this composition offers, e.g. [a9s-mongodb50, a9s-mongodb70].
	// +optional
	// +listType=atomic
	Services []string `json:"services,omitempty"`
	// Plans this composition offers, e.g. [mongodbsspl-single-nano].
	// +optional
	// +listType=atomic
	Plans []string `json:"plans,omitempty"`
	// ExclusiveParameters are top-level parameters only this composition supports; a claim setting
	// one while selecting another composition is rejected.
	// +optional
	// +listType=atomic
	ExclusiveParameters []string `json:"exclusiveParameters,omitempty"`
	// Backend is what the composition composes. Without one the Composition is not generated: it is
	// provided elsewhere, and only its offerings shape the API. Given its kind's CRD (dataservice
	// generate --crd, or installed in the control plane, where the function asks for it), every
	// path the backend writes or reads and every field of its base is type-checked against that
	// CRD; dataservice explain --crd CRD PATH shows the fields it offers.
	// +optional
	Backend *Backend `json:"backend,omitempty"`
	// Resources are further resources composed beside the backend, e.g. a NetworkPolicy or a Secret,
	// in order. They need a backend.
	// +optional
	// +listType=atomic
	Resources []Resource `json:"resources,omitempty"`
	// Functions names the composition functions of the pipeline. Defaults come from the function input.
	// +optional
	Functions *Functions `json:"functions,omitempty"`
}

// Functions names the composition functions a generated Composition pipes to.
type Functions struct {
	// PatchAndTransform is the name of the function-patch-and-transform Function object.
	// +optional
	PatchAndTransform string `json:"patchAndTransform,omitempty"`
	// AutoReady, when set, appends a step with this function-auto-ready Function.
	// +optional
	AutoReady string `json:"autoReady,omitempty"`
}

// Backend is the resource a Composition composes for each instance: a managed resource (an a9s
// ServiceInstance, a provider-kubernetes Object wrapping an operator's CR) or, on Crossplane v2, an
// operator's CR itself.
type Backend struct {
	// APIVersion of the backend, e.g. dataservices.anynines.com/v1.
	APIVersion string `json:"apiVersion"`
	// Kind of the backend, e.g. ServiceInstance.
	Kind string `json:"kind"`
	// Base is the backend object every instance starts from (without apiVersion and kind).
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Base *runtime.RawExtension `json:"base,omitempty"`
	// ProviderConfig sets spec.providerConfigRef.name of the backend. For an a9s service broker's
	// kinds (group dataservices.anynines.com) it defaults to the name pattern of the function input
	// applied to the DataService's name (e.g. mongodb-service-broker), unless the base sets it; other
	// kinds get none unless asked (a managed resource then uses its provider's default, an operator
	// CR has no such field). Set disabled to never write one.
	// +optional
	ProviderConfig *ProviderConfig `json:"providerConfig,omitempty"`
	// Fields map fields of the API to fields of the backend, in order.
	// +optional
	// +listType=atomic
	Fields []Mapping `json:"fields,omitempty"`
	// ParametersTo is where parameters go in the backend. Defaults to spec.forProvider.parameters for
	// an a9s service broker's kinds; any other backend of a DataService with parameters sets it, or
	// noParameters.
	// +optional
	ParametersTo string `json:"parametersTo,omitempty"`
	// NoParameters passes no parameter by the layout of spec.parameters: the backend takes only those
	// its fields map, e.g. when its keys differ from another composition's.
	// +optional
	NoParameters bool `json:"noParameters,omitempty"`
	// Status maps backend status into the composite, in order. The target defaults to
	// status.managed.<last segment of from>.
	// +optional
	// +listType=atomic
	Status []StatusMapping `json:"status,omitempty"`
	// ClaimLabels propagates the crossplane.io/claim-name and claim-namespace labels to the backend
	// (Crossplane v1; providers find bindings and backups by them). Defaults to true on v1; v2 has
	// no claims.
	// +optional
	ClaimLabels *bool `json:"claimLabels,omitempty"`
	// ConnectionSecret writes the backend's connection details to a secret beside the claim.
	// +optional
	ConnectionSecret *ConnectionSecret `json:"connectionSecret,omitempty"`
	// ReadinessChecks decide when the backend is ready, in function-patch-and-transform's form, e.g.
	// {type: MatchTrue, fieldPath: status.ready} for an operator CR without a Ready condition.
	// Defaults to P&T's: the Ready condition is True.
	// +optional
	// +listType=atomic
	ReadinessChecks []ptv1beta1.ReadinessCheck `json:"readinessChecks,omitempty"`
	// ConnectionDetails the backend contributes to the composite's connection secret, in
	// function-patch-and-transform's form.
	// +optional
	// +listType=atomic
	ConnectionDetails []ptv1beta1.ConnectionDetail `json:"connectionDetails,omitempty"`
}

// Resource is a further resource a Composition composes beside its backend.
type Resource struct {
	// Name of the resource in the Composition, unique in it, e.g. network-policy.
	Name string `json:"name"`
	// APIVersion of the resource, e.g. networking.k8s.io/v1 on v2, or
	// kubernetes.crossplane.io/v1alpha1 for an Object on v1.
	APIVersion string `json:"apiVersion"`
	// Kind of the resource, e.g. NetworkPolicy.
	Kind string `json:"kind"`
	// Base is the resource every instance starts from (without apiVersion and kind).
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	Base *runtime.RawExtension `json:"base,omitempty"`
	// Fields map fields of the API to fields of the resource, in order.
	// +optional
	// +listType=atomic
	Fields []Mapping `json:"fields,omitempty"`
	// Status maps the resource's status into the composite, in order.
	// +optional
	// +listType=atomic
	Status []StatusMapping `json:"status,omitempty"`
	// ReadinessChecks decide when the resource is ready, in function-patch-and-transform's form.
	// +optional
	// +listType=atomic
	ReadinessChecks []ptv1beta1.ReadinessCheck `json:"readinessChecks,omitempty"`
	// ConnectionDetails the resource contributes to the composite's connection secret.
	// +optional
	// +listType=atomic
	ConnectionDetails []ptv1beta1.ConnectionDetail `json:"connectionDetails,omitempty"`
}

// ProviderConfig names the backend's ProviderConfig.
type ProviderConfig struct {
	// Disabled writes no spec.providerConfigRef, e.g. for an operator CR composed directly on
	// Crossplane v2.
	// +optional
	Disabled bool `json:"disabled,omitempty"`
	// Name is a fixed ProviderConfig name.
	// +optional
	Name string `json:"name,omitempty"`
	// FromField takes the name from a field of the API, formatted with Format, e.g.
	// spec.serviceInstanceType.
	// +optional
	FromField string `json:"fromField,omitempty"`
	// Format is a fmt pattern applied to FromField or to the DataService name, e.g.
	// %s-service-broker. Defaults to the function input's pattern.
	// +optional
	Format string `json:"format,omitempty"`
}

// Mapping sets a field of the backend from a field of the API or from a value of the selected plan
// or service. Set from or value.
type Mapping struct {
	// From is a field path of the composite, e.g. spec.plan or metadata.labels[crossplane.io/claim-name].
	// +optional
	From string `json:"from,omitempty"`
	// Value is a value of the catalog: plan.<name> (e.g. plan.memory) for the selected plan's,
	// service.<name> for the selected service's. The generated patch reads spec.plan (or
	// spec.service) and maps each offered name to its value.
	// +optional
	Value string `json:"value,omitempty"`
	// Default is the value for plans (or services) that do not carry it. Without one, every offered
	// plan must.
	// +optional
	Default *extv1.JSON `json:"default,omitempty"`
	// To is a field path of the backend, e.g. spec.forProvider.planName. With the backend kind's CRD
	// (generate --crd, or the control plane's) it must exist in the version the backend's apiVersion
	// names and the value must fit its type (add a convert transform where it does not).
	To string `json:"to"`
	// Transforms applied to the value, in function-patch-and-transform's form (map, match, convert,
	// math, string), after the catalog's map and before format.
	// +optional
	// +listType=atomic
	Transforms []ptv1beta1.Transform `json:"transforms,omitempty"`
	// Format is a fmt pattern applied to the value last, e.g. %s-creds.
	// +optional
	Format string `json:"format,omitempty"`
}

// StatusMapping copies a backend status field into the composite.
type StatusMapping struct {
	// From is a field path of the backend, e.g. status.atProvider.state.
	From string `json:"from"`
	// To is a field path of the composite. Defaults to status.managed.<last segment of from>.
	// +optional
	To string `json:"to,omitempty"`
}

// ConnectionSecret writes the backend's connection details to a secret beside the claim.
type ConnectionSecret struct {
	// NameFormat is a fmt pattern applied to the claim name, e.g. %s-creds.
	NameFormat string `json:"nameFormat"`
}

// Export says whether and how klutch-bind exposes the API to app clusters.
type Export struct {
	// Disabled generates no klutch-bind APIServiceExportTemplate.
	// +optional
	Disabled bool `json:"disabled,omitempty"`
	// Name of the template. Defaults to the exported resource.
	// +optional
	Name string `json:"name,omitempty"`
	// Namespace of the template. Defaults to the function input's, else crossplane-system.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Resource is the exported resource: the claim plural on Crossplane v1, the composite plural on
	// v2. Defaults to that; it must be one of the DataService's own plurals (on v1 the composite
	// plural may be exported instead of the claim's): a template exporting anything else would
	// publish an API the DataService does not own.
	// +optional
	Resource string `json:"resource,omitempty"`
	// Version optionally pins the exported version. klutch-bind exports all served versions.
	// +optional
	Version string `json:"version,omitempty"`
	// PermissionClaims are the other resources klutch-bind syncs with the consumer cluster, e.g. the
	// secrets a binding writes.
	// +optional
	// +listType=atomic
	PermissionClaims []bindv1alpha1.PermissionClaim `json:"permissionClaims,omitempty"`
	// AllowClaimsOnAllObjects lists the resources, secrets or configmaps, whose permission claims
	// may select every object of the bound namespaces. klutch-bind (and kube-bind) sync what a claim
	// selects between the app cluster and the control plane, so a claim on Secrets or ConfigMaps is
	// refused unless it narrows what it selects (klutch-bind: owner, names, namespaces or
	// labelSelectors; kube-bind: namedResources, labelSelector or references) or its resource is
	// listed here.
	// +optional
	// +listType=atomic
	AllowClaimsOnAllObjects []string `json:"allowClaimsOnAllObjects,omitempty"`
	// KubeBind also exports the API for upstream kube-bind: a cluster-scoped kube-bind.io/v1alpha2
	// APIServiceExportTemplate, generated beside Klutch's template.
	// +optional
	KubeBind *KubeBindExport `json:"kubeBind,omitempty"`
}

// KubeBindExport describes the upstream kube-bind (kube-bind.io/v1alpha2) template of the API.
type KubeBindExport struct {
	// Name of the template. Defaults to the exported resource and group, e.g. mongodbinstances.anynines.com.
	// +optional
	Name string `json:"name,omitempty"`
	// Description shown to consumers choosing what to bind.
	// +optional
	Description string `json:"description,omitempty"`
	// SchemaUpdatePolicy: Never (kube-bind's default; bound schemas stay as first bound) or Always.
	// +optional
	// +kubebuilder:validation:Enum=Never;Always
	SchemaUpdatePolicy string `json:"schemaUpdatePolicy,omitempty"`
	// Versions exported. Defaults to every served version.
	// +optional
	// +listType=atomic
	Versions []string `json:"versions,omitempty"`
	// PermissionClaims in kube-bind's form.
	// +optional
	// +listType=atomic
	PermissionClaims []kubebindv1alpha2.PermissionClaim `json:"permissionClaims,omitempty"`
}

// DataServiceStatus is what the function reports about the generated API.
type DataServiceStatus struct {
	// API is the API app developers use.
	// +optional
	API *ServedAPI `json:"api,omitempty"`
	// Generated names the objects composed from this DataService.
	// +optional
	Generated *GeneratedObjects `json:"generated,omitempty"`
}

// ServedAPI is the API served for app developers.
type ServedAPI struct {
	// Group of the API.
	Group string `json:"group,omitempty"`
	// Version is the referenceable version.
	Version string `json:"version,omitempty"`
	// Kind app developers create (claim kind on v1, composite kind on v2).
	Kind string `json:"kind,omitempty"`
	// Resource is the plural of Kind.
	Resource string `json:"resource,omitempty"`
	// CompositeKind is the composite kind.
	CompositeKind string `json:"compositeKind,omitempty"`
	// CompositeResource is the composite plural.
	CompositeResource string `json:"compositeResource,omitempty"`
}

// GeneratedObjects names the objects composed from a DataService.
type GeneratedObjects struct {
	// XRD is the name of the CompositeResourceDefinition.
	XRD string `json:"xrd,omitempty"`
	// Compositions are the names of the generated Compositions.
	// +optional
	// +listType=atomic
	Compositions []string `json:"compositions,omitempty"`
	// ExportTemplate is namespace/name of the APIServiceExportTemplate.
	// +optional
	ExportTemplate string `json:"exportTemplate,omitempty"`
	// KubeBindTemplate is the name of the kube-bind.io APIServiceExportTemplate.
	// +optional
	KubeBindTemplate string `json:"kubeBindTemplate,omitempty"`
}

// DataServiceList is a list of DataServices.
//
// +kubebuilder:object:root=true
type DataServiceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DataService `json:"items"`
}
