package generator

import (
	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/backendcrd"
	"github.com/function-dataservice/function-dataservice/internal/resolved"
)

// model is a DataService resolved (resolve.go): the resolved API, the value every reader gets,
// and beside it what only the generator needs to write the objects (parsed schemas and bases,
// each backend's defaults) and to say what is wrong (what did not parse). validate.go checks it,
// and the builders (xrd.go, composition.go, export.go) build from it and never look at a default
// again.
type model struct {
	*resolved.API
	spec *v1alpha1.DataServiceSpec
	// lineName is the Crossplane line the spec or the defaults name; API.Line is that line, or the
	// default line when the name is none (validate reports it).
	lineName string
	refs     int // versions the spec marks referenceable

	fields []resolvedField
	params *extv1.JSONSchemaProps
	// paramsErrs are why spec.parameters.schema did not decode or is beyond the limits.
	paramsErrs field.ErrorList
	leaves     []paramLeaf
	// backendKeys name each top-level parameter for the backend.
	backendKeys map[string]string

	compositions []resolvedComposition

	// planCatalog and serviceCatalog hold the values plans and services carry (values.go), never
	// nil; catalogErrs are why their declarations are wrong.
	planCatalog    *catalog
	serviceCatalog *catalog
	catalogErrs    field.ErrorList

	// notes say what resolve assumed that the spec did not say, for stderr.
	notes []string

	export   *resolvedExport
	kubeBind *resolvedKubeBind

	// crds are the CRDs of composed kinds the caller gave (Options.CRDs), nil for none: they name
	// the kinds' resources and scopes, and what is composed is type-checked against them.
	crds *backendcrd.Set

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
	// spec is the composition as the DataService lists it.
	spec v1alpha1.Composition
	// offers is what the resolved API says of it: what it offers.
	offers *resolved.Composition
	index  int
	// backend is the composition's backend with its defaults, nil without one.
	backend *resolvedBackend
	// resources are the further resources composed beside the backend.
	resources []resolvedResource
}

// resolvedResource is a further composed resource with its base parsed.
type resolvedResource struct {
	spec    v1alpha1.Resource
	base    map[string]any
	baseErr error
	// status maps the resource's status to the composite's, every target set.
	status []v1alpha1.StatusMapping
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
	// broker says whether the backend is an a9s service broker's kind, the only kinds the
	// input's ProviderConfig and parameters defaults are made for: only a broker's backend gets
	// the ProviderConfig of the name pattern when neither the spec nor the base names one.
	broker bool
	// providerConfigFormat makes the ProviderConfig name of the DataService name or a field; ""
	// writes the field's value as it is.
	providerConfigFormat string
	// parametersTo is where the backend takes the parameters, nil when it takes none by the
	// parameters' layout.
	parametersTo fieldpath.Segments
	// status maps backend status to the composite's, every target set.
	status []v1alpha1.StatusMapping
}

// resolvedKubeBind is the kube-bind template of the resolved API, with the spec it came from.
type resolvedKubeBind struct {
	*resolved.KubeBind
	spec *v1alpha1.KubeBindExport
}

// resolvedExport is the klutch-bind template of the resolved API, with the spec it came from.
type resolvedExport struct {
	*resolved.Export
	spec *v1alpha1.Export
}

// paramLeaf is a parameter passed to the backend as one value: a scalar, an array, or an object
// without declared properties.
type paramLeaf struct {
	path []string // below spec.parameters
}

func (l paramLeaf) top() string { return l.path[0] }
