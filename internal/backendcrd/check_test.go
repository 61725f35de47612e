package backendcrd

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	ptv1beta1 "github.com/crossplane-contrib/function-patch-and-transform/input/v1beta1"
	"github.com/google/go-cmp/cmp"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var backend = field.NewPath("spec", "compositions").Index(0).Child("backend")

func str(s string) *string { return &s }

// planMap is the patch a mapping of a catalog value gets: spec.plan through a map.
func planMap(to string, pairs map[string]any, more ...ptv1beta1.Transform) ptv1beta1.ComposedPatch {
	m := &ptv1beta1.MapTransform{Pairs: map[string]extv1.JSON{}}
	for k, v := range pairs {
		b, _ := json.Marshal(v)
		m.Pairs[k] = extv1.JSON{Raw: b}
	}
	ts := append([]ptv1beta1.Transform{{Type: ptv1beta1.TransformTypeMap, Map: m}}, more...)
	return ptv1beta1.ComposedPatch{Patch: ptv1beta1.Patch{FromFieldPath: str("spec.plan"), ToFieldPath: str(to), Transforms: ts}}
}

func mapping(j int, source string, p ptv1beta1.ComposedPatch) Patch {
	return Patch{Path: backend.Child("fields").Index(j), Field: "to", Source: source, Patch: p}
}

func plans(names ...string) []Composite {
	var out []Composite
	for _, n := range names {
		out = append(out, Composite{Label: "plan " + n, Object: map[string]any{"spec": map[string]any{"plan": n}}})
	}
	return out
}

func widget(spec map[string]any) map[string]any {
	return map[string]any{"apiVersion": "example.org/v1", "kind": "Widget", "spec": spec}
}

func errStrings(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func TestCheck(t *testing.T) {
	set := testSet(t)
	ready := []ReadinessCheck{{Path: backend.Child("readinessChecks").Index(0), Check: ptv1beta1.ReadinessCheck{Type: ptv1beta1.ReadinessCheckTypeMatchTrue, FieldPath: str("status.ready")}}}
	for _, tc := range []struct {
		name string
		r    Resource
		want []string
	}{
		{
			name: "ValidMappingsOfEveryPlan",
			r: Resource{
				Base: widget(map[string]any{"size": "small", "labels": map[string]any{"team": "a"}, "config": map[string]any{"mode": "x", "extra": 1}}),
				Patches: []Patch{
					mapping(0, "plan.replicas", planMap("spec.replicas", map[string]any{"a": 1, "b": 3})),
					mapping(1, "plan.storage", planMap("spec.storage", map[string]any{"a": "1Gi", "b": 10})),
					mapping(2, "", ptv1beta1.ComposedPatch{Patch: ptv1beta1.Patch{FromFieldPath: str("metadata.labels[crossplane.io/claim-name]"), ToFieldPath: str("metadata.name")}}),
					{Path: backend.Child("status").Index(0), Field: "from", Patch: ptv1beta1.ComposedPatch{Type: ptv1beta1.PatchTypeToCompositeFieldPath, Patch: ptv1beta1.Patch{FromFieldPath: str("status.phase"), ToFieldPath: str("status.managed.phase")}}},
				},
				ReadinessChecks: ready,
				Composites:      plans("a", "b"),
			},
		},
		{
			name: "MisspeltPathsWithTheNearest",
			r: Resource{
				Base: widget(map[string]any{"size": "small", "replica": 1}),
				Patches: []Patch{
					mapping(0, "plan.storage", planMap("spec.storag", map[string]any{"a": "1Gi"})),
					{Path: backend.Child("status").Index(0), Field: "from", Patch: ptv1beta1.ComposedPatch{Type: ptv1beta1.PatchTypeToCompositeFieldPath, Patch: ptv1beta1.Patch{FromFieldPath: str("status.redy"), ToFieldPath: str("status.managed.ready")}}},
				},
				ReadinessChecks: []ReadinessCheck{{Path: backend.Child("readinessChecks").Index(0), Check: ptv1beta1.ReadinessCheck{Type: ptv1beta1.ReadinessCheckTypeMatchTrue, FieldPath: str("status.phase")}}},
				Composites:      plans("a"),
			},
			want: []string{
				`spec.compositions[0].backend.base.spec.replica: Invalid value: 1: spec.replica: no such field in example.org/v1 Widget; did you mean spec.replicas?`,
				`spec.compositions[0].backend.fields[0].to: Invalid value: "spec.storag": spec.storag: no such field in example.org/v1 Widget; did you mean spec.storage?`,
				`spec.compositions[0].backend.status[0].from: Invalid value: "status.redy": status.redy: no such field in example.org/v1 Widget; did you mean status.ready?`,
				`spec.compositions[0].backend.readinessChecks[0].type: Invalid value: "MatchTrue": MatchTrue reads a boolean, and status.phase is a string in example.org/v1 Widget: use a check of its type, or {type: NonEmpty}`,
			},
		},
		{
			name: "TypesAndTheConvertToUse",
			r: Resource{
				Base: widget(map[string]any{"size": "small"}),
				Patches: []Patch{
					{Path: backend.Child("fields").Index(0), Field: "to", Source: "plan.replicas", Declared: field.NewPath("spec", "plan", "values").Index(1), Patch: planMap("spec.replicas", map[string]any{"a": "2"})},
					mapping(1, "plan.ratio", planMap("spec.ratio", map[string]any{"a": "0.5"})),
					mapping(2, "plan.enabled", planMap("spec.enabled", map[string]any{"a": "true"})),
					mapping(3, "plan.size", planMap("spec.volume.size", map[string]any{"a": 5})),
					mapping(4, "plan.replicas", planMap("spec.replicas", map[string]any{"a": "2"}, ptv1beta1.Transform{Type: ptv1beta1.TransformTypeConvert, Convert: &ptv1beta1.ConvertTransform{ToType: ptv1beta1.TransformIOTypeInt64}})),
				},
				ReadinessChecks: ready,
				Composites:      plans("a"),
			},
			want: []string{
				`spec.compositions[0].backend.fields[0].to: Invalid value: "spec.replicas": a string (plan.replicas) mapped onto spec.replicas, an integer in example.org/v1 Widget: declare the value type: integer at spec.plan.values[1], or add transforms: [{type: convert, convert: {toType: int64}}]`,
				`spec.compositions[0].backend.fields[1].to: Invalid value: "spec.ratio": a string (plan.ratio) mapped onto spec.ratio, a number in example.org/v1 Widget: add transforms: [{type: convert, convert: {toType: float64, format: quantity}}]`,
				`spec.compositions[0].backend.fields[2].to: Invalid value: "spec.enabled": a string (plan.enabled) mapped onto spec.enabled, a boolean in example.org/v1 Widget: add transforms: [{type: convert, convert: {toType: bool}}]`,
				`spec.compositions[0].backend.fields[3].to: Invalid value: "spec.volume.size": an integer (plan.size) mapped onto spec.volume.size, a string in example.org/v1 Widget: add transforms: [{type: convert, convert: {toType: string}}]`,
			},
		},
		{
			name: "EnumsPatternsRequiredAndRulesPerPlan",
			r: Resource{
				Base: widget(map[string]any{}),
				Patches: []Patch{
					mapping(0, "plan.size", planMap("spec.size", map[string]any{"a": "small", "b": "medium", "c": "small"})),
					mapping(1, "plan.replicas", planMap("spec.replicas", map[string]any{"a": 1, "b": 1, "c": 5})),
					mapping(2, "plan.storage", planMap("spec.storage", map[string]any{"a": "1 Gi", "b": "1Gi", "c": "2Gi"})),
				},
				ReadinessChecks: ready,
				Composites:      plans("a", "b", "c"),
			},
			want: []string{
				`spec.compositions[0].backend.fields[0].to: Invalid value: "spec.size": plan b: example.org/v1 Widget refuses the composed object: spec.size: Unsupported value: "medium": supported values: "small", "large"`,
				`spec.compositions[0].backend.fields[2].to: Invalid value: "spec.storage": plan a: example.org/v1 Widget refuses the composed object: spec.storage: Invalid value: "1 Gi": spec.storage in body should match '^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$'`,
				`spec.compositions[0].backend: Invalid value: "example.org/v1 Widget": plan c: example.org/v1 Widget refuses the composed object: spec: Invalid value: a small widget runs at most 3 replicas`,
			},
		},
		{
			name: "RequiredFieldNobodySets",
			r: Resource{
				Base:            widget(map[string]any{"replicas": 1}),
				ReadinessChecks: ready,
				Composites:      plans("a", "b"),
			},
			want: []string{
				`spec.compositions[0].backend: Invalid value: "example.org/v1 Widget": example.org/v1 Widget refuses the composed object: spec.size: Required value: set it in spec.compositions[0].backend.base.spec.size, or map a value to it`,
			},
		},
		{
			name: "ValuesTheInstanceGivesAreNotJudged",
			r: Resource{
				Base: widget(map[string]any{}),
				Patches: []Patch{
					mapping(0, "spec.parameters.size", ptv1beta1.ComposedPatch{Patch: ptv1beta1.Patch{FromFieldPath: str("spec.parameters.size"), ToFieldPath: str("spec.size")}}),
					mapping(1, "spec.parameters.count", ptv1beta1.ComposedPatch{Patch: ptv1beta1.Patch{FromFieldPath: str("spec.parameters.count"), ToFieldPath: str("spec.ratio")}}),
				},
				CompositeSchema: &extv1.JSONSchemaProps{Properties: map[string]extv1.JSONSchemaProps{"spec": {Type: "object", Properties: map[string]extv1.JSONSchemaProps{
					"parameters": {Type: "object", Properties: map[string]extv1.JSONSchemaProps{"size": {Type: "string"}, "count": {Type: "string"}}},
				}}}},
				ReadinessChecks: ready,
				Composites:      plans("a"),
			},
			want: []string{
				`spec.compositions[0].backend.fields[1].to: Invalid value: "spec.ratio": a string (spec.parameters.count) mapped onto spec.ratio, a number in example.org/v1 Widget: add transforms: [{type: convert, convert: {toType: float64}}]`,
			},
		},
		{
			name: "TransformsP&TWouldFailOn",
			r: Resource{
				Base: widget(map[string]any{"size": "large"}),
				Patches: []Patch{
					mapping(0, "plan.replicas", planMap("spec.replicas", map[string]any{"a": "two"}, ptv1beta1.Transform{Type: ptv1beta1.TransformTypeConvert, Convert: &ptv1beta1.ConvertTransform{ToType: ptv1beta1.TransformIOTypeInt64}})),
					mapping(1, "plan.replicas", planMap("spec.replicas", map[string]any{"a": "2"}, ptv1beta1.Transform{Type: ptv1beta1.TransformTypeMath, Math: &ptv1beta1.MathTransform{Type: ptv1beta1.MathTransformTypeMultiply, Multiply: ptrInt(2)}})),
				},
				ReadinessChecks: ready,
				Composites:      plans("a"),
			},
			want: []string{
				`spec.compositions[0].backend.fields[0].transforms[1]: Invalid value: "spec.replicas": function-patch-and-transform would fail on it at every reconcile: "two" is not an integer: strconv.ParseInt: parsing "two": invalid syntax`,
				`spec.compositions[0].backend.fields[1].transforms[1]: Invalid value: "spec.replicas": function-patch-and-transform would fail on it at every reconcile: a math transform reads a number, and this value is a string: convert it first, e.g. {type: convert, convert: {toType: float64, format: quantity}} for a quantity`,
			},
		},
		{
			name: "DefaultReadinessNeedsConditions",
			r: Resource{
				Base:          widget(map[string]any{"size": "large"}),
				ReadinessPath: backend.Child("readinessChecks"),
			},
			want: []string{
				`spec.compositions[0].backend.readinessChecks: Required value: example.org/v1 Widget has no status.conditions, so P&T's default readiness check (the condition Ready is True) would never pass and the composite would never be ready: declare readinessChecks on a field its status has (status.phase, status.ready), e.g. {type: MatchTrue, fieldPath: status.ready} or {type: NonEmpty, fieldPath: status.phase}, or {type: None}`,
			},
		},
		{
			name: "VersionNotServed",
			r:    Resource{Base: map[string]any{"apiVersion": "example.org/v1beta1", "kind": "Widget"}},
			want: []string{
				`spec.compositions[0].backend.apiVersion: Invalid value: "example.org/v1beta1": CRD widgets.example.org (testdata/widgets.yaml) does not serve version v1beta1: it serves example.org/v1`,
			},
		},
		{
			name: "ManifestOfAnObjectWithPathsAsWritten",
			r: Resource{
				Base: map[string]any{"apiVersion": "kubernetes.crossplane.io/v1alpha1", "kind": "Object", "spec": map[string]any{"forProvider": map[string]any{"manifest": widget(map[string]any{"sise": "small"})}}},
				Patches: []Patch{
					mapping(0, "", ptv1beta1.ComposedPatch{Patch: ptv1beta1.Patch{FromFieldPath: str("metadata.labels[crossplane.io/claim-namespace]"), ToFieldPath: str("spec.forProvider.manifest.metadata.namespace")}}),
					mapping(1, "plan.replicas", planMap("spec.forProvider.manifest.spec.replica", map[string]any{"a": 1})),
					{Path: backend.Child("status").Index(0), Field: "from", Patch: ptv1beta1.ComposedPatch{Type: ptv1beta1.PatchTypeToCompositeFieldPath, Patch: ptv1beta1.Patch{FromFieldPath: str("status.atProvider.manifest.status.redy"), ToFieldPath: str("status.managed.ready")}}},
				},
				Composites: []Composite{{Label: "plan a", Object: map[string]any{"metadata": map[string]any{"labels": map[string]any{"crossplane.io/claim-namespace": "team-a"}}, "spec": map[string]any{"plan": "a"}}}},
			},
			want: []string{
				`spec.compositions[0].backend.base.spec.forProvider.manifest.spec.sise: Invalid value: "small": spec.forProvider.manifest.spec.sise: no such field in example.org/v1 Widget; did you mean spec.forProvider.manifest.spec.size?`,
				`spec.compositions[0].backend.fields[1].to: Invalid value: "spec.forProvider.manifest.spec.replica": spec.forProvider.manifest.spec.replica: no such field in example.org/v1 Widget; did you mean spec.forProvider.manifest.spec.replicas?`,
				`spec.compositions[0].backend.status[0].from: Invalid value: "status.atProvider.manifest.status.redy": status.atProvider.manifest.status.redy: no such field in example.org/v1 Widget; did you mean status.atProvider.manifest.status.ready?`,
				`spec.compositions[0].backend: Invalid value: "example.org/v1 Widget": plan a: example.org/v1 Widget refuses the composed object: spec.forProvider.manifest.spec.size: Required value: set it in spec.compositions[0].backend.base.spec.forProvider.manifest.spec.size, or map a value to it`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.r.Path = backend
			if tc.r.ReadinessPath == nil {
				tc.r.ReadinessPath = backend.Child("readinessChecks")
			}
			res := Check(context.Background(), set, []Resource{tc.r})
			if diff := cmp.Diff(tc.want, errStrings(res.Errs)); diff != "" {
				t.Errorf("Check: -want, +got:\n%s", diff)
			}
		})
	}
}

func ptrInt(n int64) *int64 { return &n }

func TestCheckListsKindsWithoutCRD(t *testing.T) {
	rs := []Resource{
		{Path: backend, Base: widget(map[string]any{"size": "small"}), ReadinessPath: backend.Child("readinessChecks"), ReadinessChecks: []ReadinessCheck{{Check: ptv1beta1.ReadinessCheck{Type: ptv1beta1.ReadinessCheckTypeNone}}}},
		{Path: field.NewPath("spec", "compositions").Index(0).Child("resources").Index(0), Base: map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "spec": map[string]any{"anything": 1}}},
		{Path: field.NewPath("spec", "compositions").Index(1).Child("backend"), Base: map[string]any{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy"}},
	}
	res := Check(context.Background(), testSet(t), rs)
	if len(res.Errs) > 0 {
		t.Fatalf("errors: %v", res.Errs)
	}
	if got := strings.TrimSpace(strings.Join([]string{kinds(res.Checked), kinds(res.Unchecked)}, " | ")); got != "example.org/v1, Kind=Widget | networking.k8s.io/v1, Kind=NetworkPolicy" {
		t.Errorf("checked | unchecked = %s", got)
	}
	if res := Check(context.Background(), nil, rs); len(res.Unchecked) != 2 || len(res.Errs) > 0 {
		t.Errorf("with no CRDs: %+v", res)
	}
}

func kinds[T interface{ String() string }](ks []T) string {
	var out []string
	for _, k := range ks {
		out = append(out, k.String())
	}
	return strings.Join(out, ", ")
}
