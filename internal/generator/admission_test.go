package generator_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// severalCompositions offers plans from two compositions and a parameter only one supports: the
// generated XRD keys its rules on the composition a claim selects.
const severalCompositions = `
apiVersion: dataservice.klutch.io/v1alpha1
kind: DataService
metadata:
  name: cache
spec:
  group: internal.example.org
  kind: CacheInstance
  defaultComposition: cache-operator
  parameters:
    schema:
      type: object
      properties:
        maxMemory: {type: integer}
  compositions:
    - name: cache-broker
      plans: [broker-small, broker-big]
    - name: cache-operator
      plans: [small, big]
      exclusiveParameters: [maxMemory]
`

// TestAdmissionWithoutCompositionRef validates claims against the CEL rules of the generated XRD
// with the API server's own CEL validator, as admission does: a claim without compositionRef is
// admitted and validated as the default composition's, unless the spec requires a reference (as
// Klutch's hand-written PostgreSQL does), where the API server rejects it.
func TestAdmissionWithoutCompositionRef(t *testing.T) {
	cases := map[string]struct {
		require bool
		spec    string // the claim's spec
		want    string // a substring of the error, "" to be admitted
	}{
		"NoRefDefaultsPlan":         {spec: `{"plan": "small"}`},
		"NoRefDefaultsParameter":    {spec: `{"plan": "big", "parameters": {"maxMemory": 64}}`},
		"NoRefOtherCompositionPlan": {spec: `{"plan": "broker-small"}`, want: "Unsupported plan used for cache"},
		"RefSelectsOther":           {spec: `{"plan": "broker-small", "compositionRef": {"name": "cache-broker"}}`},
		"RefOtherExclusive":         {spec: `{"plan": "broker-big", "compositionRef": {"name": "cache-broker"}, "parameters": {"maxMemory": 64}}`, want: "parameters.maxMemory is not supported for cache-broker"},
		"RequiredRefMissing":        {require: true, spec: `{"plan": "small"}`, want: "no such key: compositionRef"},
		"RequiredRefGiven":          {require: true, spec: `{"plan": "small", "compositionRef": {"name": "cache-operator"}}`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ds, err := v1alpha1.Decode([]byte(severalCompositions))
			if err != nil {
				t.Fatal(err)
			}
			ds.Spec.RequireCompositionRef = tc.require
			out, err := generator.Generate(ds, inputv1beta1.Defaults{})
			if err != nil {
				t.Fatal(err)
			}
			var spec map[string]any
			if err := json.Unmarshal([]byte(tc.spec), &spec); err != nil {
				t.Fatal(err)
			}
			errs := admitClaim(t, out.XRD, spec)
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Errorf("claim %s rejected: %v", tc.spec, errs.ToAggregate())
			case tc.want != "" && (len(errs) == 0 || !strings.Contains(errs.ToAggregate().Error(), tc.want)):
				rules, _, _ := unstructured.NestedSlice(out.XRD.Object, "spec", "versions")
				t.Errorf("claim %s: want an error containing %q, got %v\nXRD: %v", tc.spec, tc.want, errs.ToAggregate(), rules)
			}
		})
	}
}

// admitClaim runs the CEL rules of a v1 XRD's schema on a claim's spec, as the API server does
// for the claim CRD Crossplane derives from it (which adds compositionRef to spec).
func admitClaim(t *testing.T, xrd *unstructured.Unstructured, spec map[string]any) field.ErrorList {
	t.Helper()
	versions, _, _ := unstructured.NestedSlice(xrd.Object, "spec", "versions")
	raw, _ := json.Marshal(versions[0].(map[string]any)["schema"].(map[string]any)["openAPIV3Schema"])
	root := &extv1.JSONSchemaProps{}
	if err := json.Unmarshal(raw, root); err != nil {
		t.Fatal(err)
	}
	s := root.Properties["spec"]
	s.Type = "object" // as Crossplane's claim CRD has it
	for k, v := range xpline.V1.ClaimSpecProperties() {
		s.Properties[k] = v
	}
	root = &extv1.JSONSchemaProps{Type: "object", Properties: map[string]extv1.JSONSchemaProps{"spec": s}}
	internal := &apiextensions.JSONSchemaProps{}
	if err := extv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(root, internal, nil); err != nil {
		t.Fatal(err)
	}
	structural, err := schema.NewStructural(internal)
	if err != nil {
		t.Fatal(err)
	}
	v := cel.NewValidator(structural, true, celconfig.PerCallLimit)
	errs, _ := v.Validate(context.Background(), field.NewPath("claim"), structural, map[string]any{"spec": spec}, nil, celconfig.RuntimeCELCostBudget)
	return errs
}
