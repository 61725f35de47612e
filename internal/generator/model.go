package generator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
)

// model is a DataService with every default applied and every embedded schema parsed: the generator
// builds from it and never looks at defaults again.
type model struct {
	name     string
	d        inputv1beta1.Defaults
	spec     *v1alpha1.DataServiceSpec
	line     string
	group    string
	kind     string // what app developers create: claim kind on v1, composite kind on v2
	plural   string
	xrKind   string
	xrPlural string
	scope    string // v2 only

	versions   []v1alpha1.APIVersion // served and referenceable resolved
	refVersion string

	hasService bool
	hasPlan    bool

	fields []resolvedField
	params *extv1.JSONSchemaProps
	leaves []paramLeaf

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
}

type resolvedComposition struct {
	spec  v1alpha1.Composition
	index int
	base  map[string]any
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

var (
	camelKind  = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)
	lowerCamel = regexp.MustCompile(`^[a-z][A-Za-z0-9]*$`)
	planToken  = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
)

// resolve applies defaults and validates everything that can be checked on the spec itself. What
// only the API server can judge (structural schemas, CEL) is checked on the generated XRD.
func resolve(ds *v1alpha1.DataService, d inputv1beta1.Defaults) (*model, field.ErrorList) {
	var errs field.ErrorList
	sp := field.NewPath("spec")
	s := &ds.Spec
	m := &model{name: ds.GetName(), d: d, spec: s}

	if m.name == "" {
		errs = append(errs, field.Required(field.NewPath("metadata", "name"), "name the DataService, e.g. mongodb: it names the ProviderConfig by default"))
	} else {
		for _, msg := range validation.IsDNS1123Subdomain(m.name) {
			errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), m.name, msg))
		}
	}

	m.line = s.CrossplaneVersion
	if m.line == "" {
		m.line = d.CrossplaneVersion
	}
	if m.line != v1alpha1.CrossplaneV1 && m.line != v1alpha1.CrossplaneV2 {
		errs = append(errs, field.NotSupported(sp.Child("crossplaneVersion"), m.line, []string{v1alpha1.CrossplaneV1, v1alpha1.CrossplaneV2}))
	}

	m.group = s.Group
	errs = append(errs, validateGroup(sp.Child("group"), s.Group)...)
	m.kind = s.Kind
	errs = append(errs, validateKind(sp.Child("kind"), s.Kind)...)
	m.plural = s.Plural
	if m.plural == "" {
		m.plural = strings.ToLower(s.Kind) + "s"
	}
	errs = append(errs, validatePlural(sp.Child("plural"), m.plural)...)

	switch m.line {
	case v1alpha1.CrossplaneV2:
		m.xrKind, m.xrPlural = m.kind, m.plural
		m.scope = s.Scope
		if m.scope == "" {
			m.scope = v1alpha1.ScopeNamespaced
		}
		if s.Composite != nil {
			errs = append(errs, field.Forbidden(sp.Child("composite"), "Crossplane v2 has no claims: spec.kind is the composite kind; remove spec.composite"))
		}
	default:
		m.xrKind, m.xrPlural = "X"+m.kind, "x"+m.plural
		if c := s.Composite; c != nil {
			if c.Kind != "" {
				m.xrKind = c.Kind
				errs = append(errs, validateKind(sp.Child("composite", "kind"), c.Kind)...)
			}
			if c.Plural != "" {
				m.xrPlural = c.Plural
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
	}

	errs = append(errs, validateNameList(sp.Child("categories"), s.Categories)...)
	errs = append(errs, validateNameList(sp.Child("shortNames"), s.ShortNames)...)
	errs = append(errs, m.resolveVersions(sp.Child("versions"))...)
	errs = append(errs, m.resolveCompositions(sp)...)
	errs = append(errs, m.resolveFields(sp)...)
	errs = append(errs, m.resolveParameters(sp.Child("parameters"))...)
	errs = append(errs, m.validatePlanChanges(sp.Child("plan", "changes"))...)
	errs = append(errs, m.validateCompositionRefs(sp)...)
	errs = append(errs, m.resolveExport(sp.Child("export"))...)
	return m, errs
}

func (m *model) resolveVersions(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	vs := m.spec.Versions
	if len(vs) == 0 {
		vs = []v1alpha1.APIVersion{{Name: "v1"}}
	}
	seen := map[string]bool{}
	refs := 0
	for i, v := range vs {
		vp := p.Index(i).Child("name")
		for _, msg := range validation.IsDNS1035Label(v.Name) {
			errs = append(errs, field.Invalid(vp, v.Name, msg+" (versions are named like v1, v1beta1)"))
		}
		if seen[v.Name] {
			errs = append(errs, field.Duplicate(vp, v.Name))
		}
		seen[v.Name] = true
		if v.Served == nil {
			t := true
			v.Served = &t
		}
		if v.Referenceable {
			refs++
		}
		m.versions = append(m.versions, v)
	}
	switch {
	case refs == 0:
		m.versions[len(m.versions)-1].Referenceable = true
	case refs > 1:
		errs = append(errs, field.Invalid(p, refs, "exactly one version may be referenceable (it is the storage version Compositions reference)"))
	}
	for _, v := range m.versions {
		if v.Referenceable {
			m.refVersion = v.Name
			if !*v.Served {
				errs = append(errs, field.Invalid(p, v.Name, "the referenceable version must be served"))
			}
		}
	}
	return errs
}

func (m *model) resolveCompositions(sp *field.Path) field.ErrorList {
	var errs field.ErrorList
	p := sp.Child("compositions")
	if len(m.spec.Compositions) == 0 {
		errs = append(errs, field.Required(p, "add at least one composition, e.g. {name: a9s-mongodb, services: [...], plans: [...], backend: {...}}"))
	}
	seen := map[string]bool{}
	for i, c := range m.spec.Compositions {
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
		if len(c.Services) > 0 {
			m.hasService = true
		}
		if len(c.Plans) > 0 {
			m.hasPlan = true
		}
		rc := resolvedComposition{spec: c, index: i}
		if b := c.Backend; b != nil {
			bp := cp.Child("backend")
			if b.APIVersion == "" || !strings.Contains(b.APIVersion, "/") {
				errs = append(errs, field.Invalid(bp.Child("apiVersion"), b.APIVersion, "must be group/version of the backend, e.g. dataservices.anynines.com/v1"))
			}
			errs = append(errs, validateKind(bp.Child("kind"), b.Kind)...)
			if b.Base != nil && len(b.Base.Raw) > 0 {
				base := map[string]any{}
				if err := json.Unmarshal(b.Base.Raw, &base); err != nil {
					errs = append(errs, field.Invalid(bp.Child("base"), string(b.Base.Raw), "must be an object: "+err.Error()))
				}
				for _, k := range []string{"apiVersion", "kind"} {
					if _, ok := base[k]; ok {
						errs = append(errs, field.Forbidden(bp.Child("base", k), "set backend."+k+" instead of base."+k))
					}
				}
				rc.base = base
			}
			if pc := b.ProviderConfig; pc != nil {
				if pc.Name != "" && pc.FromField != "" {
					errs = append(errs, field.Invalid(bp.Child("providerConfig"), pc.Name, "set name or fromField, not both"))
				}
				if pc.Format != "" && strings.Count(pc.Format, "%s") != 1 {
					errs = append(errs, field.Invalid(bp.Child("providerConfig", "format"), pc.Format, "must contain %s exactly once"))
				}
			}
			if cs := b.ConnectionSecret; cs != nil && strings.Count(cs.NameFormat, "%s") != 1 {
				errs = append(errs, field.Invalid(bp.Child("connectionSecret", "nameFormat"), cs.NameFormat, "must contain %s exactly once, e.g. %s-creds"))
			}
			if b.ClaimLabels != nil && *b.ClaimLabels && m.line == v1alpha1.CrossplaneV2 {
				errs = append(errs, field.Forbidden(bp.Child("claimLabels"), "Crossplane v2 has no claims to take labels from"))
			}
			for j, f := range b.Fields {
				fp := bp.Child("fields").Index(j)
				errs = append(errs, validateFieldPath(fp.Child("to"), f.To)...)
				if f.Format != "" && strings.Count(f.Format, "%s") != 1 {
					errs = append(errs, field.Invalid(fp.Child("format"), f.Format, "must contain %s exactly once"))
				}
			}
			if b.ParametersTo != "" {
				errs = append(errs, validateFieldPath(bp.Child("parametersTo"), b.ParametersTo)...)
			}
			for j, st := range b.Status {
				sp := bp.Child("status").Index(j)
				errs = append(errs, validateFieldPath(sp.Child("from"), st.From)...)
				if st.To != "" {
					errs = append(errs, validateFieldPath(sp.Child("to"), st.To)...)
					if !strings.HasPrefix(st.To, "status.") {
						errs = append(errs, field.Invalid(sp.Child("to"), st.To, "must be below status. of the composite"))
					}
				}
			}
		}
		m.compositions = append(m.compositions, rc)
	}
	m.defaultComposition = m.spec.DefaultComposition
	if m.defaultComposition == "" && len(m.spec.Compositions) > 0 {
		m.defaultComposition = m.spec.Compositions[0].Name
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

func (m *model) resolveFields(sp *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{"service": m.hasService, "plan": m.hasPlan, "parameters": m.spec.Parameters != nil}
	for i, f := range m.spec.Fields {
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
		var schema extv1.JSONSchemaProps
		if err := decodeSchema(f.Schema, &schema); err != nil {
			errs = append(errs, errorAt(fp.Child("schema"), err))
		} else if serrs := checkSchemaSize(fp.Child("schema"), &schema, &m.nodes); len(serrs) > 0 {
			m.tooBig = true
			return append(errs, serrs...)
		}
		m.fields = append(m.fields, resolvedField{spec: f, schema: schema})
	}
	return errs
}

func (m *model) resolveParameters(p *field.Path) field.ErrorList {
	ps := m.spec.Parameters
	if ps == nil {
		return nil
	}
	var errs field.ErrorList
	schema := &extv1.JSONSchemaProps{}
	if err := decodeSchema(ps.Schema, schema); err != nil {
		return append(errs, errorAt(p.Child("schema"), err))
	}
	if serrs := checkSchemaSize(p.Child("schema"), schema, &m.nodes); len(serrs) > 0 {
		m.tooBig = true
		return append(errs, serrs...)
	}
	if schema.Type != "object" {
		errs = append(errs, field.Invalid(p.Child("schema", "type"), schema.Type, "spec.parameters must be an object: set type: object and list the parameters under properties"))
	}
	m.params = schema
	m.leaves = leavesOf(schema, nil)
	if len(m.leaves) > MaxParameters {
		m.tooBig = true
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

// leavesOf lists the values passed to the backend one by one, sorted by path. Properties are a map,
// so their declared order is not kept by every decoder: sorting makes the CLI and the function
// (which receives the spec as a protobuf Struct) generate the same patches.
func leavesOf(s *extv1.JSONSchemaProps, prefix []string) []paramLeaf {
	if s.Type != "object" || len(s.Properties) == 0 {
		if len(prefix) == 0 {
			return nil
		}
		return []paramLeaf{{path: slices.Clone(prefix)}}
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []paramLeaf
	for _, n := range names {
		child := s.Properties[n]
		out = append(out, leavesOf(&child, append(prefix, n))...)
	}
	return out
}

func (m *model) validatePlanChanges(p *field.Path) field.ErrorList {
	if m.spec.Plan == nil {
		return nil
	}
	var errs field.ErrorList
	var plans []string
	for _, c := range m.spec.Compositions {
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
		for j, f := range b.Fields {
			if msg := m.sourceProblem(f.From); msg != "" {
				errs = append(errs, field.Invalid(cp.Child("backend", "fields").Index(j).Child("from"), f.From, msg))
			}
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

func schemaHas(s *extv1.JSONSchemaProps, segs fieldpath.Segments) bool {
	for _, seg := range segs {
		switch {
		case seg.Type == fieldpath.SegmentIndex && s.Items != nil && s.Items.Schema != nil:
			s = s.Items.Schema
		case seg.Type == fieldpath.SegmentField && s.Properties != nil:
			c, ok := s.Properties[seg.Field]
			if !ok {
				return false
			}
			s = &c
		case s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields:
			return true
		default:
			return false
		}
	}
	return true
}

func (m *model) resolveExport(p *field.Path) field.ErrorList {
	e := m.spec.Export
	var errs field.ErrorList
	if e != nil && e.KubeBind != nil {
		errs = append(errs, m.resolveKubeBind(p.Child("kubeBind"))...)
	}
	if e != nil && e.Disabled {
		return errs
	}
	re := &resolvedExport{spec: e, namespace: m.d.ExportNamespace, resource: m.plural}
	if e == nil {
		re.spec = &v1alpha1.Export{}
	} else {
		if e.Namespace != "" {
			re.namespace = e.Namespace
		}
		if e.Resource != "" {
			re.resource = e.Resource
		}
		re.name = e.Name
	}
	if re.name == "" {
		re.name = re.resource
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
	m.export = re
	return errs
}

func (m *model) servedAPI() v1alpha1.ServedAPI {
	return v1alpha1.ServedAPI{
		Group: m.group, Version: m.refVersion, Kind: m.kind, Resource: m.plural,
		CompositeKind: m.xrKind, CompositeResource: m.xrPlural,
	}
}

// compositionRefPath is where a claim (v1) or namespaced composite (v2) names its Composition.
func (m *model) compositionRefPath() string { return CompositionRefPath(m.line) }

// schemaError is a schema that does not decode, located below the schema field where possible.
type schemaError struct {
	at  string // path below the schema, e.g. properties.maxMemory
	msg string
}

func (e *schemaError) Error() string { return e.msg }

// errorAt reports a schema error at its location below p.
func errorAt(p *field.Path, err error) *field.Error {
	var se *schemaError
	if errors.As(err, &se) && se.at != "" {
		for _, s := range strings.Split(se.at, ".") {
			p = p.Child(s)
		}
		return field.Invalid(p, se.msg, "not an OpenAPI v3 schema keyword: check its spelling and indentation")
	}
	return field.Invalid(p, "", err.Error())
}

func decodeSchema(raw runtime.RawExtension, into *extv1.JSONSchemaProps) error {
	if len(raw.Raw) == 0 {
		return fmt.Errorf("is empty: give an OpenAPI v3 schema, e.g. {type: string}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw.Raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		var key string
		if _, serr := fmt.Sscanf(err.Error(), "json: unknown field %q", &key); serr == nil {
			var m any
			_ = json.Unmarshal(raw.Raw, &m)
			return &schemaError{at: locateKey(m, key), msg: key}
		}
		return fmt.Errorf("is not an OpenAPI v3 schema: %v", err)
	}
	return nil
}

// locateKey finds where a key occurs in a decoded schema, as a dotted path ("" at the top).
func locateKey(v any, key string) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if _, ok := m[key]; ok {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch c := m[k].(type) {
		case map[string]any:
			if _, ok := c[key]; ok {
				return k
			}
			if p := locateKey(c, key); p != "" {
				return k + "." + p
			}
		}
	}
	return ""
}

func validateGroup(p *field.Path, g string) field.ErrorList {
	var errs field.ErrorList
	if g == "" {
		return append(errs, field.Required(p, "e.g. anynines.com"))
	}
	for _, msg := range validation.IsDNS1123Subdomain(g) {
		errs = append(errs, field.Invalid(p, g, msg))
	}
	if !strings.Contains(g, ".") {
		errs = append(errs, field.Invalid(p, g, "must contain a dot, e.g. "+g+".example.com"))
	}
	return errs
}

func validateKind(p *field.Path, k string) field.ErrorList {
	if k == "" {
		return field.ErrorList{field.Required(p, "a CamelCase kind, e.g. MongodbInstance")}
	}
	if !camelKind.MatchString(k) {
		return field.ErrorList{field.Invalid(p, k, "must be CamelCase: a capital letter, then letters and digits, e.g. MongodbInstance")}
	}
	return nil
}

func validatePlural(p *field.Path, pl string) field.ErrorList {
	var errs field.ErrorList
	if pl != strings.ToLower(pl) {
		return append(errs, field.Invalid(p, pl, "must be lower case, e.g. "+strings.ToLower(pl)))
	}
	for _, msg := range validation.IsDNS1035Label(pl) {
		errs = append(errs, field.Invalid(p, pl, msg))
	}
	return errs
}

func validateNameList(p *field.Path, names []string) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, n := range names {
		for _, msg := range validation.IsDNS1035Label(n) {
			errs = append(errs, field.Invalid(p.Index(i), n, msg))
		}
		if seen[n] {
			errs = append(errs, field.Duplicate(p.Index(i), n))
		}
		seen[n] = true
	}
	return errs
}

func validateTokens(p *field.Path, toks []string, what string) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, t := range toks {
		if !planToken.MatchString(t) {
			errs = append(errs, field.Invalid(p.Index(i), t, "a "+what+" name may hold only letters, digits, '.', '_' and '-'"))
		}
		if seen[t] {
			errs = append(errs, field.Duplicate(p.Index(i), t))
		}
		seen[t] = true
	}
	return errs
}

func validateFieldPath(p *field.Path, path string) field.ErrorList {
	if path == "" {
		return field.ErrorList{field.Required(p, "a field path, e.g. spec.forProvider.planName")}
	}
	if _, err := fieldpath.Parse(path); err != nil {
		return field.ErrorList{field.Invalid(p, path, "not a field path: "+err.Error())}
	}
	return nil
}

func (m *model) resolveKubeBind(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	kb := m.spec.Export.KubeBind
	r := &resolvedKubeBind{spec: kb, resource: m.plural, versions: kb.Versions}
	if m.spec.Export.Resource != "" {
		r.resource = m.spec.Export.Resource
	}
	r.name = kb.Name
	if r.name == "" {
		r.name = r.resource + "." + m.group
	}
	for _, msg := range validation.IsDNS1123Subdomain(r.name) {
		errs = append(errs, field.Invalid(p.Child("name"), r.name, msg))
	}
	served := map[string]bool{}
	for _, v := range m.versions {
		if *v.Served {
			served[v.Name] = true
			if len(kb.Versions) == 0 {
				r.versions = append(r.versions, v.Name)
			}
		}
	}
	for i, v := range kb.Versions {
		if !served[v] {
			errs = append(errs, field.Invalid(p.Child("versions").Index(i), v, "not a served version of the API: export one of spec.versions"))
		}
	}
	for i, pc := range kb.PermissionClaims {
		if pc.Resource == "" {
			errs = append(errs, field.Required(p.Child("permissionClaims").Index(i).Child("resource"), "e.g. secrets"))
		}
	}
	m.kubeBind = r
	return errs
}
