package v1beta1

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// The API version and kind of the input.
const (
	APIVersion = "dataservice.fn.crossplane.io/v1beta1"
	Kind       = "Input"
)

// Decode reads an Input from YAML or JSON and validates its defaults. The API server never sees a
// function input, so a misspelt default would otherwise silently generate every DataService with
// the fallback: unknown fields are errors, and every problem is reported with its path.
func Decode(data []byte) (*Input, error) {
	j, err := yaml.YAMLToJSONStrict(data)
	if err != nil {
		return nil, err
	}
	in := &Input{}
	strict, err := kjson.UnmarshalStrict(j, in)
	if err != nil {
		return nil, fmt.Errorf("cannot decode the input as a %s %s: %w", APIVersion, Kind, err)
	}
	if in.APIVersion != APIVersion || in.Kind != Kind {
		return nil, fmt.Errorf("input is apiVersion %q, kind %q: want apiVersion %s, kind %s", in.APIVersion, in.Kind, APIVersion, Kind)
	}
	var errs field.ErrorList
	for _, err := range strict {
		var fe kjson.FieldError
		if errors.As(err, &fe) {
			errs = append(errs, field.Forbidden(field.NewPath(fe.FieldPath()), "unknown field: fix its spelling or nesting (kubectl explain inputs.dataservice.fn.crossplane.io)"))
			continue
		}
		errs = append(errs, field.InternalError(nil, err))
	}
	errs = append(errs, in.Defaults.Validate(field.NewPath("defaults"))...)
	errs = append(errs, in.ControlPlane.Validate(field.NewPath("controlPlane"))...)
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		return nil, errors.New(strings.Join(msgs, "; "))
	}
	return in, nil
}

// Validate checks the control plane: every problem is returned, each with its path below p.
func (c ControlPlane) Validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if _, ok := xpline.Named(c.Crossplane); !ok && c.Crossplane != "" && c.Crossplane != ControlPlaneAuto {
		errs = append(errs, field.NotSupported(p.Child("crossplane"), c.Crossplane, append([]string{ControlPlaneAuto}, xpline.Names()...)))
	}
	if c.KubernetesProviderConfig != "" {
		for _, msg := range validation.IsDNS1123Subdomain(c.KubernetesProviderConfig) {
			errs = append(errs, field.Invalid(p.Child("kubernetesProviderConfig"), c.KubernetesProviderConfig, msg+" (the name of a provider-kubernetes ProviderConfig)"))
		}
	}
	return errs
}

// Validate checks defaults: every problem is returned, each with its path below p.
func (d Defaults) Validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if _, ok := xpline.Named(d.CrossplaneVersion); !ok && d.CrossplaneVersion != "" {
		errs = append(errs, field.NotSupported(p.Child("crossplaneVersion"), d.CrossplaneVersion, xpline.Names()))
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
