package generator

import (
	"fmt"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// A rule is one check of a resolved DataService: it returns every problem it finds, each with the
// field path of the spec and the fix.
type rule func(m *model) field.ErrorList

// rules are every check of a DataService, in the order their errors are reported: the one place
// a reader finds them all. A rule file (validate_*.go, names.go, resources.go …) defines its
// checks and adds them here. What only the API server can judge (structural schemas, CEL) is
// checked on the generated XRD (check.go).
var rules = []rule{
	(*model).validateIdentity,
	(*model).validateVersions,
	(*model).validateCompositions,
	(*model).validateComposedScopes, // scope.go
	(*model).validateFields,
	(*model).validateParameters,
	(*model).validatePlanChanges,
	(*model).validateCatalogs,
	(*model).validateCompositionRefs,
	(*model).validateExport,
	// What the API may make Crossplane compose (safety.go), claim from app clusters (claims.go)
	// and export (exportcheck.go).
	(*model).validatePrivileges,
	(*model).validateClaims,
	(*model).validateOwnership,
}

// validate runs every rule on the resolved spec and returns every problem, in the order of rules;
// then what the DataService's own schema refuses beside them (schemacheck.go), which needs to
// know what the rules reported.
func validate(m *model) field.ErrorList {
	var errs field.ErrorList
	for _, r := range rules {
		errs = append(errs, r(m)...)
	}
	if !m.tooBig {
		errs = append(errs, m.validateSchema(errs)...)
	}
	return errs
}

// msgParametersTo says why a backend that is not an a9s broker's needs parametersTo.
const msgParametersTo = "%s %s takes the DataService's parameters only where parametersTo says (it is not an a9s service broker's kind, which takes them at %s): set parametersTo to the field that holds them, e.g. spec.forProvider.manifest.spec.config, or noParameters: true and map them one by one under fields"

// specPath is where every rule's paths start.
var specPath = field.NewPath("spec")

// validateIdentity checks what names the API: the DataService, its line, group, kinds and plurals,
// categories and short names.
func (m *model) validateIdentity() field.ErrorList {
	var errs field.ErrorList
	sp := specPath
	s := m.spec

	if m.Name == "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "name"), "name the DataService, e.g. mongodb: it names the ProviderConfig by default"))
	} else {
		for _, msg := range validation.IsDNS1123Subdomain(m.Name) {
			errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), m.Name, msg))
		}
	}
	if _, ok := xpline.Named(m.lineName); !ok {
		errs = append(errs, field.NotSupported(sp.Child("crossplaneVersion"), m.lineName, xpline.Names()))
	}

	errs = append(errs, validateGroup(sp.Child("group"), s.Group)...)
	errs = append(errs, validateKind(sp.Child("kind"), s.Kind)...)
	errs = append(errs, validatePlural(sp.Child("plural"), m.Plural)...)

	if m.Line.Claims {
		if c := s.Composite; c != nil {
			if c.Kind != "" {
				errs = append(errs, validateKind(sp.Child("composite", "kind"), c.Kind)...)
			}
			if c.Plural != "" {
				errs = append(errs, validatePlural(sp.Child("composite", "plural"), c.Plural)...)
			}
		}
		if m.CompositeKind == m.Kind {
			errs = append(errs, field.Invalid(sp.Child("composite", "kind"), m.CompositeKind, "the composite kind must differ from the claim kind spec.kind"))
		}
		if m.CompositePlural == m.Plural {
			errs = append(errs, field.Invalid(sp.Child("composite", "plural"), m.CompositePlural, "the composite plural must differ from the claim plural"))
		}
		if s.Scope != "" {
			errs = append(errs, field.Forbidden(sp.Child("scope"), "scope applies to Crossplane v2 only: v1 composites are cluster scoped and claims namespaced; remove spec.scope or set spec.crossplaneVersion: v2"))
		}
	} else if s.Composite != nil {
		errs = append(errs, field.Forbidden(sp.Child("composite"), "Crossplane v2 has no claims: spec.kind is the composite kind; remove spec.composite"))
	}

	errs = append(errs, validateNameList(sp.Child("categories"), s.Categories)...)
	errs = append(errs, validateNameList(sp.Child("shortNames"), s.ShortNames)...)
	return errs
}

// validateCatalogs reports what is wrong with the declarations of the plan and service catalogs.
func (m *model) validateCatalogs() field.ErrorList { return m.catalogErrs }

func (m *model) validateVersions() field.ErrorList {
	var errs field.ErrorList
	p := specPath.Child("versions")
	seen := map[string]bool{}
	for i, v := range m.Versions {
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
	for _, v := range m.Versions {
		if v.Referenceable && !v.Served {
			errs = append(errs, field.Invalid(p, v.Name, "the referenceable version must be served"))
		}
	}
	return errs
}

func (m *model) validateCompositions() field.ErrorList {
	var errs field.ErrorList
	sp := specPath
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
		// The names a composition lists; the catalog's are checked where they are declared.
		errs = append(errs, validateTokens(cp.Child("services"), c.Services, "service")...)
		errs = append(errs, validateTokens(cp.Child("plans"), c.Plans, "plan")...)
		if rc.backend != nil {
			errs = append(errs, m.validateBackend(cp.Child("backend"), rc.backend)...)
			errs = append(errs, m.validateMappings(&m.compositions[i], cp.Child("backend", "fields"), rc.backend.spec.Fields)...)
		}
		errs = append(errs, m.validateResources(cp, &m.compositions[i])...)
		errs = append(errs, m.validateCatalogOfferings(cp, &m.compositions[i])...)
	}
	if m.DefaultComposition != "" && !seen[m.DefaultComposition] {
		errs = append(errs, field.NotFound(sp.Child("defaultComposition"), m.DefaultComposition))
	}
	if m.spec.Service != nil && m.Service == nil {
		errs = append(errs, field.Invalid(sp.Child("service"), "", "no composition offers services: list them under spec.compositions[].services or remove spec.service"))
	}
	if m.spec.Plan != nil && m.Plan == nil {
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
	if !b.NoParameters && b.ParametersTo == "" && !rb.broker && m.spec.Parameters != nil {
		errs = append(errs, field.Required(bp.Child("parametersTo"), fmt.Sprintf(msgParametersTo, b.APIVersion, b.Kind, inputv1beta1.DefaultParametersTo)))
	}
	if b.NoParameters && b.ParametersTo != "" {
		errs = append(errs, field.Invalid(bp.Child("parametersTo"), b.ParametersTo, "noParameters passes none: remove parametersTo or noParameters"))
	}
	if cs := b.ConnectionSecret; cs != nil && strings.Count(cs.NameFormat, "%s") != 1 {
		errs = append(errs, field.Invalid(bp.Child("connectionSecret", "nameFormat"), cs.NameFormat, "must contain %s exactly once, e.g. %s-creds"))
	}
	if b.ClaimLabels != nil && *b.ClaimLabels && m.Line == xpline.V2 {
		errs = append(errs, field.Forbidden(bp.Child("claimLabels"), "Crossplane v2 has no claims to take labels from"))
	}
	if b.ParametersTo != "" {
		errs = append(errs, validateFieldPath(bp.Child("parametersTo"), b.ParametersTo)...)
	}
	return errs
}

func (m *model) validateFields() field.ErrorList {
	var errs field.ErrorList
	sp := specPath
	seen := map[string]bool{"service": m.Service != nil, "plan": m.Plan != nil, "parameters": m.spec.Parameters != nil}
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

func (m *model) validateParameters() field.ErrorList {
	p := specPath.Child("parameters")
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

// validateCompositionRefs checks what refers to parameters and fields: mappings and exclusive
// parameters.
func (m *model) validateCompositionRefs() field.ErrorList {
	var errs field.ErrorList
	sp := specPath
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
	case top == "service" && m.Service != nil, top == "plan" && m.Plan != nil:
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
