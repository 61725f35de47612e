package generator

import (
	"fmt"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// validate checks everything that can be checked on the resolved spec itself, and returns every
// problem, in the order of the spec's fields. What only the API server can judge (structural
// schemas, CEL) is checked on the generated XRD (check.go).
func validate(m *model) field.ErrorList {
	var errs field.ErrorList
	sp := field.NewPath("spec")
	s := m.spec

	if m.name == "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "name"), "name the DataService, e.g. mongodb: it names the ProviderConfig by default"))
	} else {
		for _, msg := range validation.IsDNS1123Subdomain(m.name) {
			errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), m.name, msg))
		}
	}
	if _, ok := xpline.Named(m.lineName); !ok {
		errs = append(errs, field.NotSupported(sp.Child("crossplaneVersion"), m.lineName, xpline.Names()))
	}

	errs = append(errs, validateGroup(sp.Child("group"), s.Group)...)
	errs = append(errs, validateKind(sp.Child("kind"), s.Kind)...)
	errs = append(errs, validatePlural(sp.Child("plural"), m.plural)...)

	if m.line.Claims {
		if c := s.Composite; c != nil {
			if c.Kind != "" {
				errs = append(errs, validateKind(sp.Child("composite", "kind"), c.Kind)...)
			}
			if c.Plural != "" {
				errs = append(errs, validatePlural(sp.Child("composite", "plural"), c.Plural)...)
			}
		}
		if m.xrKind == m.kind {
			errs = append(errs, field.Invalid(sp.Child("composite", "kind"), m.xrKind, "the composite kind must differ from the claim kind spec.kind"))
		}
		if m.xrPlural == m.plural {
			errs = append(errs, field.Invalid(sp.Child("composite", "plural"), m.xrPlural, "the composite plural must differ from the claim plural"))
		}
		if s.Scope != "" {
			errs = append(errs, field.Forbidden(sp.Child("scope"), "scope applies to Crossplane v2 only: v1 composites are cluster scoped and claims namespaced; remove spec.scope or set spec.crossplaneVersion: v2"))
		}
	} else if s.Composite != nil {
		errs = append(errs, field.Forbidden(sp.Child("composite"), "Crossplane v2 has no claims: spec.kind is the composite kind; remove spec.composite"))
	}

	errs = append(errs, validateNameList(sp.Child("categories"), s.Categories)...)
	errs = append(errs, validateNameList(sp.Child("shortNames"), s.ShortNames)...)
	errs = append(errs, m.validateVersions(sp.Child("versions"))...)
	errs = append(errs, m.validateCompositions(sp)...)
	errs = append(errs, m.validateComposedScopes(sp)...) // scope.go
	errs = append(errs, m.validateFields(sp)...)
	errs = append(errs, m.validateParameters(sp.Child("parameters"))...)
	errs = append(errs, m.validatePlanChanges(sp.Child("plan", "changes"))...)
	errs = append(errs, m.catalogErrs...)
	errs = append(errs, m.validateCompositionRefs(sp)...)
	errs = append(errs, m.validateExport(sp.Child("export"))...)
	// What the API may make Crossplane compose (safety.go), claim from app clusters (claims.go) and
	// export (exportcheck.go); then what the DataService schema refuses beside (schemacheck.go).
	errs = append(errs, m.validatePrivileges(sp)...)
	errs = append(errs, m.validateClaims(sp.Child("export"))...)
	errs = append(errs, m.validateOwnership(sp)...)
	if !m.tooBig {
		errs = append(errs, m.validateSchema(errs)...)
	}
	return errs
}

func (m *model) validateVersions(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, v := range m.versions {
		vp := p.Index(i).Child("name")
		for _, msg := range validation.IsDNS1035Label(v.Name) {
			errs = append(errs, field.Invalid(vp, v.Name, msg+" (versions are named like v1, v1beta1)"))
		}
		if seen[v.Name] {
			errs = append(errs, field.Duplicate(vp, v.Name))
		}
		seen[v.Name] = true
	}
	if m.refs > 1 {
		errs = append(errs, field.Invalid(p, m.refs, "exactly one version may be referenceable (it is the storage version Compositions reference)"))
	}
	for _, v := range m.versions {
		if v.Referenceable && !*v.Served {
			errs = append(errs, field.Invalid(p, v.Name, "the referenceable version must be served"))
		}
	}
	return errs
}

func (m *model) validateCompositions(sp *field.Path) field.ErrorList {
	var errs field.ErrorList
	p := sp.Child("compositions")
	if len(m.spec.Compositions) == 0 {
		errs = append(errs, field.Required(p, "add at least one composition, e.g. {name: a9s-mongodb, services: [...], plans: [...], backend: {...}}"))
	}
	seen := map[string]bool{}
	for i, rc := range m.compositions {
		c := rc.spec
		cp := p.Index(i)
		for _, msg := range validation.IsDNS1123Subdomain(c.Name) {
			errs = append(errs, field.Invalid(cp.Child("name"), c.Name, msg))
		}
		if seen[c.Name] {
			errs = append(errs, field.Duplicate(cp.Child("name"), c.Name))
		}
		seen[c.Name] = true
		errs = append(errs, validateTokens(cp.Child("services"), c.Services, "service")...)
		errs = append(errs, validateTokens(cp.Child("plans"), c.Plans, "plan")...)
		if rc.backend != nil {
			errs = append(errs, m.validateBackend(cp.Child("backend"), rc.backend)...)
			errs = append(errs, m.validateMappings(&m.compositions[i], cp.Child("backend", "fields"), rc.backend.spec.Fields)...)
		}
		errs = append(errs, m.validateResources(cp, &m.compositions[i])...)
		errs = append(errs, m.validateCatalogOfferings(cp, &m.compositions[i])...)
	}
	if m.defaultComposition != "" && !seen[m.defaultComposition] {
		errs = append(errs, field.NotFound(sp.Child("defaultComposition"), m.defaultComposition))
	}
	if m.spec.Service != nil && !m.hasService {
		errs = append(errs, field.Invalid(sp.Child("service"), "", "no composition offers services: list them under spec.compositions[].services or remove spec.service"))
	}
	if m.spec.Plan != nil && !m.hasPlan {
		errs = append(errs, field.Invalid(sp.Child("plan"), "", "no composition offers plans: list them under spec.compositions[].plans or remove spec.plan"))
	}
	return errs
}

func (m *model) validateBackend(bp *field.Path, rb *resolvedBackend) field.ErrorList {
	var errs field.ErrorList
	b := rb.spec
	if b.APIVersion == "" || !strings.Contains(b.APIVersion, "/") {
		errs = append(errs, field.Invalid(bp.Child("apiVersion"), b.APIVersion, "must be group/version of the backend, e.g. dataservices.anynines.com/v1"))
	}
	errs = append(errs, validateKind(bp.Child("kind"), b.Kind)...)
	errs = append(errs, validateComposed(bp, rb.base, rb.baseErr, b.Base, b.Status, b.ReadinessChecks, b.ConnectionDetails)...)
	if pc := b.ProviderConfig; pc != nil {
		if pc.Name != "" && pc.FromField != "" {
			errs = append(errs, field.Invalid(bp.Child("providerConfig"), pc.Name, "set name or fromField, not both"))
		}
		if pc.Format != "" && strings.Count(pc.Format, "%s") != 1 {
			errs = append(errs, field.Invalid(bp.Child("providerConfig", "format"), pc.Format, "must contain %s exactly once"))
		}
		if pc.Disabled && (pc.Name != "" || pc.FromField != "" || pc.Format != "") {
			errs = append(errs, field.Invalid(bp.Child("providerConfig", "disabled"), true, "a disabled providerConfig names none: remove name, fromField and format, or disabled"))
		}
	}
	if b.NoParameters && b.ParametersTo != "" {
		errs = append(errs, field.Invalid(bp.Child("parametersTo"), b.ParametersTo, "noParameters passes none: remove parametersTo or noParameters"))
	}
	if cs := b.ConnectionSecret; cs != nil && strings.Count(cs.NameFormat, "%s") != 1 {
		errs = append(errs, field.Invalid(bp.Child("connectionSecret", "nameFormat"), cs.NameFormat, "must contain %s exactly once, e.g. %s-creds"))
	}
	if b.ClaimLabels != nil && *b.ClaimLabels && m.line == xpline.V2 {
		errs = append(errs, field.Forbidden(bp.Child("claimLabels"), "Crossplane v2 has no claims to take labels from"))
	}
	if b.ParametersTo != "" {
		errs = append(errs, validateFieldPath(bp.Child("parametersTo"), b.ParametersTo)...)
	}
	return errs
}

func (m *model) validateFields(sp *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{"service": m.hasService, "plan": m.hasPlan, "parameters": m.spec.Parameters != nil}
	for i, rf := range m.fields {
		f := rf.spec
		fp := sp.Child("fields").Index(i)
		if !lowerCamel.MatchString(f.Name) {
			errs = append(errs, field.Invalid(fp.Child("name"), f.Name, "must be lowerCamelCase, e.g. instanceRef"))
		}
		if slices.Contains(v1alpha1.CrossplaneSpecFields, f.Name) {
			errs = append(errs, field.Invalid(fp.Child("name"), f.Name, "Crossplane adds this field to every composite and claim; choose another name"))
		}
		if seen[f.Name] {
			errs = append(errs, field.Duplicate(fp.Child("name"), f.Name))
		}
		seen[f.Name] = true
		errs = append(errs, rf.errs...)
	}
	return errs
}

func (m *model) validateParameters(p *field.Path) field.ErrorList {
	ps := m.spec.Parameters
	if ps == nil {
		return nil
	}
	if len(m.paramsErrs) > 0 {
		return m.paramsErrs
	}
	var errs field.ErrorList
	schema := m.params
	if schema.Type != "object" {
		errs = append(errs, field.Invalid(p.Child("schema", "type"), schema.Type, "spec.parameters must be an object: set type: object and list the parameters under properties"))
	}
	if len(m.leaves) > MaxParameters {
		errs = append(errs, field.TooMany(p.Child("schema"), len(m.leaves), MaxParameters))
	}
	seen := map[string]bool{}
	for i, k := range ps.Keys {
		kp := p.Child("keys").Index(i)
		if _, ok := schema.Properties[k.Parameter]; !ok {
			errs = append(errs, field.NotFound(kp.Child("parameter"), k.Parameter))
		}
		if seen[k.Parameter] {
			errs = append(errs, field.Duplicate(kp.Child("parameter"), k.Parameter))
		}
		seen[k.Parameter] = true
		if k.Key == "" {
			errs = append(errs, field.Required(kp.Child("key"), "the backend's key for "+k.Parameter))
		}
	}
	return errs
}

func (m *model) validatePlanChanges(p *field.Path) field.ErrorList {
	if m.spec.Plan == nil {
		return nil
	}
	var errs field.ErrorList
	var plans []string
	for _, rc := range m.compositions {
		c := rc.spec
		plans = append(plans, c.Plans...)
	}
	inPlans := func(tok string) bool {
		for _, pl := range plans {
			if strings.Contains(pl, tok) {
				return true
			}
		}
		return false
	}
	checkToken := func(tp *field.Path, tok, what string) {
		switch {
		case tok == "":
			errs = append(errs, field.Required(tp, "name the "+what+" as a substring of plan names"))
		case !planToken.MatchString(tok):
			errs = append(errs, field.Invalid(tp, tok, "may hold only letters, digits, '.', '_' and '-'"))
		case !inPlans(tok):
			errs = append(errs, field.Invalid(tp, tok, fmt.Sprintf("no plan name contains %q: a %s must be a substring of plan names, e.g. %s", tok, what, examplePlan(plans))))
		}
	}
	hp := field.NewPath("spec", "plan", "hidden")
	for i, h := range m.spec.Plan.Hidden {
		if !slices.Contains(plans, h) {
			errs = append(errs, field.NotFound(hp.Index(i), h))
		}
		if slices.Contains(m.spec.Plan.Hidden[:i], h) {
			errs = append(errs, field.Duplicate(hp.Index(i), h))
		}
	}
	for i, c := range m.spec.Plan.Changes {
		cp := p.Index(i)
		set := 0
		if n := c.NoDownsizing; n != nil {
			set++
			seen := map[string]bool{}
			for j, sz := range n.Sizes {
				checkToken(cp.Child("noDownsizing", "sizes").Index(j), sz, "size")
				if seen[sz] {
					errs = append(errs, field.Duplicate(cp.Child("noDownsizing", "sizes").Index(j), sz))
				}
				seen[sz] = true
			}
			if len(n.Sizes) < 2 {
				errs = append(errs, field.Invalid(cp.Child("noDownsizing", "sizes"), n.Sizes, "list at least two sizes, smallest first, e.g. [nano, small, big]"))
			}
			for j, t := range n.To {
				if !seen[t] {
					errs = append(errs, field.NotFound(cp.Child("noDownsizing", "to").Index(j), t))
				} else if t == n.Sizes[len(n.Sizes)-1] {
					errs = append(errs, field.Invalid(cp.Child("noDownsizing", "to").Index(j), t, "nothing is bigger than the biggest size: remove it"))
				}
			}
		}
		if o := c.OneWay; o != nil {
			set++
			checkToken(cp.Child("oneWay", "from"), o.From, "plan family")
			checkToken(cp.Child("oneWay", "to"), o.To, "plan family")
		}
		if k := c.Keep; k != nil {
			set++
			checkToken(cp.Child("keep", "feature"), k.Feature, "plan feature")
		}
		if c.Immutable {
			set++
		}
		if c.Rule != "" {
			set++
		}
		if set != 1 {
			errs = append(errs, field.Invalid(cp, set, "set exactly one of noDownsizing, oneWay, keep, immutable or rule"))
		}
	}
	return errs
}

func examplePlan(plans []string) string {
	if len(plans) == 0 {
		return "(no plans are declared)"
	}
	return plans[0]
}

// validateCompositionRefs checks what refers to parameters and fields: mappings and exclusive
// parameters.
func (m *model) validateCompositionRefs(sp *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, c := range m.spec.Compositions {
		cp := sp.Child("compositions").Index(i)
		for j, pn := range c.ExclusiveParameters {
			if m.params == nil || m.params.Properties == nil {
				errs = append(errs, field.NotFound(cp.Child("exclusiveParameters").Index(j), pn))
				continue
			}
			if _, ok := m.params.Properties[pn]; !ok {
				errs = append(errs, field.NotFound(cp.Child("exclusiveParameters").Index(j), pn))
			}
		}
		b := c.Backend
		if b == nil {
			continue
		}
		if pc := b.ProviderConfig; pc != nil && pc.FromField != "" {
			if msg := m.sourceProblem(pc.FromField); msg != "" {
				errs = append(errs, field.Invalid(cp.Child("backend", "providerConfig", "fromField"), pc.FromField, msg))
			}
		}
	}
	return errs
}

// sourceProblem says why a composite field path cannot be a mapping source, or "" when it can.
func (m *model) sourceProblem(path string) string {
	segs, err := fieldpath.Parse(path)
	if err != nil {
		return "not a field path: " + err.Error()
	}
	if len(segs) < 2 || segs[0].Field == "" {
		return "must be a path into the composite, e.g. spec.plan"
	}
	switch segs[0].Field {
	case "metadata":
		return ""
	case "spec":
	default:
		return "mappings read the composite's spec or metadata, e.g. spec.plan"
	}
	top := segs[1].Field
	switch {
	case top == "service" && m.hasService, top == "plan" && m.hasPlan:
		return ""
	case top == "parameters" && m.params != nil:
		if schemaHas(m.params, segs[2:]) {
			return ""
		}
	case slices.Contains(v1alpha1.CrossplaneSpecFields, top):
		return ""
	}
	for _, f := range m.fields {
		if f.spec.Name == top && schemaHas(&f.schema, segs[2:]) {
			return ""
		}
	}
	return fmt.Sprintf("spec has no field %s: declare it under spec.fields (or parameters), or fix the path", strings.TrimPrefix(path, "spec."))
}

func (m *model) validateExport(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if m.kubeBind != nil {
		errs = append(errs, m.validateKubeBind(p.Child("kubeBind"))...)
	}
	re := m.export
	if re == nil {
		return errs
	}
	for _, msg := range validation.IsDNS1123Subdomain(re.name) {
		errs = append(errs, field.Invalid(p.Child("name"), re.name, msg))
	}
	for _, msg := range validation.IsDNS1123Label(re.namespace) {
		errs = append(errs, field.Invalid(p.Child("namespace"), re.namespace, msg))
	}
	errs = append(errs, validatePlural(p.Child("resource"), re.resource)...)
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
	for _, msg := range validation.IsDNS1123Subdomain(r.name) {
		errs = append(errs, field.Invalid(p.Child("name"), r.name, msg))
	}
	served := map[string]bool{}
	for _, v := range m.versions {
		if *v.Served {
			served[v.Name] = true
		}
	}
	for i, v := range r.spec.Versions {
		if !served[v] {
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
