package function

import (
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"google.golang.org/protobuf/encoding/protojson"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
)

// The kind and API version of the pipeline input.
const (
	inputAPIVersion = "dataservice.fn.crossplane.io/v1beta1"
	inputKind       = "Input"
)

// getDefaults reads and validates the pipeline input. A step without input uses the defaults Klutch's
// own data services follow. The input is decoded strictly, because a misspelt default would
// otherwise silently generate every DataService of the Composition with the fallback.
func getDefaults(req *fnv1.RunFunctionRequest) (inputv1beta1.Defaults, error) {
	if req.GetInput() == nil {
		return inputv1beta1.Defaults{}, nil
	}
	data, err := protojson.Marshal(req.GetInput())
	if err != nil {
		return inputv1beta1.Defaults{}, errors.Wrap(err, "cannot marshal the input to JSON")
	}
	in := &inputv1beta1.Input{}
	strict, err := kjson.UnmarshalStrict(data, in)
	if err != nil {
		return inputv1beta1.Defaults{}, errors.Wrapf(err, "cannot decode the input as a %s %s", inputAPIVersion, inputKind)
	}
	if in.APIVersion != inputAPIVersion || in.Kind != inputKind {
		return inputv1beta1.Defaults{}, errors.Errorf("input is apiVersion %q, kind %q: want apiVersion %s, kind %s", in.APIVersion, in.Kind, inputAPIVersion, inputKind)
	}
	errs := unknownFields(strict, "fix its spelling or nesting (kubectl explain inputs.dataservice.fn.crossplane.io)")
	errs = append(errs, validateDefaults(field.NewPath("defaults"), in.Defaults)...)
	if len(errs) > 0 {
		return inputv1beta1.Defaults{}, errors.New(joinErrors(errs))
	}
	return in.Defaults, nil
}

// validateDefaults checks the defaults of an input, which the API server never sees: every problem
// is returned, each with its path.
func validateDefaults(p *field.Path, d inputv1beta1.Defaults) field.ErrorList {
	var errs field.ErrorList
	switch d.CrossplaneVersion {
	case "", v1alpha1.CrossplaneV1, v1alpha1.CrossplaneV2:
	default:
		errs = append(errs, field.NotSupported(p.Child("crossplaneVersion"), d.CrossplaneVersion, []string{v1alpha1.CrossplaneV1, v1alpha1.CrossplaneV2}))
	}
	if d.ExportNamespace != "" {
		for _, msg := range validation.IsDNS1123Label(d.ExportNamespace) {
			errs = append(errs, field.Invalid(p.Child("exportNamespace"), d.ExportNamespace, msg))
		}
	}
	if f := d.ProviderConfigNameFormat; f != "" {
		// The generator puts the DataService name (or a field's value) where %s is; any other verb
		// would end up in a ProviderConfig name.
		if strings.Count(f, "%s") != 1 || strings.Count(f, "%") != 1 {
			errs = append(errs, field.Invalid(p.Child("providerConfigNameFormat"), f, "must contain %s exactly once and no other % directive, e.g. %s-service-broker"))
		}
	}
	for _, fn := range []struct{ field, name string }{
		{"patchAndTransform", d.PatchAndTransform},
		{"autoReady", d.AutoReady},
	} {
		if fn.name == "" {
			continue
		}
		for _, msg := range validation.IsDNS1123Subdomain(fn.name) {
			errs = append(errs, field.Invalid(p.Child(fn.field), fn.name, msg+" (the name of a Function object)"))
		}
	}
	return errs
}

// joinErrors formats field errors on one line, as Crossplane shows a result in one event.
func joinErrors(errs field.ErrorList) string {
	msgs := make([]string, 0, len(errs))
	for _, err := range errs {
		msgs = append(msgs, err.Error())
	}
	return strings.Join(msgs, "; ")
}
