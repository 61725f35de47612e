package importer

import (
	"encoding/json"
	"strings"

	ptv1beta1 "github.com/crossplane-contrib/function-patch-and-transform/input/v1beta1"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	xv1 "github.com/crossplane/crossplane/apis/v2/apiextensions/v1"
	xv2 "github.com/crossplane/crossplane/apis/v2/apiextensions/v2"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/resolved"
)

// Errors of reading Compositions.
const (
	errReadComposition = "cannot read Composition %s"
	errReadPTInput     = "Composition %s: cannot read the function-patch-and-transform input"
	errReadBase        = "Composition %s: cannot read the base of %s"
	errNoComposition   = "no Composition for XRD %s given or named: pass its Composition(s) with -f"
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
	// The given Compositions of this XRD, with their backends.
	given := map[string]v1alpha1.Composition{}
	for _, u := range im.in.Compositions {
		c := &xv1.Composition{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, c); err != nil {
			return errors.Wrapf(err, errReadComposition, u.GetName())
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
		given[c.Name] = comp
	}

	// What each composition offers is the resolved API's (generator.ReadAPI); the spec-level
	// rules it does not read as the API's are kept verbatim. An offering rule in the generator's
	// shape but with another message is one of them: the DataService keeps it as it is, and
	// does not say the offerings again.
	verbatim := map[string]bool{}
	for _, r := range im.rules {
		s.Rules = append(s.Rules, v1alpha1.Rule{Rule: r.Rule, Message: r.Message, MessageExpression: r.MessageExpression, FieldPath: r.FieldPath, Reason: reason(r.Reason)})
		if f, _, _, ok := generator.ParseOfferingRule(r.Rule); ok {
			verbatim[f] = true
		}
	}
	for _, c := range im.api.Compositions {
		if c.Name == "" {
			continue // the XRD names no composition
		}
		comp, ok := given[c.Name]
		if !ok {
			comp = v1alpha1.Composition{Name: c.Name}
			im.note("spec.compositions: %s is named by the XRD but not given: imported without a backend (composed elsewhere)", c.Name)
		}
		if !verbatim[resolved.FieldService] {
			comp.Services = c.Services
		}
		if !verbatim[resolved.FieldPlan] {
			comp.Plans = c.Plans
		}
		comp.ExclusiveParameters = c.ExclusiveParameters
		s.Compositions = append(s.Compositions, comp)
	}
	if len(s.Compositions) > 1 && (im.spec.service != nil && len(im.spec.service.Enum) > 0 || im.spec.plan != nil && len(im.spec.plan.Enum) > 0) {
		im.note("dropped the enums of spec.service and spec.plan: with several compositions the DataService says per composition what each offers")
	}
	if len(s.Compositions) == 0 {
		return errors.Errorf(errNoComposition, x.GetName())
	}
	s.RequireCompositionRef = im.api.RequireCompositionRef
	if im.in.Name == "" {
		im.in.Name = im.api.Name
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
				return out, errors.Wrapf(err, errReadPTInput, c.Name)
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
			return out, errors.Wrapf(err, errReadBase, c.Name, res.Name)
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
			return out, errors.Wrapf(err, errReadBase, comp, r.Name)
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
