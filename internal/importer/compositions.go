package importer

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	ptv1beta1 "github.com/crossplane-contrib/function-patch-and-transform/input/v1beta1"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	xv1 "github.com/crossplane/crossplane/apis/v2/apiextensions/v1"
	xv2 "github.com/crossplane/crossplane/apis/v2/apiextensions/v2"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	bindv1alpha1 "github.com/function-dataservice/function-dataservice/apis/bind/v1alpha1"
	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/semantic"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// ptPatch is a function-patch-and-transform patch, in P&T's own input types.
type ptPatch struct{ ptv1beta1.ComposedPatch }

func (p ptPatch) from() string { return deref(p.FromFieldPath) }
func (p ptPatch) to() string   { return deref(p.ToFieldPath) }

// format returns the fmt pattern of a patch whose only transform is a string Format, "" when it has
// no transform, and ok false when it has others.
func (p ptPatch) format() (string, bool) {
	switch {
	case len(p.Transforms) == 0:
		return "", true
	case len(p.Transforms) == 1 && p.Transforms[0].Type == ptv1beta1.TransformTypeString && p.Transforms[0].String != nil &&
		p.Transforms[0].String.Type == ptv1beta1.StringTransformTypeFormat && p.Transforms[0].String.Format != nil:
		return *p.Transforms[0].String.Format, true
	}
	return "", false
}

// mapping is the DataService mapping of a patch from the composite: its format, or its transforms
// as they are.
func (p ptPatch) mapping() v1alpha1.Mapping {
	if f, ok := p.format(); ok {
		return v1alpha1.Mapping{From: p.from(), To: p.to(), Format: f}
	}
	return v1alpha1.Mapping{From: p.from(), To: p.to(), Transforms: p.Transforms}
}

func (im *importer) importCompositions(x *xv2.CompositeResourceDefinition) error {
	s := &im.ds.Spec
	dc := defaultComposition(x)
	// Compositions named in the input, in order, then any only the rules name.
	for _, u := range im.in.Compositions {
		c := &xv1.Composition{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, c); err != nil {
			return errors.Wrapf(err, "cannot read Composition %s", u.GetName())
		}
		if c.Spec.CompositeTypeRef.Kind != x.Spec.Names.Kind || !strings.HasPrefix(c.Spec.CompositeTypeRef.APIVersion, x.Spec.Group+"/") {
			im.note("skipped Composition %s: it composes %s %s, not this XRD's %s", c.Name, c.Spec.CompositeTypeRef.APIVersion, c.Spec.CompositeTypeRef.Kind, x.Spec.Names.Kind)
			continue
		}
		comp, err := im.importComposition(c)
		if err != nil {
			return err
		}
		im.imported = append(im.imported, u)
		s.Compositions = append(s.Compositions, comp)
	}

	// Spec-level rules: offerings per composition first, verbatim rules, then exclusive parameters.
	offerings := map[string]map[string][]string{} // field -> composition -> values
	var order []string
	exclusive := map[string][]string{}
	// bare says whether the generated-shape rules read compositionRef without a default, as
	// Klutch's hand-written ones do: the DataService then requires a reference.
	bare := false
	for i, r := range im.spec.rules {
		if o, ok := generator.ParseOffering(r, dc); ok && i < 2 {
			bare = bare || o.RequiresRef
			offerings[o.Field] = o.Values
			order = mergeOrder(order, o.Order)
			if im.in.Name == "" {
				im.in.Name = o.Name
			}
			continue
		}
		if e, ok := generator.ParseExclusiveParameter(r); ok {
			exclusive[e.Composition] = append(exclusive[e.Composition], e.Parameter)
			bare = bare || e.RequiresRef
			continue
		}
		s.Rules = append(s.Rules, v1alpha1.Rule{Rule: r.Rule, Message: r.Message, MessageExpression: r.MessageExpression, FieldPath: r.FieldPath, Reason: reason(r.Reason)})
		for _, n := range generator.ComparedCompositions(r.Rule) {
			if n != "" { // a rule may test for "no composition selected"
				order = mergeOrder(order, []string{n})
			}
		}
	}
	if dc != "" {
		order = mergeOrder(order, []string{dc})
	}
	if bare {
		s.RequireCompositionRef = true
	}
	for name := range exclusive {
		order = mergeOrder(order, []string{name})
	}
	for _, name := range order {
		if !slices.ContainsFunc(s.Compositions, func(c v1alpha1.Composition) bool { return c.Name == name }) {
			s.Compositions = append(s.Compositions, v1alpha1.Composition{Name: name})
			im.note("spec.compositions: %s is named by the XRD but not given: imported without a backend (composed elsewhere)", name)
		}
	}
	// The rules list compositions in the order the generator writes them; keep that order.
	if len(offerings) > 0 {
		sort.SliceStable(s.Compositions, func(i, j int) bool {
			return slices.Index(order, s.Compositions[i].Name) < slices.Index(order, s.Compositions[j].Name)
		})
	}
	for i := range s.Compositions {
		c := &s.Compositions[i]
		if v, ok := offerings["service"][c.Name]; ok {
			c.Services = v
		}
		if v, ok := offerings["plan"][c.Name]; ok {
			c.Plans = v
		}
		c.ExclusiveParameters = exclusive[c.Name]
	}
	if len(s.Compositions) == 1 {
		c := &s.Compositions[0]
		if im.spec.service != nil {
			c.Services = enumStrings(im.spec.service.Enum)
		}
		if im.spec.plan != nil {
			c.Plans = enumStrings(im.spec.plan.Enum)
		}
	} else if im.spec.service != nil && len(im.spec.service.Enum) > 0 || im.spec.plan != nil && len(im.spec.plan.Enum) > 0 {
		im.note("dropped the enums of spec.service and spec.plan: with several compositions the DataService says per composition what each offers")
	}
	if len(s.Compositions) == 0 {
		return errors.Errorf("no Composition for XRD %s given or named: pass its Composition(s) with -f", x.GetName())
	}
	if s.DefaultComposition == s.Compositions[0].Name {
		s.DefaultComposition = ""
	}
	return nil
}

func reason(r *extv1.FieldValueErrorReason) string {
	if r == nil {
		return ""
	}
	return string(*r)
}

func mergeOrder(order, names []string) []string {
	for _, n := range names {
		if !slices.Contains(order, n) {
			order = append(order, n)
		}
	}
	return order
}

func enumStrings(e []extv1.JSON) []string {
	var out []string
	for _, j := range e {
		var s string
		if json.Unmarshal(j.Raw, &s) == nil {
			out = append(out, s)
		}
	}
	return out
}

func (im *importer) importComposition(c *xv1.Composition) (v1alpha1.Composition, error) {
	out := v1alpha1.Composition{Name: c.Name}
	if c.Spec.Mode != xv1.CompositionModePipeline || len(c.Spec.Pipeline) == 0 {
		im.note("Composition %s: not a pipeline; imported without a backend", c.Name)
		return out, nil
	}
	out.Labels = c.Labels
	var fns v1alpha1.Functions
	var input *ptv1beta1.Resources
	for i, st := range c.Spec.Pipeline {
		switch {
		case input == nil && st.Input != nil && strings.Contains(string(st.Input.Raw), "pt.fn.crossplane.io"):
			input = &ptv1beta1.Resources{}
			if err := json.Unmarshal(st.Input.Raw, input); err != nil {
				return out, errors.Wrapf(err, "Composition %s: cannot read the function-patch-and-transform input", c.Name)
			}
			if st.FunctionRef.Name != inputv1beta1.DefaultPatchAndTransform {
				fns.PatchAndTransform = st.FunctionRef.Name
			}
			if st.Step != "patch-and-transform" {
				im.note("Composition %s: step %q is named patch-and-transform", c.Name, st.Step)
			}
		case i == len(c.Spec.Pipeline)-1 && st.Input == nil && input != nil:
			fns.AutoReady = st.FunctionRef.Name
		default:
			im.note("Composition %s: dropped pipeline step %q (%s): a DataService composes with function-patch-and-transform and optionally function-auto-ready", c.Name, st.Step, st.FunctionRef.Name)
		}
	}
	if fns != (v1alpha1.Functions{}) {
		out.Functions = &fns
	}
	if input == nil || len(input.Resources) == 0 {
		im.note("Composition %s: no function-patch-and-transform resources; imported without a backend", c.Name)
		return out, nil
	}
	res := input.Resources[0]
	if res.Name != c.Name {
		im.note("Composition %s: the resource is named %q; it will be named after the Composition", c.Name, res.Name)
	}
	for _, r := range input.Resources[1:] {
		rr, err := im.importResource(c.Name, r)
		if err != nil {
			return out, err
		}
		out.Resources = append(out.Resources, rr)
	}
	b := &v1alpha1.Backend{ReadinessChecks: res.ReadinessChecks, ConnectionDetails: res.ConnectionDetails}
	base := map[string]any{}
	if res.Base != nil {
		if err := json.Unmarshal(res.Base.Raw, &base); err != nil {
			return out, errors.Wrapf(err, "Composition %s: cannot read the base of %s", c.Name, res.Name)
		}
	}
	b.APIVersion, _ = base["apiVersion"].(string)
	b.Kind, _ = base["kind"].(string)
	delete(base, "apiVersion")
	delete(base, "kind")
	im.importPatches(c.Name, b, wrap(res.Patches))
	if pc, ok := nestedString(base, "spec", "providerConfigRef", "name"); ok && b.ProviderConfig == nil {
		// Derivable from the DataService name: resolved once the name is known (nameIt).
		im.pcNames = append(im.pcNames, pcName{backend: b, name: pc, base: base})
	}
	if len(base) > 0 {
		raw, err := json.Marshal(base)
		if err != nil {
			return out, err
		}
		b.Base = &runtime.RawExtension{Raw: raw}
	}
	out.Backend = b
	return out, nil
}

func wrap(ps []ptv1beta1.ComposedPatch) []ptPatch {
	out := make([]ptPatch, len(ps))
	for i, p := range ps {
		out[i] = ptPatch{p}
	}
	return out
}

// importResource reads a further composed resource: its base, mappings, status, readiness
// checks and connection details as they are.
func (im *importer) importResource(comp string, r ptv1beta1.ComposedTemplate) (v1alpha1.Resource, error) {
	out := v1alpha1.Resource{Name: r.Name, ReadinessChecks: r.ReadinessChecks, ConnectionDetails: r.ConnectionDetails}
	base := map[string]any{}
	if r.Base != nil {
		if err := json.Unmarshal(r.Base.Raw, &base); err != nil {
			return out, errors.Wrapf(err, "Composition %s: cannot read the base of %s", comp, r.Name)
		}
	}
	out.APIVersion, _ = base["apiVersion"].(string)
	out.Kind, _ = base["kind"].(string)
	delete(base, "apiVersion")
	delete(base, "kind")
	if len(base) > 0 {
		raw, err := json.Marshal(base)
		if err != nil {
			return out, err
		}
		out.Base = &runtime.RawExtension{Raw: raw}
	}
	for _, p := range wrap(r.Patches) {
		switch {
		case p.Policy != nil || p.Combine != nil:
			im.note("Composition %s: dropped patch %s → %s of %s: policies and combines are not expressible", comp, p.from(), p.to(), r.Name)
		case p.Type == ptv1beta1.PatchTypeToCompositeFieldPath:
			sm := v1alpha1.StatusMapping{From: p.from()}
			if p.to() != defaultStatusTo(p.from()) {
				sm.To = p.to()
			}
			out.Status = append(out.Status, sm)
		case p.Type == "" || p.Type == ptv1beta1.PatchTypeFromCompositeFieldPath:
			out.Fields = append(out.Fields, p.mapping())
		default:
			im.note("Composition %s: dropped %s patch %s → %s of %s", comp, p.Type, p.from(), p.to(), r.Name)
		}
	}
	return out, nil
}

func nestedString(m map[string]any, path ...string) (string, bool) {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return "", false
		}
		cur = mm[p]
	}
	s, ok := cur.(string)
	return s, ok
}

// importPatches sorts the patches of a backend into what a DataService declares.
func (im *importer) importPatches(comp string, b *v1alpha1.Backend, patches []ptPatch) {
	claimLabels := 0
	var params []ptPatch
	for _, p := range patches {
		format, simple := p.format()
		if p.Policy != nil || p.Combine != nil {
			im.note("Composition %s: dropped patch %s → %s: policies and combines are not expressible", comp, p.from(), p.to())
			continue
		}
		if !simple {
			// P&T's transforms are kept as they are.
			switch {
			case p.Type == "" || p.Type == ptv1beta1.PatchTypeFromCompositeFieldPath:
				if strings.HasPrefix(p.from(), "spec.parameters.") {
					params = append(params, p)
				} else {
					b.Fields = append(b.Fields, p.mapping())
				}
			default:
				im.note("Composition %s: dropped %s patch %s → %s: a DataService transforms only what it maps from the composite", comp, p.Type, p.from(), p.to())
			}
			continue
		}
		switch p.Type {
		case "ToCompositeFieldPath":
			sm := v1alpha1.StatusMapping{From: p.from()}
			if p.to() != defaultStatusTo(p.from()) {
				sm.To = p.to()
			}
			b.Status = append(b.Status, sm)
			continue
		case "", "FromCompositeFieldPath":
		default:
			im.note("Composition %s: dropped %s patch %s → %s", comp, p.Type, p.from(), p.to())
			continue
		}
		switch {
		case im.line.Claims && format == "" && p.from() == p.to() && (p.from() == xpline.LabelClaimName || p.from() == xpline.LabelClaimNamespace):
			claimLabels++
		case p.to() == "spec.providerConfigRef.name":
			b.ProviderConfig = &v1alpha1.ProviderConfig{FromField: p.from(), Format: format}
			if format == inputv1beta1.DefaultProviderConfigNameFormat {
				b.ProviderConfig.Format = ""
			}
		case im.line.Claims && p.from() == xpline.LabelClaimNamespace && p.to() == "spec.writeConnectionSecretToRef.namespace" && format == "":
			// Paired with the name below.
		case p.to() == "spec.writeConnectionSecretToRef.name" && format != "" &&
			(im.line.Claims && p.from() == xpline.LabelClaimName || !im.line.Claims && p.from() == "metadata.name"):
			b.ConnectionSecret = &v1alpha1.ConnectionSecret{NameFormat: format}
		case strings.HasPrefix(p.from(), "spec.parameters.") && format == "":
			params = append(params, p)
		default:
			b.Fields = append(b.Fields, v1alpha1.Mapping{From: p.from(), To: p.to(), Format: format})
		}
	}
	if im.line.Claims && claimLabels < 2 {
		b.ClaimLabels = ptrTo(false)
		if claimLabels == 1 {
			im.note("Composition %s: copies only one of the claim-name and claim-namespace labels; a DataService copies both or neither", comp)
		}
	}
	im.importParameterPatches(comp, b, params)
}

func defaultStatusTo(from string) string {
	segs, err := fieldpath.Parse(from)
	if err != nil || len(segs) == 0 {
		return ""
	}
	return "status.managed." + fieldpath.Segments{fieldpath.Field(segs[len(segs)-1].Field)}.String()
}

// importParameterPatches finds where parameters go and the key style that names them.
func (im *importer) importParameterPatches(comp string, b *v1alpha1.Backend, params []ptPatch) {
	// Transformed parameters, or keys another Composition names otherwise, are this backend's own
	// mappings: it takes no parameter by the shared layout.
	own := func() {
		b.NoParameters, b.ParametersTo = true, ""
		for _, p := range params {
			b.Fields = append(b.Fields, p.mapping())
		}
	}
	for _, p := range params {
		if len(p.Transforms) > 0 {
			own()
			return
		}
	}
	type keyed struct{ param, key string }
	var keys []keyed
	var to string
	for _, p := range params {
		from, err1 := fieldpath.Parse(p.from())
		dst, err2 := fieldpath.Parse(p.to())
		rest := len(from) - 2 // below spec.parameters
		if err1 != nil || err2 != nil || rest < 1 || len(dst) <= rest {
			b.Fields = append(b.Fields, v1alpha1.Mapping{From: p.from(), To: p.to()})
			continue
		}
		prefix := dst[:len(dst)-rest].String()
		if !slices.Equal(segNames(from[3:]), segNames(dst[len(dst)-rest+1:])) || (to != "" && prefix != to) {
			im.note("Composition %s: patch %s → %s does not follow the parameters' layout; kept as a field mapping", comp, p.from(), p.to())
			b.Fields = append(b.Fields, v1alpha1.Mapping{From: p.from(), To: p.to()})
			continue
		}
		to = prefix
		keys = append(keys, keyed{param: from[2].Field, key: dst[len(dst)-rest].Field})
	}
	if to != "" && to != inputv1beta1.DefaultParametersTo {
		b.ParametersTo = to
	}
	if len(keys) == 0 || im.ds.Spec.Parameters == nil {
		return
	}
	ps := im.ds.Spec.Parameters
	styles := []string{v1alpha1.KeyStyleSnakeCase, v1alpha1.KeyStyleKebabCase, v1alpha1.KeyStyleAsIs}
	best, bestN := v1alpha1.KeyStyleSnakeCase, -1
	for _, st := range styles {
		n := 0
		for _, k := range keys {
			if generator.BackendKey(st, k.param) == k.key {
				n++
			}
		}
		if n > bestN {
			best, bestN = st, n
		}
	}
	if im.paramsLaid {
		style := ps.KeyStyle
		for _, k := range keys {
			want := generator.BackendKey(style, k.param)
			for _, pk := range ps.Keys {
				if pk.Parameter == k.param {
					want = pk.Key
				}
			}
			if want != k.key {
				own()
				return
			}
		}
		return
	}
	im.paramsLaid = true
	if best != v1alpha1.KeyStyleSnakeCase {
		ps.KeyStyle = best
	}
	for _, k := range keys {
		if generator.BackendKey(best, k.param) != k.key && !slices.ContainsFunc(ps.Keys, func(pk v1alpha1.ParameterKey) bool { return pk.Parameter == k.param }) {
			ps.Keys = append(ps.Keys, v1alpha1.ParameterKey{Parameter: k.param, Key: k.key})
		}
	}
}

func segNames(s fieldpath.Segments) []string {
	out := make([]string, len(s))
	for i, seg := range s {
		out[i] = fieldpath.Segments{seg}.String()
	}
	return out
}

// pcName is a backend's fixed ProviderConfig name, to drop when the DataService name derives it.
type pcName struct {
	backend *v1alpha1.Backend
	name    string
	base    map[string]any
}

// nameIt names the DataService: as asked, as the rules' messages say, as the ProviderConfig of a
// backend suggests, else after the kind.
func (im *importer) nameIt() {
	name := im.in.Name
	for _, pc := range im.pcNames {
		if name == "" && strings.HasSuffix(pc.name, "-service-broker") {
			name = strings.TrimSuffix(pc.name, "-service-broker")
		}
	}
	if name == "" {
		name = strings.TrimSuffix(strings.ToLower(im.ds.Spec.Kind), "instance")
	}
	im.ds.Name = name
	for _, pc := range im.pcNames {
		if pc.name != strings.Replace(inputv1beta1.DefaultProviderConfigNameFormat, "%s", name, 1) {
			continue
		}
		// Drop the name from the base: the default pattern derives it.
		spec := pc.base["spec"].(map[string]any)
		pcr := spec["providerConfigRef"].(map[string]any)
		delete(pcr, "name")
		if len(pcr) == 0 {
			delete(spec, "providerConfigRef")
		}
		if len(spec) == 0 {
			delete(pc.base, "spec")
		}
		pc.backend.Base = nil
		if len(pc.base) > 0 {
			raw, _ := json.Marshal(pc.base)
			pc.backend.Base = &runtime.RawExtension{Raw: raw}
		}
	}
}

func (im *importer) importExport(x *xv2.CompositeResourceDefinition) error {
	t := im.in.ExportTemplate
	if t == nil {
		im.note("spec.export: no APIServiceExportTemplate given; the default one (namespace crossplane-system, resource %s) will be generated", im.userPlural(x))
		return nil
	}
	tt := &bindv1alpha1.APIServiceExportTemplate{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(t.Object, tt); err != nil {
		return errors.Wrapf(err, "cannot read APIServiceExportTemplate %s", t.GetName())
	}
	if tt.Spec.APIServiceSelector.Group != x.Spec.Group {
		return errors.Errorf("APIServiceExportTemplate %s selects group %s, not the XRD's %s", t.GetName(), tt.Spec.APIServiceSelector.Group, x.Spec.Group)
	}
	e := &v1alpha1.Export{PermissionClaims: tt.Spec.PermissionClaims, Version: tt.Spec.APIServiceSelector.Version}
	if r := tt.Spec.APIServiceSelector.Resource; r != im.userPlural(x) {
		e.Resource = r
	}
	if tt.Name != tt.Spec.APIServiceSelector.Resource {
		e.Name = tt.Name
	}
	if tt.Namespace != inputv1beta1.DefaultExportNamespace {
		e.Namespace = tt.Namespace
	}
	if e.Resource != "" || e.Name != "" || e.Namespace != "" || e.Version != "" || len(e.PermissionClaims) > 0 {
		im.ds.Spec.Export = e
	}
	return nil
}

func (im *importer) userPlural(x *xv2.CompositeResourceDefinition) string {
	if x.Spec.ClaimNames != nil {
		return x.Spec.ClaimNames.Plural
	}
	return x.Spec.Names.Plural
}

// compare generates from the imported DataService and lists how each object differs from the input.
func (im *importer) compare() []string {
	out, err := generator.Generate(im.ds, inputv1beta1.Defaults{})
	if err != nil {
		return []string{"the imported DataService does not generate: " + err.Error()}
	}
	var diffs []string
	add := func(what string, want *unstructured.Unstructured, got *unstructured.Unstructured) {
		if got == nil {
			diffs = append(diffs, what+": not generated")
			return
		}
		d, err := semantic.Diff(want.Object, got.Object)
		if err != nil {
			diffs = append(diffs, fmt.Sprintf("%s: %v", what, err))
		} else if d != "" {
			diffs = append(diffs, fmt.Sprintf("%s differs (-input +generated):\n%s", what, d))
		}
	}
	add("XRD "+im.in.XRD.GetName(), im.in.XRD, out.XRD)
	for _, c := range im.imported {
		var got *unstructured.Unstructured
		for _, g := range out.Compositions {
			if g.GetName() == c.GetName() {
				got = g
			}
		}
		add("Composition "+c.GetName(), c, got)
	}
	if im.in.ExportTemplate != nil {
		add("APIServiceExportTemplate "+im.in.ExportTemplate.GetName(), im.in.ExportTemplate, out.ExportTemplate)
	}
	return diffs
}
