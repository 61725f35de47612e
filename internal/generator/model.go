package generator

import (
	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// model is a DataService with every default applied and every embedded schema parsed (resolve.go):
// validate.go checks it, and the builders (xrd.go, composition.go, export.go) build from it and
// never look at a default again.
type model struct {
	name string
	spec *v1alpha1.DataServiceSpec
	// lineName is the Crossplane line the spec or the defaults name; line is that line, the zero
	// Line when the name is none (validate reports it).
	lineName string
	line     xpline.Line
	group    string
	kind     string // what app developers create: claim kind on v1, composite kind on v2
	plural   string
	xrKind   string
	xrPlural string
	scope    string // v2 only

	versions   []v1alpha1.APIVersion // served and referenceable resolved
	refVersion string
	refs       int // versions the spec marks referenceable

	hasService bool
	hasPlan    bool

	fields []resolvedField
	params *extv1.JSONSchemaProps
	// paramsErrs are why spec.parameters.schema did not decode or is beyond the limits.
	paramsErrs field.ErrorList
	leaves     []paramLeaf
	// backendKeys name each top-level parameter for the backend.
	backendKeys map[string]string

	compositions       []resolvedComposition
	defaultComposition string

	export   *resolvedExport
	kubeBind *resolvedKubeBind

	// tooBig is set when a schema exceeds the limits: nothing more is done with the spec.
	tooBig bool
	nodes  int
}

type resolvedField struct {
	spec   v1alpha1.Field
	schema extv1.JSONSchemaProps
	// errs are why the schema did not decode or is beyond the limits.
	errs field.ErrorList
}

type resolvedComposition struct {
	spec  v1alpha1.Composition
	index int
	// backend is the composition's backend with its defaults, nil without one.
	backend *resolvedBackend
}

// resolvedBackend is a backend with every default applied.
type resolvedBackend struct {
	spec *v1alpha1.Backend
	base map[string]any
	// baseErr is why the base is not an object.
	baseErr error
	// functions of the composition's pipeline.
	functions v1alpha1.Functions
	// claimLabels says whether the backend copies the claim's labels (v1 only).
	claimLabels bool
	// providerConfigFormat makes the ProviderConfig name of the DataService name or a field.
	providerConfigFormat string
	// parametersTo is where the backend takes the parameters.
	parametersTo fieldpath.Segments
	// status maps backend status to the composite's, every target set.
	status []v1alpha1.StatusMapping
}

type resolvedKubeBind struct {
	name     string
	resource string
	versions []string
	spec     *v1alpha1.KubeBindExport
}

type resolvedExport struct {
	name      string
	namespace string
	resource  string
	spec      *v1alpha1.Export
}

// paramLeaf is a parameter passed to the backend as one value: a scalar, an array, or an object
// without declared properties.
type paramLeaf struct {
	path []string // below spec.parameters
}

func (l paramLeaf) top() string { return l.path[0] }

func (m *model) servedAPI() v1alpha1.ServedAPI {
	return v1alpha1.ServedAPI{
		Group: m.group, Version: m.refVersion, Kind: m.kind, Resource: m.plural,
		CompositeKind: m.xrKind, CompositeResource: m.xrPlural,
	}
}
