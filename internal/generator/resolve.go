package generator

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/resolved"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// resolve applies every default, once: those of the DataService's API (names, versions, the
// Crossplane line) and those of the pipeline input d, and parses the schemas and bases the spec
// embeds. It reports nothing: what it cannot parse it keeps on the model for validate, which says
// where. d must have its fallbacks applied.
func resolve(ds *v1alpha1.DataService, d inputv1beta1.Defaults) *model {
	s := &ds.Spec
	m := &model{API: &resolved.API{Name: ds.GetName()}, spec: s}

	m.lineName = s.CrossplaneVersion
	if m.lineName == "" {
		m.lineName = d.CrossplaneVersion
	}
	// An unknown line is reported by validate; the default line keeps building the XRD for the
	// API server's checks of the rest.
	var ok bool
	if m.Line, ok = xpline.Named(m.lineName); !ok {
		m.Line = xpline.Default
	}

	m.Group, m.Kind = s.Group, s.Kind
	m.Plural = s.Plural
	if m.Plural == "" {
		m.Plural = strings.ToLower(s.Kind) + "s"
	}
	m.Categories, m.ShortNames = s.Categories, s.ShortNames
	m.ConnectionSecretKeys = s.ConnectionSecretKeys
	m.RequireCompositionRef = s.RequireCompositionRef
	if m.Line.Claims {
		m.CompositeKind, m.CompositePlural = "X"+m.Kind, "x"+m.Plural
		if c := s.Composite; c != nil {
			if c.Kind != "" {
				m.CompositeKind = c.Kind
			}
			if c.Plural != "" {
				m.CompositePlural = c.Plural
			}
		}
	} else {
		m.CompositeKind, m.CompositePlural = m.Kind, m.Plural
		m.Scope = s.Scope
		if m.Scope == "" {
			m.Scope = v1alpha1.ScopeNamespaced
		}
	}

	m.resolveVersions()
	m.resolveCompositions(d)
	m.resolveFields()
	m.resolveParameters()
	m.resolveExport(d)
	return m
}

func (m *model) resolveVersions() {
	vs := m.spec.Versions
	if len(vs) == 0 {
		vs = []v1alpha1.APIVersion{{Name: "v1"}}
	}
	for _, v := range vs {
		if v.Referenceable {
			m.refs++
		}
		m.Versions = append(m.Versions, resolved.Version{
			Name: v.Name, Served: v.Served == nil || *v.Served, Referenceable: v.Referenceable,
			Deprecated: v.Deprecated, DeprecationWarning: v.DeprecationWarning,
		})
	}
	if m.refs == 0 {
		m.Versions[len(m.Versions)-1].Referenceable = true
	}
}

// resolveCompositions decides what each composition offers, once: the services and plans it
// lists, or every one of the catalog when it lists none (resolved.Offered).
func (m *model) resolveCompositions(d inputv1beta1.Defaults) {
	m.resolveCatalogs()
	hasService, hasPlan := false, false
	m.Compositions = make([]resolved.Composition, len(m.spec.Compositions))
	for i, c := range m.spec.Compositions {
		rc := &m.Compositions[i]
		*rc = resolved.Composition{
			Name:                c.Name,
			Services:            resolved.Offered(c.Services, m.serviceCatalog.offers),
			Plans:               resolved.Offered(c.Plans, m.planCatalog.offers),
			ExclusiveParameters: c.ExclusiveParameters,
			Generated:           c.Backend != nil,
		}
		hasService = hasService || len(rc.Services) > 0
		hasPlan = hasPlan || len(rc.Plans) > 0
	}
	if hasService {
		m.Service = m.serviceCatalog.field()
		if sf := m.spec.Service; sf != nil {
			m.Service.Description, m.Service.Mutable = sf.Description, sf.Mutable
		}
	}
	if hasPlan {
		m.Plan = m.planCatalog.field()
		if pf := m.spec.Plan; pf != nil {
			m.Plan.Description, m.Plan.Hidden, m.Plan.Changes = pf.Description, pf.Hidden, pf.Changes
		}
	}
	for i, c := range m.spec.Compositions {
		rc := resolvedComposition{spec: c, offers: &m.Compositions[i], index: i}
		if c.Backend != nil {
			rc.backend = m.resolveBackend(i, c, d)
		}
		for _, r := range c.Resources {
			rr := resolvedResource{spec: r}
			rr.base, rr.baseErr = parseBase(r.Base)
			rr.status = statusTargets(r.Status)
			rc.resources = append(rc.resources, rr)
		}
		m.compositions = append(m.compositions, rc)
	}
	m.DefaultComposition = m.spec.DefaultComposition
	if m.DefaultComposition == "" && len(m.spec.Compositions) > 0 {
		m.DefaultComposition = m.spec.Compositions[0].Name
	}
	if m.spec.DeletePolicy != "" && !m.Line.Claims {
		m.notes = append(m.notes, fmt.Sprintf("spec.deletePolicy: %s is written to the XRD's defaultCompositeDeletePolicy, which does nothing on Crossplane %s (it applies to claims, and v2 has none): remove it unless you keep it to match an existing XRD", m.spec.DeletePolicy, m.Line.Name))
	}
}

// resolveCatalogs reads the values plans and services carry.
func (m *model) resolveCatalogs() {
	var plan, service field.ErrorList
	pp, sp := field.NewPath("spec", "plan"), field.NewPath("spec", "service")
	if p := m.spec.Plan; p != nil {
		m.planCatalog, plan = resolveCatalog(pp, resolved.FieldPlan, p.Values, p.Catalog)
	} else {
		m.planCatalog, _ = resolveCatalog(pp, resolved.FieldPlan, nil, nil)
	}
	if s := m.spec.Service; s != nil {
		m.serviceCatalog, service = resolveCatalog(sp, resolved.FieldService, s.Values, s.Catalog)
	} else {
		m.serviceCatalog, _ = resolveCatalog(sp, resolved.FieldService, nil, nil)
	}
	m.catalogErrs = append(plan, service...)
}

// brokerGroup is the API group of the a9s service brokers' kinds (provider-anynines).
const brokerGroup = "dataservices.anynines.com"

func (m *model) resolveBackend(i int, c v1alpha1.Composition, d inputv1beta1.Defaults) *resolvedBackend {
	b := c.Backend
	bp := field.NewPath("spec", "compositions").Index(i).Child("backend")
	group, _, _ := strings.Cut(b.APIVersion, "/")
	rb := &resolvedBackend{spec: b, broker: group == brokerGroup}
	rb.base, rb.baseErr = parseBase(b.Base)
	rb.functions = v1alpha1.Functions{PatchAndTransform: d.PatchAndTransform, AutoReady: d.AutoReady}
	if f := c.Functions; f != nil {
		if f.PatchAndTransform != "" {
			rb.functions.PatchAndTransform = f.PatchAndTransform
		}
		if f.AutoReady != "" {
			rb.functions.AutoReady = f.AutoReady
		}
	}
	rb.claimLabels = m.Line.Claims && (b.ClaimLabels == nil || *b.ClaimLabels)

	// The ProviderConfig name pattern of the input is an a9s broker's: another kind gets a
	// ProviderConfig only when the spec or the base names one.
	pc := b.ProviderConfig
	if rb.broker {
		rb.providerConfigFormat = d.ProviderConfigNameFormat
	}
	if pc != nil && pc.Format != "" {
		rb.providerConfigFormat = pc.Format
	}
	if !rb.broker && pc == nil && !hasPath(rb.base, "spec", "providerConfigRef", "name") && managedResourceGroup(group) {
		m.notes = append(m.notes, fmt.Sprintf("%s: %s %s gets no spec.providerConfigRef, so its provider's default ProviderConfig applies: set providerConfig.name to choose one, or providerConfig.disabled: true to say so", bp, b.APIVersion, b.Kind))
	}

	switch {
	case b.NoParameters:
	case b.ParametersTo != "":
		rb.parametersTo, _ = fieldpath.Parse(b.ParametersTo) // validate reports a path that does not parse
	case rb.broker || m.spec.Parameters == nil:
		// Where a9s brokers take them; validate refuses to guess it for any other kind.
		rb.parametersTo, _ = fieldpath.Parse(inputv1beta1.DefaultParametersTo)
	}
	rb.status = statusTargets(b.Status)
	return rb
}

// managedResourceGroup says whether a group is a Crossplane provider's, whose kinds take a
// ProviderConfig.
func managedResourceGroup(group string) bool {
	return strings.HasSuffix(group, ".crossplane.io") || strings.HasSuffix(group, ".upbound.io")
}

// parseBase reads the base of a composed resource.
func parseBase(raw *runtime.RawExtension) (map[string]any, error) {
	if raw == nil || len(raw.Raw) == 0 {
		return nil, nil
	}
	base := map[string]any{}
	err := json.Unmarshal(raw.Raw, &base)
	return base, err
}

// statusTargets sets the target of every status mapping: by default a status field lands below
// status.managed under its own name.
func statusTargets(in []v1alpha1.StatusMapping) []v1alpha1.StatusMapping {
	var out []v1alpha1.StatusMapping
	for _, st := range in {
		if st.To == "" {
			if segs, err := fieldpath.Parse(st.From); err == nil && len(segs) > 0 {
				st.To = "status.managed." + fieldSegments([]string{segs[len(segs)-1].Field}).String()
			}
		}
		out = append(out, st)
	}
	return out
}

// resolveFields parses the schema of every field, up to the first beyond the limits.
func (m *model) resolveFields() {
	for _, f := range m.spec.Fields {
		rf := resolvedField{spec: f}
		fp := field.NewPath("spec", "fields").Index(len(m.fields)).Child("schema")
		if err := decodeSchema(f.Schema, &rf.schema); err != nil {
			rf.errs = field.ErrorList{errorAt(fp, err)}
		} else if serrs := checkSchemaSize(fp, &rf.schema, &m.nodes); len(serrs) > 0 {
			m.tooBig = true
			rf.errs = serrs
			m.fields = append(m.fields, rf)
			return
		}
		m.fields = append(m.fields, rf)
	}
}

func (m *model) resolveParameters() {
	ps := m.spec.Parameters
	if ps == nil {
		return
	}
	p := field.NewPath("spec", "parameters", "schema")
	schema := &extv1.JSONSchemaProps{}
	if err := decodeSchema(ps.Schema, schema); err != nil {
		m.paramsErrs = field.ErrorList{errorAt(p, err)}
		return
	}
	if serrs := checkSchemaSize(p, schema, &m.nodes); len(serrs) > 0 {
		m.tooBig = true
		m.paramsErrs = serrs
		return
	}
	m.params = schema
	m.leaves = leavesOf(schema, nil)
	if len(m.leaves) > MaxParameters {
		m.tooBig = true
	}
	m.backendKeys = map[string]string{}
	for _, l := range m.leaves {
		m.backendKeys[l.top()] = BackendKey(ps.KeyStyle, l.top())
	}
	// The first key given for a parameter names it (validate reports the others).
	for i := len(ps.Keys) - 1; i >= 0; i-- {
		if k := ps.Keys[i]; m.backendKeys[k.Parameter] != "" {
			m.backendKeys[k.Parameter] = k.Key
		}
	}
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

func (m *model) resolveExport(d inputv1beta1.Defaults) {
	e := m.spec.Export
	if e != nil && e.KubeBind != nil {
		m.resolveKubeBind()
	}
	if e != nil && e.Disabled {
		return
	}
	re := &resolvedExport{Export: &resolved.Export{Namespace: d.ExportNamespace, Resource: m.Plural}, spec: e}
	if e == nil {
		re.spec = &v1alpha1.Export{}
	} else {
		if e.Namespace != "" {
			re.Namespace = e.Namespace
		}
		if e.Resource != "" {
			re.Resource = e.Resource
		}
		re.Name, re.Version = e.Name, e.Version
	}
	if re.Name == "" {
		re.Name = re.Resource
	}
	m.export = re
	m.API.Export = re.Export
}

func (m *model) resolveKubeBind() {
	kb := m.spec.Export.KubeBind
	r := &resolvedKubeBind{KubeBind: &resolved.KubeBind{Resource: m.Plural, Versions: kb.Versions, Description: kb.Description}, spec: kb}
	if m.spec.Export.Resource != "" {
		r.Resource = m.spec.Export.Resource
	}
	r.Name = kb.Name
	if r.Name == "" {
		r.Name = r.Resource + "." + m.Group
	}
	if len(kb.Versions) == 0 {
		r.Versions = m.Served()
	}
	m.kubeBind = r
	m.API.KubeBind = r.KubeBind
}
