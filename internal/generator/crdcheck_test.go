package generator_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/reference"
)

// crdCase is one input of TestCRDChecksAgree: the CRDs it yields, and what is expected of them.
type crdCase struct {
	reason string
	checks func(t *testing.T) []generator.CRDCheck
	// why is a substring of why the whole CRD was validated, "" when its parts must answer.
	why string
	// whole is a substring of an error the API server finds in the whole CRD, "" for none: the
	// case tests what it says it tests.
	whole string
}

// TestCRDChecksAgree: the API server's checks answered from its verdicts on parts of a CRD
// (crdcheck.go) find exactly what ValidateCustomResourceDefinition finds in the whole CRD, with no
// verdicts and with every verdict remembered, over every example on both Crossplane lines, Klutch's
// own XRDs, the largest specs the limits allow, and hand-made CRDs that reach each check the API
// server makes of CEL rules. Valid inputs must be answered from the parts (or generating would be
// as slow as before), and inputs whose rules the parts cannot judge alone must go to the API server
// whole, for the reason given.
func TestCRDChecksAgree(t *testing.T) {
	cases := map[string]crdCase{}
	examples, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range examples {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := v1alpha1.Decode(data)
		if err != nil {
			continue // overlays and what is not a DataService
		}
		for _, line := range []string{"", "v2"} {
			name := "Example/" + filepath.Base(filepath.Dir(p)) + "/" + strings.TrimSuffix(filepath.Base(p), ".yaml") + "/" + line
			cases[name] = crdCase{
				reason: "Every example is valid and answered from its parts.",
				checks: specChecks(ds, inputv1beta1.Defaults{CrossplaneVersion: line}),
			}
		}
	}
	for _, rel := range []string{
		"crossplane-api/api/a9s/mongodb/definition.yaml",
		"crossplane-api/api/common/postgresql_definition.yaml",
		"crossplane-api/api/common/servicebinding_definition.yaml",
		"crossplane-v2-branch/a9s/mongodb/definition.yaml",
	} {
		cases["Reference/"+rel] = crdCase{
			reason: "Klutch's own XRDs are valid and answered from their parts.",
			checks: func(t *testing.T) []generator.CRDCheck {
				data, err := os.ReadFile(reference.PathOrSkip(t, rel))
				if err != nil {
					t.Fatal(err)
				}
				checks, err := generator.CheckCRDsOfXRD(data)
				if err != nil {
					t.Fatal(err)
				}
				return checks
			},
		}
	}
	for name, tc := range specCases() {
		cases["Spec/"+name] = tc
	}
	for name, tc := range handMadeCRDs() {
		cases["CRD/"+name] = tc
	}

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			checks := tc.checks(t)
			if len(checks) == 0 {
				t.Fatalf("%s\nno CRD to check", tc.reason)
			}
			found, fellBack := false, false
			for _, c := range checks {
				if diff := cmp.Diff(c.Whole, c.Parts); diff != "" {
					t.Errorf("%s\n%s: the parts find other errors than the whole CRD (-whole +parts; fallback: %q):\n%s", tc.reason, c.Name, c.Why, diff)
				}
				if diff := cmp.Diff(c.Whole, c.Again); diff != "" {
					t.Errorf("%s\n%s: the remembered verdicts find other errors than the whole CRD (-whole +again; fallback: %q):\n%s", tc.reason, c.Name, c.WhyAgain, diff)
				}
				if c.Why != c.WhyAgain {
					t.Errorf("%s\n%s: validated whole because %q, then because %q", tc.reason, c.Name, c.Why, c.WhyAgain)
				}
				if tc.why == "" && c.Why != "" {
					t.Errorf("%s\n%s: validated whole because %s; want it answered from its parts", tc.reason, c.Name, c.Why)
				}
				fellBack = fellBack || (tc.why != "" && strings.Contains(c.Why, tc.why))
				for _, e := range c.Whole {
					found = found || (tc.whole != "" && strings.Contains(e, tc.whole))
				}
				if tc.whole == "" && len(c.Whole) > 0 {
					t.Errorf("%s\n%s: want the CRD valid, the API server finds:\n%s", tc.reason, c.Name, strings.Join(c.Whole, "\n"))
				}
			}
			if tc.why != "" && !fellBack {
				t.Errorf("%s\nno CRD validated whole because ...%s...; why: %q", tc.reason, tc.why, whys(checks))
			}
			if tc.whole != "" && !found {
				t.Errorf("%s\nthe API server finds no error ...%s... in the whole CRDs:\n%s", tc.reason, tc.whole, wholeErrors(checks))
			}
		})
	}
}

func whys(checks []generator.CRDCheck) []string {
	var out []string
	for _, c := range checks {
		out = append(out, c.Why)
	}
	return out
}

func wholeErrors(checks []generator.CRDCheck) string {
	var b strings.Builder
	for _, c := range checks {
		fmt.Fprintf(&b, "%s:\n  %s\n", c.Name, strings.Join(c.Whole, "\n  "))
	}
	return b.String()
}

func specChecks(ds *v1alpha1.DataService, d inputv1beta1.Defaults) func(t *testing.T) []generator.CRDCheck {
	return func(t *testing.T) []generator.CRDCheck {
		checks, err := generator.CheckCRDsOfSpec(ds, d)
		if err != nil {
			t.Fatal(err)
		}
		return checks
	}
}

// unboundedListRules is a parameter: a list of strings of no bounds whose items carry n rules,
// each of an estimated cost of 2,097,152 (the API server's estimate for a list it cannot bound).
func unboundedListRules(name string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "        %s:\n          type: array\n          items:\n            type: string\n            x-kubernetes-validations:\n", name)
	for i := range n {
		fmt.Fprintf(&b, "              - rule: \"self.startsWith('%d')\"\n", i)
	}
	return b.String()
}

// specCases are DataServices whose CRDs reach what a unit alone cannot judge, within the limits a
// spec may reach (limits.go).
func specCases() map[string]crdCase {
	withParams := func(params string, edit func(*v1alpha1.DataService)) func(t *testing.T) []generator.CRDCheck {
		return func(t *testing.T) []generator.CRDCheck {
			spec := strings.Replace(validSpec, "        maxMemory: {type: integer}\n", params, 1)
			ds, err := v1alpha1.Decode([]byte(spec))
			if err != nil {
				t.Fatal(err)
			}
			if edit != nil {
				edit(ds)
			}
			return specChecks(ds, inputv1beta1.Defaults{})(t)
		}
	}
	return map[string]crdCase{
		"LargestRules": {
			reason: "The longest rules the limits allow, at every version: more than 10 expressions, so the parts add up the rules' cost.",
			checks: func(t *testing.T) []generator.CRDCheck {
				return specChecks(hostile(t, repeat(chain(generator.MaxRuleLength), generator.MaxCELSize/generator.MaxRuleLength), nil, 0, 2), inputv1beta1.Defaults{})(t)
			},
		},
		"MostRules": {
			reason: "The most rules the limits allow, on many parameters.",
			checks: func(t *testing.T) []generator.CRDCheck {
				return specChecks(hostile(t, nil, repeat("self > 0 && self < 100000", generator.MaxRulesPerSchema), generator.MaxCELRules/generator.MaxRulesPerSchema-1, 1), inputv1beta1.Defaults{})(t)
			},
		},
		"CompileError": {
			reason: "A spec rule that does not compile.",
			checks: func(t *testing.T) []generator.CRDCheck {
				return specChecks(hostile(t, []string{"self.nope == 1"}, nil, 0, 0), inputv1beta1.Defaults{})(t)
			},
			why:   "the CEL rules at openAPIV3Schema.properties[spec] fail",
			whole: "undefined field 'nope'",
		},
		"BadMessageExpression": {
			reason: "A spec rule whose messageExpression is not a string.",
			checks: withParams("        maxMemory: {type: integer}\n", func(ds *v1alpha1.DataService) {
				ds.Spec.Rules = append(ds.Spec.Rules, v1alpha1.Rule{Rule: "true", MessageExpression: "1"})
			}),
			why:   "fail",
			whole: "messageExpression",
		},
		"OldSelfUnderAtomicList": {
			reason: "A transition rule below a list that is not a map list: the API server cannot correlate its items.",
			checks: withParams("        hosts:\n          type: array\n          items:\n            type: object\n            properties:\n              name:\n                type: string\n                maxLength: 10\n                x-kubernetes-validations: [{rule: 'self == oldSelf'}]\n", nil),
			why:    "fail",
			whole:  "oldSelf cannot be used on the uncorrelatable portion of the schema within spec.validation.openAPIV3Schema.properties[spec].properties[parameters].properties[hosts]",
		},
		"OldSelfUnderMapList": {
			reason: "A transition rule below a map list is valid: the unit keeps the list's keys.",
			checks: withParams("        hosts:\n          type: array\n          x-kubernetes-list-type: map\n          x-kubernetes-list-map-keys: [name]\n          items:\n            type: object\n            required: [name]\n            properties:\n              name: {type: string}\n              port:\n                type: integer\n                x-kubernetes-validations: [{rule: 'self == oldSelf'}]\n", nil),
		},
		"TotalCostExceeded": {
			reason: "48 rules of 2,097,152 each on four parameters, 12 each (within the spec's limits): each unit is within the API server's limit for a CRD, all together are not.",
			checks: withParams(unboundedListRules("a", 12)+unboundedListRules("b", 12)+unboundedListRules("c", 12)+unboundedListRules("d", 12), nil),
			why:    "exceeds the limit",
			whole:  "x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget",
		},
		"TotalCostWithin": {
			reason: "47 such rules stay within the limit for a CRD, by 1.5 million: the parts add up costs exactly as the API server does.",
			checks: withParams(unboundedListRules("a", 12)+unboundedListRules("b", 12)+unboundedListRules("c", 12)+unboundedListRules("d", 11), nil),
		},
	}
}

// crdOf is a CRD with a status subresource and one version per schema, in YAML.
func crdOf(t *testing.T, schemas ...string) *extv1.CustomResourceDefinition {
	t.Helper()
	crd := &extv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "things.example.org"},
		Spec: extv1.CustomResourceDefinitionSpec{
			Group: "example.org", Scope: extv1.NamespaceScoped,
			Names: extv1.CustomResourceDefinitionNames{Kind: "Thing", ListKind: "ThingList", Plural: "things", Singular: "thing"},
		},
	}
	for i, y := range schemas {
		s := &extv1.JSONSchemaProps{}
		if err := yaml.Unmarshal([]byte(y), s); err != nil {
			t.Fatalf("schema %d: %v", i, err)
		}
		name := fmt.Sprintf("v%d", i+1)
		crd.Spec.Versions = append(crd.Spec.Versions, extv1.CustomResourceDefinitionVersion{
			Name: name, Served: true, Storage: i == 0,
			Schema:       &extv1.CustomResourceValidation{OpenAPIV3Schema: s},
			Subresources: &extv1.CustomResourceSubresources{Status: &extv1.CustomResourceSubresourceStatus{}},
		})
	}
	crd.Status.StoredVersions = []string{"v1"}
	return crd
}

// specSchema is a root schema whose spec has the properties given in YAML flow style.
func specSchema(props string) string {
	return `{type: object, properties: {spec: {type: object, properties: ` + props + `}}}`
}

// FuzzCRDChecks feeds arbitrary schemas to the API server's checks, whole and in parts: both must
// find the same, whatever the schema.
func FuzzCRDChecks(f *testing.F) {
	for _, s := range []string{
		specSchema(`{a: {type: object, x-kubernetes-validations: [{rule: "self.b.c != 'x'"}], properties: {b: {type: object, properties: {c: {type: string, maxLength: 8, x-kubernetes-validations: [{rule: "self != 'y'"}]}}}}}}`),
		specSchema(`{a: {type: array, maxItems: 10, x-kubernetes-list-type: map, x-kubernetes-list-map-keys: [k], items: {type: object, required: [k], properties: {k: {type: string}, v: {type: object, maxProperties: 10, additionalProperties: {type: string, maxLength: 10, x-kubernetes-validations: [{rule: "self == oldSelf"}]}}}}}}`),
		specSchema(`{a: {type: integer, default: 1, x-kubernetes-validations: [{rule: "self >= 0", messageExpression: "'a is ' + string(self)"}]}, b: {type: array, items: {type: string, x-kubernetes-validations: [{rule: "self.startsWith('b')"}]}}}`),
		specSchema(`{r: {type: object, x-kubernetes-embedded-resource: true, x-kubernetes-preserve-unknown-fields: true, x-kubernetes-validations: [{rule: "self.kind != 'Secret'"}], properties: {spec: {type: object, properties: {n: {type: integer, x-kubernetes-validations: [{rule: "self > 0", optionalOldSelf: true}]}}}}}}`),
		`{type: object, x-kubernetes-validations: [{rule: "self.metadata.name.size() < 20"}], properties: {spec: {type: object, x-kubernetes-map-type: atomic, properties: {a: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}], x-kubernetes-validations: [{rule: "type(self) == string ? self == 'off' : self >= 0"}]}}}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, schema []byte) {
		s := &extv1.JSONSchemaProps{}
		if err := yaml.Unmarshal(schema, s); err != nil {
			return
		}
		crd := crdOf(t, string(schema))
		c := generator.CheckCRD(crd)
		if !slices.Equal(c.Whole, c.Parts) || !slices.Equal(c.Whole, c.Again) {
			t.Fatalf("the API server finds\n%s\nin the whole CRD, in parts (%q)\n%s\nand again (%q)\n%s",
				strings.Join(c.Whole, "\n"), c.Why, strings.Join(c.Parts, "\n"), c.WhyAgain, strings.Join(c.Again, "\n"))
		}
	})
}
