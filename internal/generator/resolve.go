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
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// resolve applies every default, once: those of the DataService's API (names, versions, the
// Crossplane line) and those of the pipeline input d, and parses the schemas and bases the spec
// embeds. It reports nothing: what it cannot parse it keeps on the model for validate, which says
// where. d must have its fallbacks applied.
func resolve(ds *v1alpha1.DataService, d inputv1beta1.Defaults) *model {
	s := &ds.Spec
	m := &model{name: ds.GetName(), spec: s}

	m.lineName = s.CrossplaneVersion
	if m.lineName == "" {
		m.lineName = d.CrossplaneVersion
	}
	// An unknown line is reported by validate; the default line keeps building the XRD for the
	// API server's checks of the rest.
	var ok bool
	if m.line, ok = xpline.Named(m.lineName); !ok {
		m.line = xpline.Default
	}

	m.group, m.kind = s.Group, s.Kind
	m.plural = s.Plural
	if m.plural == "" {
		m.plural = strings.ToLower(s.Kind) + "s"
	}
	if m.line.Claims {
		m.xrKind, m.xrPlural = "X"+m.kind, "x"+m.plural
		if c := s.Composite; c != nil {
			if c.Kind != "" {
				m.xrKind = c.Kind
			}
			if c.Plural != "" {
				m.xrPlural = c.Plural
			}
		}
	} else {
		m.xrKind, m.xrPlural = m.kind, m.plural
		m.scope = s.Scope
		if m.scope == "" {
			m.scope = v1alpha1.ScopeNamespaced
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
		if v.Served == nil {
			t := true
			v.Served = &t
		}
		if v.Referenceable {
			m.refs++
		}
		m.versions = append(m.versions, v)
	}
	if m.refs == 0 {
		m.versions[len(m.versions)-1].Referenceable = true
	}
	for _, v := range m.versions {
		if v.Referenceable {
			m.refVersion = v.Name
		}
	}
}

func (m *model) resolveCompositions(d inputv1beta1.Defaults) {
	m.resolveCatalogs()
	for i, c := range m.spec.Compositions {
		// A composition that lists none offers the catalog's plans (services).
		if len(c.Plans) == 0 {
			c.Plans = m.planCatalog.names()
		}
		if len(c.Services) == 0 {
			c.Services = m.serviceCatalog.names()
		}
		if len(c.Services) > 0 {
			m.hasService = true
		}
		if len(c.Plans) > 0 {
			m.hasPlan = true
		}
		rc := resolvedComposition{spec: c, index: i}
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
	m.defaultComposition = m.spec.DefaultComposition
	if m.defaultComposition == "" && len(m.spec.Compositions) > 0 {
		m.defaultComposition = m.spec.Compositions[0].Name
	}
	if m.spec.DeletePolicy != "" && !m.line.Claims {
		m.notes = append(m.notes, fmt.Sprintf("spec.deletePolicy: %s is written to the XRD's defaultCompositeDeletePolicy, which does nothing on Crossplane %s (it applies to claims, and v2 has none): remove it unless you keep it to match an existing XRD", m.spec.DeletePolicy, m.line.Name))
	}
}

// resolveCatalogs reads the values plans and services carry.
func (m *model) resolveCatalogs() {
	var errs field.ErrorList
	var plan, service field.ErrorList
	if p := m.spec.Plan; p != nil {
		m.planCatalog, plan = resolveCatalog(field.NewPath("spec", "plan"), "plan", p.Values, p.Catalog)
	} else {
		m.planCatalog, _ = resolveCatalog(field.NewPath("spec", "plan"), "plan", nil, nil)
	}
	if s := m.spec.Service; s != nil {
		m.serviceCatalog, service = resolveCatalog(field.NewPath("spec", "service"), "service", s.Values, s.Catalog)
	} else {
		m.serviceCatalog, _ = resolveCatalog(field.NewPath("spec", "service"), "service", nil, nil)
	}
	errs = append(errs, plan...)
	m.catalogErrs = append(errs, service...)
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
	rb.claimLabels = m.line.Claims && (b.ClaimLabels == nil || *b.ClaimLabels)

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
	default:
		rb.parametersTo, _ = fieldpath.Parse(inputv1beta1.DefaultParametersTo)
		if !rb.broker && m.spec.Parameters != nil {
			m.notes = append(m.notes, fmt.Sprintf("%s: parameters go to %s of %s %s, where a9s brokers take them: set parametersTo, or noParameters: true and map them under fields", bp, inputv1beta1.DefaultParametersTo, b.APIVersion, b.Kind))
		}
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
	re := &resolvedExport{spec: e, namespace: d.ExportNamespace, resource: m.plural}
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
	m.export = re
}

func (m *model) resolveKubeBind() {
	kb := m.spec.Export.KubeBind
	r := &resolvedKubeBind{spec: kb, resource: m.plural, versions: kb.Versions}
	if m.spec.Export.Resource != "" {
		r.resource = m.spec.Export.Resource
	}
	r.name = kb.Name
	if r.name == "" {
		r.name = r.resource + "." + m.group
	}
	if len(kb.Versions) == 0 {
		for _, v := range m.versions {
			if *v.Served {
				r.versions = append(r.versions, v.Name)
			}
		}
	}
	m.kubeBind = r
}
