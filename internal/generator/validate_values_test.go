package generator_test

import (
	"fmt"
	"testing"

	ptv1beta1 "github.com/crossplane-contrib/function-patch-and-transform/input/v1beta1"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// catalogSpec is a small internal service with a plan catalog every case below breaks once.
const catalogSpec = `
apiVersion: dataservice.klutch.io/v1alpha1
kind: DataService
metadata:
  name: cache
spec:
  crossplaneVersion: v2
  group: internal.example.org
  kind: CacheInstance
  plan:
    values:
      - {name: memory}
      - {name: replicas, type: integer}
    catalog:
      - {name: small, values: {memory: 1Gi, replicas: 1}}
      - {name: big, values: {memory: 4Gi, replicas: 3}}
  compositions:
    - name: cache
      backend:
        apiVersion: cache.example.org/v1
        kind: Cache
        fields:
          - {value: plan.memory, to: spec.memory}
          - {value: plan.replicas, to: spec.replicas}
          - from: spec.plan
            to: spec.tier
            transforms: [{type: string, string: {type: Regexp, regexp: {match: '^(\w+)$'}}}]
        readinessChecks:
          - {type: MatchTrue, fieldPath: status.ready}
`

func str(s string) *string { return &s }

// TestValidationOfValuesAndTransforms breaks catalogSpec once per rule: each error is fatal at
// generate time, names the field path and says how to fix it, where it would otherwise reach
// function-patch-and-transform and fail the Composition at reconcile.
func TestValidationOfValuesAndTransforms(t *testing.T) {
	type want = wantError
	backend := func(s *v1alpha1.DataServiceSpec) *v1alpha1.Backend { return s.Compositions[0].Backend }
	cases := map[string]struct {
		edit func(s *v1alpha1.DataServiceSpec)
		want []want
	}{
		"PlanMissingValue": {
			edit: func(s *v1alpha1.DataServiceSpec) { delete(s.Plan.Catalog[1].Values, "memory") },
			want: []want{{"spec.compositions[0].backend.fields[0].value", "plan big offered by spec.compositions[0].plans has no value memory: set spec.plan.catalog[1].values.memory, or give this mapping a default"}},
		},
		"PlanMissingValueWithDefault": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				delete(s.Plan.Catalog[1].Values, "memory")
				backend(s).Fields[0].Default = &extv1.JSON{Raw: []byte(`"2Gi"`)}
			},
		},
		"OfferedPlanNotInCatalog": {
			// The map would have no entry for plan huge: P&T's map transform fails on it at run time.
			edit: func(s *v1alpha1.DataServiceSpec) { s.Compositions[0].Plans = []string{"small", "big", "huge"} },
			want: []want{
				{"spec.compositions[0].plans[2]", "huge: not in spec.plan.catalog (small, big)"},
				{"spec.compositions[0].backend.fields[0].value", "plan huge offered by spec.compositions[0].plans has no value memory"},
			},
		},
		"ValueNotDeclared": {
			edit: func(s *v1alpha1.DataServiceSpec) { backend(s).Fields[0].Value = "plan.cpu" },
			want: []want{{"spec.compositions[0].backend.fields[0].value", "plan.cpu: declare the value under spec.plan.values"}},
		},
		"ValueNotPlanOrService": {
			edit: func(s *v1alpha1.DataServiceSpec) { backend(s).Fields[0].Value = "memory" },
			want: []want{{"spec.compositions[0].backend.fields[0].value", "must be plan.<value> or service.<value>"}},
		},
		"CatalogValueUndeclared": {
			edit: func(s *v1alpha1.DataServiceSpec) { s.Plan.Catalog[0].Values["cpu"] = extv1.JSON{Raw: []byte(`"1"`)} },
			want: []want{{"spec.plan.catalog[0].values[cpu]", "cpu is not declared: add {name: cpu, type: string} to spec.plan.values"}},
		},
		"CatalogValueOfWrongType": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				s.Plan.Catalog[0].Values["replicas"] = extv1.JSON{Raw: []byte(`"one"`)}
			},
			want: []want{{"spec.plan.catalog[0].values[replicas]", "must be an integer"}},
		},
		"FromAndValue": {
			edit: func(s *v1alpha1.DataServiceSpec) { backend(s).Fields[0].From = "spec.plan" },
			want: []want{{"spec.compositions[0].backend.fields[0]", "set from or value, not both"}},
		},
		"NeitherFromNorValue": {
			edit: func(s *v1alpha1.DataServiceSpec) { backend(s).Fields[0].Value = "" },
			want: []want{{"spec.compositions[0].backend.fields[0].from", "set from (a field of the API, e.g. spec.plan) or value"}},
		},
		"RegexpDoesNotCompile": {
			edit: func(s *v1alpha1.DataServiceSpec) { backend(s).Fields[2].Transforms[0].String.Regexp.Match = `(\w+` },
			want: []want{{"spec.compositions[0].backend.fields[2].transforms[0].string.regexp.match", "does not compile as a Go regular expression"}},
		},
		"RegexpGroupMissing": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				g := 2
				backend(s).Fields[2].Transforms[0].String.Regexp.Group = &g
			},
			want: []want{{"spec.compositions[0].backend.fields[2].transforms[0].string.regexp.group", "the expression has 1 groups"}},
		},
		"MapWithoutPairs": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				backend(s).Fields[2].Transforms = []ptv1beta1.Transform{{Type: ptv1beta1.TransformTypeMap, Map: &ptv1beta1.MapTransform{}}}
			},
			want: []want{{"spec.compositions[0].backend.fields[2].transforms[0].map", "list at least one key: value pair"}},
		},
		"MathWithoutFactor": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				backend(s).Fields[2].Transforms = []ptv1beta1.Transform{{Type: ptv1beta1.TransformTypeMath, Math: &ptv1beta1.MathTransform{}}}
			},
			want: []want{{"spec.compositions[0].backend.fields[2].transforms[0].math.multiply", "the factor"}},
		},
		"MatchRegexpDoesNotCompile": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				backend(s).Fields[2].Transforms = []ptv1beta1.Transform{{Type: ptv1beta1.TransformTypeMatch, Match: &ptv1beta1.MatchTransform{Patterns: []ptv1beta1.MatchTransformPattern{
					{Type: ptv1beta1.MatchTransformPatternTypeRegexp, Regexp: str("[a-"), Result: extv1.JSON{Raw: []byte(`"x"`)}},
				}}}}
			},
			want: []want{{"spec.compositions[0].backend.fields[2].transforms[0].match.patterns[0].regexp", "does not compile"}},
		},
		"ConvertToUnknownType": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				backend(s).Fields[2].Transforms = []ptv1beta1.Transform{{Type: ptv1beta1.TransformTypeConvert, Convert: &ptv1beta1.ConvertTransform{ToType: "integer"}}}
			},
			want: []want{{"spec.compositions[0].backend.fields[2].transforms[0].convert.toType", `Unsupported value: "integer"`}},
		},
		"StringConvertUnknown": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				c := ptv1beta1.StringConversionType("ToCamel")
				backend(s).Fields[2].Transforms = []ptv1beta1.Transform{{Type: ptv1beta1.TransformTypeString, String: &ptv1beta1.StringTransform{Type: ptv1beta1.StringTransformTypeConvert, Convert: &c}}}
			},
			want: []want{{"spec.compositions[0].backend.fields[2].transforms[0].string.convert", `Unsupported value: "ToCamel"`}},
		},
		"FormatWithoutVerb": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				backend(s).Fields[2].Transforms = []ptv1beta1.Transform{{Type: ptv1beta1.TransformTypeString, String: &ptv1beta1.StringTransform{Type: ptv1beta1.StringTransformTypeFormat, Format: str("tier")}}}
			},
			want: []want{{"spec.compositions[0].backend.fields[2].transforms[0].string.fmt", "must hold exactly one verb"}},
		},
		"UnknownTransformType": {
			edit: func(s *v1alpha1.DataServiceSpec) { backend(s).Fields[2].Transforms[0].Type = "replace" },
			want: []want{{"spec.compositions[0].backend.fields[2].transforms[0].type", `Unsupported value: "replace"`}},
		},
		"ReadinessCheckWithoutFieldPath": {
			edit: func(s *v1alpha1.DataServiceSpec) { backend(s).ReadinessChecks[0].FieldPath = nil },
			want: []want{{"spec.compositions[0].backend.readinessChecks[0].fieldPath", "the field of the composed resource to check"}},
		},
		"ConnectionDetailWithoutValue": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				backend(s).ConnectionDetails = []ptv1beta1.ConnectionDetail{{Name: "port", Type: ptv1beta1.ConnectionDetailTypeFromValue}}
			},
			want: []want{{"spec.compositions[0].backend.connectionDetails[0].value", "the fixed value"}},
		},
		"ResourceNamedAfterBackend": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				s.Compositions[0].Resources = []v1alpha1.Resource{{Name: "cache", APIVersion: "v1", Kind: "Secret"}}
			},
			want: []want{
				{"spec.compositions[0].resources[0].name", "the backend is named after the composition"},
				{"spec.compositions[0].resources[0].apiVersion", "must be group/version"},
			},
		},
		"ResourceWithBadMapping": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				s.Compositions[0].Resources = []v1alpha1.Resource{{Name: "policy", APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy",
					Fields: []v1alpha1.Mapping{{Value: "plan.disk", To: "spec.x"}}}}
			},
			want: []want{{"spec.compositions[0].resources[0].fields[0].value", "plan.disk: declare the value"}},
		},
		"ProviderConfigDisabledAndNamed": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				backend(s).ProviderConfig = &v1alpha1.ProviderConfig{Disabled: true, Name: "default"}
			},
			want: []want{{"spec.compositions[0].backend.providerConfig.disabled", "a disabled providerConfig names none"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ds, err := v1alpha1.Decode([]byte(catalogSpec))
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(&ds.Spec)
			assertGenerateErrors(t, ds, tc.want)
		})
	}
}

// TestCatalogSpecGenerates keeps the base of the cases above valid, and shows the map P&T gets:
// one entry per offered plan, typed as declared.
func TestCatalogSpecGenerates(t *testing.T) {
	ds, err := v1alpha1.Decode([]byte(catalogSpec))
	if err != nil {
		t.Fatal(err)
	}
	out, err := generator.Generate(ds, inputv1beta1.Defaults{})
	if err != nil {
		t.Fatalf("the base spec must be valid: %v", err)
	}
	pipeline, _, _ := unstructured.NestedSlice(out.Compositions[0].Object, "spec", "pipeline")
	res, _, _ := unstructured.NestedSlice(pipeline[0].(map[string]any), "input", "resources")
	patches, _, _ := unstructured.NestedSlice(res[0].(map[string]any), "patches")
	got := patches[1].(map[string]any)["transforms"].([]any)[0].(map[string]any)["map"]
	if fmt.Sprint(got) != "map[big:3 small:1]" {
		t.Errorf("replicas map: want {small: 1, big: 3}, got %v", got)
	}
}
