package generator

import (
	"encoding/json"
	"slices"
	"strings"

	ptv1beta1 "github.com/crossplane-contrib/function-patch-and-transform/input/v1beta1"
	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// The resources a Composition composes, as function-patch-and-transform templates: the backend
// (named after the composition) with the patches the DataService implies (claim labels,
// ProviderConfig, connection secret, parameters), then each further resource with only what its
// spec says. Patches are written in the spec's order, parameters sorted by name.

// patch is a P&T patch from the composite to the composed resource.
func patch(from, to string, ts ...ptv1beta1.Transform) ptv1beta1.ComposedPatch {
	return ptv1beta1.ComposedPatch{Patch: ptv1beta1.Patch{FromFieldPath: &from, ToFieldPath: &to, Transforms: ts}}
}

// statusPatch is a P&T patch from the composed resource back to the composite.
func statusPatch(from, to string) ptv1beta1.ComposedPatch {
	p := patch(from, to)
	p.Type = ptv1beta1.PatchTypeToCompositeFieldPath
	return p
}

// formatTransforms is a string Format transform, none for no format.
func formatTransforms(format string) []ptv1beta1.Transform {
	if format == "" {
		return nil
	}
	return []ptv1beta1.Transform{{Type: ptv1beta1.TransformTypeString, String: &ptv1beta1.StringTransform{Type: ptv1beta1.StringTransformTypeFormat, Format: &format}}}
}

// templateBase is a composed resource's base: its apiVersion and kind, then the spec's base,
// copied so that setting fields on it never changes the DataService.
func templateBase(apiVersion, kind string, base map[string]any) map[string]any {
	out := map[string]any{"apiVersion": apiVersion, "kind": kind}
	for k, v := range base {
		out[k] = v
	}
	return out
}

func rawBase(base map[string]any) *runtime.RawExtension {
	raw, _ := json.Marshal(base) // decoded from JSON, so it marshals
	return &runtime.RawExtension{Raw: raw}
}

func (m *model) backendTemplate(c *resolvedComposition) ptv1beta1.ComposedTemplate {
	t, _ := m.backendTemplateOrigins(c)
	return t
}

// origin is the DataService field a patch of a template comes from (backends.go reports errors
// about the patch there): a mapping, a status mapping, or the backend field that implies it.
type origin struct {
	path  *field.Path
	child string // "to" for a mapping, "from" for a status mapping, "" for path itself
	// value is the catalog value a mapping maps (plan.memory), or its from.
	value string
}

// backendTemplateOrigins is the backend's template, with the origin of each of its patches and
// of the base fields the generator sets.
func (m *model) backendTemplateOrigins(c *resolvedComposition) (ptv1beta1.ComposedTemplate, []origin) {
	rb := c.backend
	b := rb.spec
	bp := field.NewPath("spec", "compositions").Index(c.index).Child("backend")
	fp := bp.Child("fields")
	base := templateBase(b.APIVersion, b.Kind, rb.base)

	var patches []ptv1beta1.ComposedPatch
	var origins []origin
	add := func(o origin, ps ...ptv1beta1.ComposedPatch) {
		for range ps {
			origins = append(origins, o)
		}
		patches = append(patches, ps...)
	}
	if rb.claimLabels {
		add(origin{path: bp.Child("claimLabels")},
			patch(xpline.LabelClaimNamespace, xpline.LabelClaimNamespace),
			patch(xpline.LabelClaimName, xpline.LabelClaimName),
		)
	}
	for j, f := range b.Fields {
		p, _ := m.mappingPatch(c, fp.Index(j), f) // validate reports its errors
		add(origin{path: fp.Index(j), child: "to", value: mappingSource(f)}, p)
	}

	pc := b.ProviderConfig
	switch {
	case pc != nil && pc.Disabled:
	case pc != nil && pc.FromField != "":
		add(origin{path: bp.Child("providerConfig", "fromField"), value: pc.FromField}, patch(pc.FromField, "spec.providerConfigRef.name", formatTransforms(rb.providerConfigFormat)...))
	case hasPath(base, "spec", "providerConfigRef", "name"):
		// The base names it.
	case pc != nil && pc.Name != "":
		setPath(base, pc.Name, "spec", "providerConfigRef", "name")
	case rb.broker:
		setPath(base, strings.Replace(rb.providerConfigFormat, "%s", m.Name, 1), "spec", "providerConfigRef", "name")
	}

	if cs := b.ConnectionSecret; cs != nil {
		o := origin{path: bp.Child("connectionSecret")}
		if m.Line.Claims {
			add(o,
				patch(xpline.LabelClaimNamespace, "spec.writeConnectionSecretToRef.namespace"),
				patch(xpline.LabelClaimName, "spec.writeConnectionSecretToRef.name", formatTransforms(cs.NameFormat)...),
			)
		} else {
			// Namespaced managed resources write their secret into their own namespace.
			add(o, patch("metadata.name", "spec.writeConnectionSecretToRef.name", formatTransforms(cs.NameFormat)...))
		}
	}

	if rb.parametersTo != nil {
		elsewhere := m.exclusiveToOthers(c.spec.Name)
		for _, l := range m.leaves {
			if elsewhere[l.top()] {
				continue
			}
			from := append(fieldpath.Segments{fieldpath.Field("spec"), fieldpath.Field("parameters")}, fieldSegments(l.path)...)
			key := append([]string{m.backendKeys[l.top()]}, l.path[1:]...)
			to := append(slices.Clone(rb.parametersTo), fieldSegments(key)...)
			add(origin{path: bp.Child("parametersTo"), value: from.String()}, patch(from.String(), to.String()))
		}
	}

	for j, s := range rb.status {
		add(origin{path: bp.Child("status").Index(j), child: "from"}, statusPatch(s.From, s.To))
	}
	return ptv1beta1.ComposedTemplate{
		Name:              c.spec.Name,
		Base:              rawBase(base),
		Patches:           patches,
		ReadinessChecks:   b.ReadinessChecks,
		ConnectionDetails: b.ConnectionDetails,
	}, origins
}

// mappingSource is what a mapping maps, as messages name it.
func mappingSource(f v1alpha1.Mapping) string {
	if f.Value != "" {
		return f.Value
	}
	return f.From
}

func (m *model) resourceTemplate(c *resolvedComposition, r *resolvedResource) ptv1beta1.ComposedTemplate {
	t, _ := m.resourceTemplateOrigins(c, r)
	return t
}

// resourceTemplateOrigins is a further resource's template, with the origin of each patch.
func (m *model) resourceTemplateOrigins(c *resolvedComposition, r *resolvedResource) (ptv1beta1.ComposedTemplate, []origin) {
	i := slices.IndexFunc(c.resources, func(x resolvedResource) bool { return x.spec.Name == r.spec.Name })
	rp := field.NewPath("spec", "compositions").Index(c.index).Child("resources").Index(i)
	fp := rp.Child("fields")
	var patches []ptv1beta1.ComposedPatch
	var origins []origin
	for j, f := range r.spec.Fields {
		p, _ := m.mappingPatch(c, fp.Index(j), f) // validate reports its errors
		patches = append(patches, p)
		origins = append(origins, origin{path: fp.Index(j), child: "to", value: mappingSource(f)})
	}
	for j, s := range r.status {
		patches = append(patches, statusPatch(s.From, s.To))
		origins = append(origins, origin{path: rp.Child("status").Index(j), child: "from"})
	}
	return ptv1beta1.ComposedTemplate{
		Name:              r.spec.Name,
		Base:              rawBase(templateBase(r.spec.APIVersion, r.spec.Kind, r.base)),
		Patches:           patches,
		ReadinessChecks:   r.spec.ReadinessChecks,
		ConnectionDetails: r.spec.ConnectionDetails,
	}, origins
}

// mappingPatch is the patch of a mapping at p: from its field, or from spec.plan (spec.service)
// through the map to the value of each offered plan (service); then its transforms, with P&T's
// schema defaults applied, and its format last. The errors say why the map cannot be complete.
func (m *model) mappingPatch(c *resolvedComposition, p *field.Path, f v1alpha1.Mapping) (ptv1beta1.ComposedPatch, field.ErrorList) {
	from := f.From
	var ts []ptv1beta1.Transform
	var errs field.ErrorList
	if f.Value != "" {
		what, name, ok := valueRef(f.Value)
		if !ok {
			return patch(from, f.To), field.ErrorList{field.Invalid(p.Child("value"), f.Value, "must be plan.<value> or service.<value>, e.g. plan.memory, naming a value declared under spec.plan.values (spec.service.values)")}
		}
		cat, offered, offeredPath := m.planCatalog, c.offers.Plans, field.NewPath("spec", "compositions").Index(c.index).Child("plans")
		if what == "service" {
			cat, offered, offeredPath = m.serviceCatalog, c.offers.Services, field.NewPath("spec", "compositions").Index(c.index).Child("services")
		}
		from = "spec." + what
		t, terrs := cat.mapTransform(p, name, f.Default, offered, offeredPath)
		errs = append(errs, terrs...)
		if t.Map != nil {
			ts = append(ts, t)
		}
	}
	ts = append(ts, defaultTransforms(f.Transforms)...)
	ts = append(ts, formatTransforms(f.Format)...)
	return patch(from, f.To, ts...), errs
}

// validateMappings checks the mappings of a composed resource at p (its fields list): each
// reads a field or a catalog value, its transforms are what P&T accepts, and a value's map lists
// every plan (service) the composition offers.
func (m *model) validateMappings(c *resolvedComposition, p *field.Path, fields []v1alpha1.Mapping) field.ErrorList {
	var errs field.ErrorList
	for j, f := range fields {
		fp := p.Index(j)
		errs = append(errs, validateFieldPath(fp.Child("to"), f.To)...)
		if f.Format != "" && strings.Count(f.Format, "%s") != 1 {
			errs = append(errs, field.Invalid(fp.Child("format"), f.Format, "must contain %s exactly once"))
		}
		switch {
		case f.From != "" && f.Value != "":
			errs = append(errs, field.Invalid(fp, f.From, "set from or value, not both: value reads spec."+strings.Split(f.Value, ".")[0]+" itself"))
		case f.From == "" && f.Value == "":
			errs = append(errs, field.Required(fp.Child("from"), "set from (a field of the API, e.g. spec.plan) or value (a value of the selected plan, e.g. plan.memory)"))
		case f.From != "":
			if msg := m.sourceProblem(f.From); msg != "" {
				errs = append(errs, field.Invalid(fp.Child("from"), f.From, msg))
			}
			if f.Default != nil {
				errs = append(errs, field.Forbidden(fp.Child("default"), "a default is for plans (services) without the value: use it with value, or add a match transform with a fallbackValue"))
			}
		}
		errs = append(errs, validateTransforms(fp.Child("transforms"), defaultTransforms(f.Transforms))...)
		if f.Value != "" {
			_, merrs := m.mappingPatch(c, fp, f)
			errs = append(errs, merrs...)
		}
	}
	return errs
}

// validateComposed checks what every composed resource declares beside its mappings.
func validateComposed(p *field.Path, base map[string]any, baseErr error, raw *runtime.RawExtension, status []v1alpha1.StatusMapping, rcs []ptv1beta1.ReadinessCheck, cds []ptv1beta1.ConnectionDetail) field.ErrorList {
	var errs field.ErrorList
	if baseErr != nil {
		errs = append(errs, field.Invalid(p.Child("base"), string(raw.Raw), "must be an object: "+baseErr.Error()))
	}
	for _, k := range []string{"apiVersion", "kind"} {
		if _, ok := base[k]; ok {
			errs = append(errs, field.Forbidden(p.Child("base", k), "set "+p.String()+"."+k+" instead of base."+k))
		}
	}
	for j, st := range status {
		sp := p.Child("status").Index(j)
		errs = append(errs, validateFieldPath(sp.Child("from"), st.From)...)
		if st.To != "" {
			errs = append(errs, validateFieldPath(sp.Child("to"), st.To)...)
			if !strings.HasPrefix(st.To, "status.") {
				errs = append(errs, field.Invalid(sp.Child("to"), st.To, "must be below status. of the composite"))
			}
		}
	}
	errs = append(errs, validateReadinessChecks(p.Child("readinessChecks"), rcs)...)
	errs = append(errs, validateConnectionDetails(p.Child("connectionDetails"), cds)...)
	return errs
}

// validateResources checks the further resources of a composition at cp.
func (m *model) validateResources(cp *field.Path, c *resolvedComposition) field.ErrorList {
	var errs field.ErrorList
	if len(c.resources) > 0 && c.backend == nil {
		errs = append(errs, field.Required(cp.Child("backend"), "resources are composed beside a backend: add one, or make the first resource the backend"))
	}
	seen := map[string]bool{c.spec.Name: true}
	for i, r := range c.resources {
		rp := cp.Child("resources").Index(i)
		for _, msg := range validation.IsDNS1123Subdomain(r.spec.Name) {
			errs = append(errs, field.Invalid(rp.Child("name"), r.spec.Name, msg))
		}
		if seen[r.spec.Name] {
			errs = append(errs, field.Duplicate(rp.Child("name"), r.spec.Name+" (the backend is named after the composition)"))
		}
		seen[r.spec.Name] = true
		if r.spec.APIVersion == "" || !strings.Contains(r.spec.APIVersion, "/") {
			errs = append(errs, field.Invalid(rp.Child("apiVersion"), r.spec.APIVersion, "must be group/version of the resource, e.g. networking.k8s.io/v1 (v1 for core kinds is not composable by group: write it as /v1)"))
		}
		errs = append(errs, validateKind(rp.Child("kind"), r.spec.Kind)...)
		errs = append(errs, validateComposed(rp, r.base, r.baseErr, r.spec.Base, r.spec.Status, r.spec.ReadinessChecks, r.spec.ConnectionDetails)...)
		errs = append(errs, m.validateMappings(c, rp.Child("fields"), r.spec.Fields)...)
	}
	return errs
}

// validateCatalogOfferings checks that every plan (service) a composition offers is in the
// catalog, when there is one.
func (m *model) validateCatalogOfferings(cp *field.Path, c *resolvedComposition) field.ErrorList {
	var errs field.ErrorList
	for _, k := range []struct {
		cat    *catalog
		list   []string
		child  string
		listed bool
	}{
		{m.planCatalog, c.spec.Plans, "plans", len(c.spec.Plans) > 0},
		{m.serviceCatalog, c.spec.Services, "services", len(c.spec.Services) > 0},
	} {
		if len(k.cat.offers) == 0 || !k.listed {
			continue
		}
		names := k.cat.names()
		for j, n := range k.list {
			if !slices.Contains(names, n) {
				errs = append(errs, field.NotFound(cp.Child(k.child).Index(j), n+": not in "+k.cat.path.Child("catalog").String()+" ("+strings.Join(names, ", ")+"): add it there, or fix the name"))
			}
		}
	}
	return errs
}
