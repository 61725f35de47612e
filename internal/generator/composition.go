package generator

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	xv1 "github.com/crossplane/crossplane/apis/v2/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// The pipeline input of function-patch-and-transform (pt.fn.crossplane.io/v1beta1 Resources), only
// as much of it as the generator writes.
type ptResources struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Resources  []ptResource `json:"resources"`
}

type ptResource struct {
	Name    string         `json:"name"`
	Base    map[string]any `json:"base"`
	Patches []ptPatch      `json:"patches,omitempty"`
}

type ptPatch struct {
	Type          string        `json:"type,omitempty"`
	FromFieldPath string        `json:"fromFieldPath"`
	ToFieldPath   string        `json:"toFieldPath"`
	Transforms    []ptTransform `json:"transforms,omitempty"`
}

type ptTransform struct {
	Type   string    `json:"type"`
	String *ptString `json:"string,omitempty"`
}

type ptString struct {
	Type string `json:"type"`
	Fmt  string `json:"fmt"`
}

func formatTransforms(format string) []ptTransform {
	if format == "" {
		return nil
	}
	return []ptTransform{{Type: "string", String: &ptString{Type: "Format", Fmt: format}}}
}

// buildComposition composes a composition's backend with function-patch-and-transform: the
// backend's base, the patches that copy the claim's labels, fields, parameters and the
// ProviderConfig name to it, and its status back.
func buildComposition(m *model, c *resolvedComposition) *xv1.Composition {
	rb := c.backend
	b := rb.spec

	base := map[string]any{"apiVersion": b.APIVersion, "kind": b.Kind}
	for k, v := range rb.base {
		base[k] = v
	}
	var patches []ptPatch
	if rb.claimLabels {
		patches = append(patches,
			ptPatch{FromFieldPath: xpline.LabelClaimNamespace, ToFieldPath: xpline.LabelClaimNamespace},
			ptPatch{FromFieldPath: xpline.LabelClaimName, ToFieldPath: xpline.LabelClaimName},
		)
	}
	for _, f := range b.Fields {
		patches = append(patches, ptPatch{FromFieldPath: f.From, ToFieldPath: f.To, Transforms: formatTransforms(f.Format)})
	}

	pc := b.ProviderConfig
	switch {
	case pc != nil && pc.FromField != "":
		patches = append(patches, ptPatch{FromFieldPath: pc.FromField, ToFieldPath: "spec.providerConfigRef.name", Transforms: formatTransforms(rb.providerConfigFormat)})
	case hasPath(base, "spec", "providerConfigRef", "name"):
		// The base names it.
	default:
		name := strings.Replace(rb.providerConfigFormat, "%s", m.name, 1)
		if pc != nil && pc.Name != "" {
			name = pc.Name
		}
		setPath(base, name, "spec", "providerConfigRef", "name")
	}

	if cs := b.ConnectionSecret; cs != nil {
		if m.line.Claims {
			patches = append(patches,
				ptPatch{FromFieldPath: xpline.LabelClaimNamespace, ToFieldPath: "spec.writeConnectionSecretToRef.namespace"},
				ptPatch{FromFieldPath: xpline.LabelClaimName, ToFieldPath: "spec.writeConnectionSecretToRef.name", Transforms: formatTransforms(cs.NameFormat)},
			)
		} else {
			// Namespaced managed resources write their secret into their own namespace.
			patches = append(patches, ptPatch{FromFieldPath: "metadata.name", ToFieldPath: "spec.writeConnectionSecretToRef.name", Transforms: formatTransforms(cs.NameFormat)})
		}
	}

	elsewhere := m.exclusiveToOthers(c.spec.Name)
	for _, l := range m.leaves {
		if elsewhere[l.top()] {
			continue
		}
		from := append(fieldpath.Segments{fieldpath.Field("spec"), fieldpath.Field("parameters")}, fieldSegments(l.path)...)
		key := append([]string{m.backendKeys[l.top()]}, l.path[1:]...)
		to := append(slices.Clone(rb.parametersTo), fieldSegments(key)...)
		patches = append(patches, ptPatch{FromFieldPath: from.String(), ToFieldPath: to.String()})
	}

	for _, s := range rb.status {
		patches = append(patches, ptPatch{Type: "ToCompositeFieldPath", FromFieldPath: s.From, ToFieldPath: s.To})
	}

	input, _ := json.Marshal(ptResources{ // plain data always marshals
		APIVersion: "pt.fn.crossplane.io/v1beta1",
		Kind:       "Resources",
		Resources:  []ptResource{{Name: c.spec.Name, Base: base, Patches: patches}},
	})
	pipeline := []xv1.PipelineStep{{
		Step:        "patch-and-transform",
		FunctionRef: xv1.FunctionReference{Name: rb.functions.PatchAndTransform},
		Input:       &runtime.RawExtension{Raw: input},
	}}
	if rb.functions.AutoReady != "" {
		pipeline = append(pipeline, xv1.PipelineStep{Step: "auto-ready", FunctionRef: xv1.FunctionReference{Name: rb.functions.AutoReady}})
	}
	return &xv1.Composition{
		TypeMeta:   metav1.TypeMeta{APIVersion: xv1.SchemeGroupVersion.String(), Kind: xv1.CompositionKind},
		ObjectMeta: metav1.ObjectMeta{Name: c.spec.Name},
		Spec: xv1.CompositionSpec{
			CompositeTypeRef: xv1.TypeReference{APIVersion: m.group + "/" + m.refVersion, Kind: m.xrKind},
			Mode:             xv1.CompositionModePipeline,
			Pipeline:         pipeline,
		},
	}
}

// exclusiveToOthers lists the parameters that only other compositions support: this composition's
// backend never receives them.
func (m *model) exclusiveToOthers(name string) map[string]bool {
	out := map[string]bool{}
	for _, c := range m.compositions {
		if c.spec.Name == name {
			continue
		}
		for _, p := range c.spec.ExclusiveParameters {
			out[p] = true
		}
	}
	for _, c := range m.compositions {
		if c.spec.Name == name {
			for _, p := range c.spec.ExclusiveParameters {
				delete(out, p)
			}
		}
	}
	return out
}

// BackendKey names a top-level parameter in a key style (snake_case when empty).
func BackendKey(style, param string) string {
	switch style {
	case v1alpha1.KeyStyleAsIs:
		return param
	case v1alpha1.KeyStyleKebabCase:
		return splitCamel(param, "-")
	default:
		return splitCamel(param, "_")
	}
}

// splitCamel turns maxWALSenders into max_wal_senders: a word starts at an upper-case letter that
// follows a lower-case letter or digit, or that precedes a lower-case letter after an upper-case one.
func splitCamel(s, sep string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		upper := r >= 'A' && r <= 'Z'
		if upper && i > 0 {
			prev := rs[i-1]
			prevLowerOrDigit := (prev >= 'a' && prev <= 'z') || (prev >= '0' && prev <= '9')
			nextLower := i+1 < len(rs) && rs[i+1] >= 'a' && rs[i+1] <= 'z'
			prevUpper := prev >= 'A' && prev <= 'Z'
			if prevLowerOrDigit || (prevUpper && nextLower) {
				b.WriteString(sep)
			}
		}
		if upper {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func fieldSegments(names []string) fieldpath.Segments {
	segs := make(fieldpath.Segments, len(names))
	for i, n := range names {
		segs[i] = fieldpath.Field(n)
	}
	return segs
}

func hasPath(m map[string]any, path ...string) bool {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = mm[p]; !ok {
			return false
		}
	}
	return true
}

// setPath sets a value below m, copying the maps on the way so the DataService's own base is never
// changed.
func setPath(m map[string]any, v any, path ...string) {
	cur := m
	for _, p := range path[:len(path)-1] {
		next, _ := cur[p].(map[string]any)
		cp := make(map[string]any, len(next)+1)
		for k, vv := range next {
			cp[k] = vv
		}
		cur[p] = cp
		cur = cp
	}
	cur[path[len(path)-1]] = v
}
