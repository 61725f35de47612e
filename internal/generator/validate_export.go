package generator

import (
	"slices"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The rules of spec.export: klutch-bind's and kube-bind's templates (a rule of validate.go's
// registry).

func (m *model) validateExport() field.ErrorList {
	var errs field.ErrorList
	p := specPath.Child("export")
	if m.kubeBind != nil {
		errs = append(errs, m.validateKubeBind(p.Child("kubeBind"))...)
	}
	re := m.export
	if re == nil {
		return errs
	}
	for _, msg := range validation.IsDNS1123Subdomain(re.Name) {
		errs = append(errs, field.Invalid(p.Child("name"), re.Name, msg))
	}
	for _, msg := range validation.IsDNS1123Label(re.Namespace) {
		errs = append(errs, field.Invalid(p.Child("namespace"), re.Namespace, msg))
	}
	errs = append(errs, validatePlural(p.Child("resource"), re.Resource)...)
	for i, pc := range re.spec.PermissionClaims {
		cp := p.Child("permissionClaims").Index(i)
		if pc.Resource == "" {
			errs = append(errs, field.Required(cp.Child("resource"), "e.g. secrets"))
		}
		if pc.Version == "" {
			errs = append(errs, field.Required(cp.Child("version"), "e.g. v1"))
		}
		if pc.AutoAdopt && pc.AutoDonate {
			errs = append(errs, field.Invalid(cp, "autoAdopt and autoDonate", "donate and adopt are mutually exclusive"))
		}
	}
	return errs
}

func (m *model) validateKubeBind(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	r := m.kubeBind
	for _, msg := range validation.IsDNS1123Subdomain(r.Name) {
		errs = append(errs, field.Invalid(p.Child("name"), r.Name, msg))
	}
	served := m.Served()
	for i, v := range r.spec.Versions {
		if !slices.Contains(served, v) {
			errs = append(errs, field.Invalid(p.Child("versions").Index(i), v, "not a served version of the API: export one of spec.versions"))
		}
	}
	for i, pc := range r.spec.PermissionClaims {
		if pc.Resource == "" {
			errs = append(errs, field.Required(p.Child("permissionClaims").Index(i).Child("resource"), "e.g. secrets"))
		}
	}
	return errs
}
