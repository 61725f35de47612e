package generator

import (
	"encoding/json"
	"strings"

	ptv1beta1 "github.com/crossplane-contrib/function-patch-and-transform/input/v1beta1"
	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	xv1 "github.com/crossplane/crossplane/apis/v2/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
)

// PTInputAPIVersion is the apiVersion of function-patch-and-transform's input (its input/v1beta1
// types), which the generated Compositions pipe to.
const PTInputAPIVersion = "pt.fn.crossplane.io/v1beta1"

// buildComposition composes a composition's backend, and the resources beside it, with
// function-patch-and-transform: resources.go builds each resource's template.
func buildComposition(m *model, c *resolvedComposition) *xv1.Composition {
	rb := c.backend
	templates := []ptv1beta1.ComposedTemplate{m.backendTemplate(c)}
	for i := range c.resources {
		templates = append(templates, m.resourceTemplate(c, &c.resources[i]))
	}
	pipeline := []xv1.PipelineStep{{
		Step:        "patch-and-transform",
		FunctionRef: xv1.FunctionReference{Name: rb.functions.PatchAndTransform},
		Input:       &runtime.RawExtension{Raw: ptInput(templates)},
	}}
	if rb.functions.AutoReady != "" {
		pipeline = append(pipeline, xv1.PipelineStep{Step: "auto-ready", FunctionRef: xv1.FunctionReference{Name: rb.functions.AutoReady}})
	}
	return &xv1.Composition{
		TypeMeta:   metav1.TypeMeta{APIVersion: xv1.SchemeGroupVersion.String(), Kind: xv1.CompositionKind},
		ObjectMeta: metav1.ObjectMeta{Name: c.spec.Name, Labels: c.spec.Labels},
		Spec: xv1.CompositionSpec{
			CompositeTypeRef: xv1.TypeReference{APIVersion: m.Group + "/" + m.Referenceable(), Kind: m.CompositeKind},
			Mode:             xv1.CompositionModePipeline,
			Pipeline:         pipeline,
		},
	}
}

// ptInput is P&T's Resources input holding templates. The typed Resources carries an empty
// ObjectMeta that marshals as metadata: {creationTimestamp: null}; P&T reads no metadata, so it is
// dropped.
func ptInput(templates []ptv1beta1.ComposedTemplate) []byte {
	in := ptv1beta1.Resources{
		TypeMeta:  metav1.TypeMeta{APIVersion: PTInputAPIVersion, Kind: "Resources"},
		Resources: templates,
	}
	raw, _ := json.Marshal(in) // plain data always marshals
	var obj map[string]any
	_ = json.Unmarshal(raw, &obj)
	delete(obj, "metadata")
	raw, _ = json.Marshal(obj)
	return raw
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
