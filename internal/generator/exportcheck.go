package generator

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/function-dataservice/function-dataservice/internal/bindcrds"
	"github.com/function-dataservice/function-dataservice/internal/crvalidate"
)

// An export publishes the DataService's API to app clusters, and nothing else: the exported
// resource is one of the API's own, the API's group is not one of the groups the control plane's
// own machinery serves, and each template is what the CRD it is applied with accepts.

// reservedGroups are the API groups of the control plane's own machinery, each with its owner: an
// API of one of them (or of a subgroup) would stand beside, or take the name of, an API of
// Crossplane (providers.pkg.crossplane.io), klutch-bind or kube-bind, or of DataServices
// themselves.
var reservedGroups = []struct{ group, owner string }{
	{"crossplane.io", "Crossplane"},
	{"klutch.anynines.com", "klutch-bind"},
	{"kube-bind.io", "kube-bind"},
	{"dataservice.klutch.io", "function-dataservice (the DataService API)"},
}

// validateOwnership refuses a reserved group for the API and an exported resource that is not the
// API's own.
func (m *model) validateOwnership() field.ErrorList {
	sp := specPath
	var errs field.ErrorList
	for _, r := range reservedGroups {
		if g := m.spec.Group; g == r.group || strings.HasSuffix(g, "."+r.group) {
			errs = append(errs, field.Forbidden(sp.Child("group"), fmt.Sprintf(
				"%s is reserved for %s (*.%s): an API of this group could take the name of one of its own; choose a group of your own, e.g. example.com", g, r.owner, r.group)))
		}
	}
	e := m.spec.Export
	if e == nil {
		return errs
	}
	own := []string{m.Plural}
	if m.CompositePlural != m.Plural {
		own = append(own, m.CompositePlural)
	}
	if e.Resource != "" && !slices.Contains(own, e.Resource) {
		errs = append(errs, field.NotSupported(sp.Child("export", "resource"), e.Resource, own))
	}
	if e.Version != "" && m.export != nil && !slices.Contains(m.Served(), e.Version) {
		errs = append(errs, field.Invalid(sp.Child("export", "version"), e.Version, "not a served version of the API: export one of spec.versions"))
	}
	return errs
}

// checkExportTemplates validates the templates against the CRDs klutch-bind and kube-bind ship, as
// their API servers would, and points every error at the DataService field it came from.
func checkExportTemplates(o *objects) field.ErrorList {
	var errs field.ErrorList
	if o.exportTemplate != nil {
		errs = append(errs, checkTemplate(o.exportTemplate, bindcrds.KlutchBind, klutchBindPaths, "spec.export")...)
	}
	if o.kubeBindTemplate != nil {
		errs = append(errs, checkTemplate(o.kubeBindTemplate, bindcrds.KubeBind, kubeBindPaths, "spec.export.kubeBind")...)
	}
	return errs
}

// klutchBindPaths and kubeBindPaths map the fields of each template to the DataService fields they
// are written from, longest first.
var (
	klutchBindPaths = [][2]string{
		{"spec.permissionClaims", "spec.export.permissionClaims"},
		{"spec.APIServiceSelector.resource", "spec.export.resource"},
		{"spec.APIServiceSelector.version", "spec.export.version"},
		{"spec.APIServiceSelector.group", "spec.group"},
		{"metadata.namespace", "spec.export.namespace"},
		{"metadata.name", "spec.export.name"},
	}
	kubeBindPaths = [][2]string{
		{"spec.permissionClaims", "spec.export.kubeBind.permissionClaims"},
		{"spec.resources[0].versions", "spec.export.kubeBind.versions"},
		{"spec.resources[0].resource", "spec.export.resource"},
		{"spec.resources[0].group", "spec.group"},
		{"spec.description", "spec.export.kubeBind.description"},
		{"spec.schemaUpdatePolicy", "spec.export.kubeBind.schemaUpdatePolicy"},
		{"metadata.name", "spec.export.kubeBind.name"},
	}
)

func checkTemplate(obj runtime.Object, validator func() (*crvalidate.Validator, error), paths [][2]string, fallback string) field.ErrorList {
	v, err := validator()
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath(fallback), err)}
	}
	u, err := toUnstructured(obj)
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath(fallback), err)}
	}
	kind := fmt.Sprintf("%s %q (%s)", u.GetKind(), u.GetName(), u.GetAPIVersion())
	var errs field.ErrorList
	for _, e := range v.Create(context.Background(), u.Object) {
		if e.Field == "" || e.Field == "<nil>" {
			continue // "some rules were not checked": the errors before it say why
		}
		te := *e
		te.Field = fallback
		mapped := false
		for _, p := range paths {
			if within(e.Field, p[0]) {
				te.Field, mapped = p[1]+strings.TrimPrefix(e.Field, p[0]), true
				break
			}
		}
		te.Detail = strings.TrimSpace(te.Detail + " (the " + kind + " generated from it, at " + e.Field + ", would be refused by its CRD)")
		if mapped {
			te.Detail = strings.TrimSpace(e.Detail + " (refused by the CRD of the " + kind + " generated from it)")
		}
		errs = append(errs, &te)
	}
	return errs
}
