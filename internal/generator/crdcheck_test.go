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

// handMadeCRDs reach each check the API server makes of CEL rules (validation.go of
// k8s.io/apiextensions-apiserver), and each way a rule's checks depend on the schema around it.
func handMadeCRDs() map[string]crdCase {
	one := func(schemas ...string) func(t *testing.T) []generator.CRDCheck {
		return func(t *testing.T) []generator.CRDCheck {
			return []generator.CRDCheck{generator.CheckCRD(crdOf(t, schemas...))}
		}
	}
	manyRules := func(n int, rule string) string {
		rs := make([]string, n)
		for i := range rs {
			rs[i] = fmt.Sprintf("{rule: %q}", fmt.Sprintf(rule, i))
		}
		return "[" + strings.Join(rs, ", ") + "]"
	}
	return map[string]crdCase{
		"RulesAtTheRoot": {
			reason: "Rules on the root schema: the unit is the whole schema.",
			checks: one(`{type: object, x-kubernetes-validations: [{rule: "self.metadata.name.size() < 20"}, {rule: "!has(self.spec) || self.spec.a > 0"}], properties: {spec: {type: object, properties: {a: {type: integer, x-kubernetes-validations: [{rule: "self < 10"}]}}}}}`),
		},
		"RulesOnNestedNodes": {
			reason: "Rules on a node and on nodes below it: one unit, typed from the top rule node as the API server types it.",
			checks: one(specSchema(`{a: {type: object, x-kubernetes-validations: [{rule: "self.b.c != 'x'"}], properties: {b: {type: object, properties: {c: {type: string, maxLength: 8, x-kubernetes-validations: [{rule: "self != 'y'"}]}}}}}, d: {type: integer, x-kubernetes-validations: [{rule: "self >= 0", messageExpression: "self < -10 ? 'd is far below 0' : 'd is below 0'"}]}}`)),
		},
		"CompileErrorBelowValidRules": {
			reason: "A rule that does not compile, below a node whose rules do.",
			checks: one(specSchema(`{a: {type: object, x-kubernetes-validations: [{rule: "has(self.b)"}], properties: {b: {type: integer, x-kubernetes-validations: [{rule: "self.startsWith('x')"}]}}}}`)),
			why:    "fail",
			whole:  "found no matching overload for 'startsWith'",
		},
		"PerRuleCostExceeded": {
			reason: "A rule over an unbounded list of lists, beyond the API server's limit for one rule.",
			checks: one(specSchema(`{a: {type: array, items: {type: array, items: {type: string}}, x-kubernetes-validations: [{rule: "self.all(x, self.all(y, x == y))"}]}}`)),
			why:    "fail",
			whole:  "estimated rule cost exceeds budget",
		},
		"PerRuleCostExceededByTheListsAbove": {
			reason: "A cheap rule on a string, beyond the limit only because of the maxItems of the lists above it: the unit keeps them.",
			checks: one(specSchema(`{a: {type: array, maxItems: 10000, items: {type: array, maxItems: 10000, items: {type: string, maxLength: 1000, x-kubernetes-validations: [{rule: "self.matches('^a+$')"}]}}}}`)),
			why:    "fail",
			whole:  "estimated rule cost exceeds budget",
		},
		"CostWithinTheListsAbove": {
			reason: "The same rule below smaller lists and a map with maxProperties is within the limit.",
			checks: one(specSchema(`{a: {type: array, maxItems: 10, items: {type: object, maxProperties: 10, additionalProperties: {type: string, maxLength: 1000, x-kubernetes-validations: [{rule: "self.matches('^a+$')"}]}}}}`)),
		},
		"TotalCostExceeded": {
			reason: "48 rules of 2,097,152 each in four units: the CRD's total is beyond the limit, no unit's is.",
			checks: one(specSchema(`{a: {type: array, items: {type: string, x-kubernetes-validations: ` + manyRules(12, "self.startsWith('a%d')") + `}}, b: {type: array, items: {type: string, x-kubernetes-validations: ` + manyRules(12, "self.startsWith('b%d')") + `}}, c: {type: array, items: {type: string, x-kubernetes-validations: ` + manyRules(12, "self.startsWith('c%d')") + `}}, d: {type: array, items: {type: string, x-kubernetes-validations: ` + manyRules(12, "self.startsWith('d%d')") + `}}}`)),
			why:    "exceeds the limit",
			whole:  "contributed to estimated rule cost total exceeding cost limit",
		},
		"TotalCostExceededByMessageExpressions": {
			reason: "47 rules are within the total; their messageExpressions, costed once each, take it beyond.",
			checks: one(specSchema(`{a: {type: array, items: {type: string, x-kubernetes-validations: [` + strings.Repeat(`{rule: "self.startsWith('a')", messageExpression: "self + self + self + self"}, `, 12) + `]}}, b: {type: array, items: {type: string, x-kubernetes-validations: ` + manyRules(12, "self.startsWith('b%d')") + `}}, c: {type: array, items: {type: string, x-kubernetes-validations: ` + manyRules(12, "self.startsWith('c%d')") + `}}, d: {type: array, items: {type: string, x-kubernetes-validations: ` + manyRules(11, "self.startsWith('d%d')") + `}}}`)),
			why:    "exceeds the limit",
			whole:  "x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget",
		},
		"TotalCostExceededBelowBoundedLists": {
			reason: "12 rules of 803 each, times the 11,000 items of the list above them: 8.8 million each (within the limit for one rule), 106 million in all.",
			checks: one(specSchema(`{a: {type: array, maxItems: 11000, items: {type: string, maxLength: 1000, x-kubernetes-validations: ` + manyRules(6, "self.matches('^a%d+$')") + `}}, b: {type: array, maxItems: 11000, items: {type: string, maxLength: 1000, x-kubernetes-validations: ` + manyRules(6, "self.matches('^b%d+$')") + `}}}`)),
			why:    "exceeds the limit",
			whole:  "contributed to estimated rule cost total exceeding cost limit",
		},
		"TotalCostWithinBelowBoundedLists": {
			reason: "11 such rules, 97 million, are within the limit: the parts multiply by the cardinality above as the API server does.",
			checks: one(specSchema(`{a: {type: array, maxItems: 11000, items: {type: string, maxLength: 1000, x-kubernetes-validations: ` + manyRules(6, "self.matches('^a%d+$')") + `}}, b: {type: array, maxItems: 11000, items: {type: string, maxLength: 1000, x-kubernetes-validations: ` + manyRules(5, "self.matches('^b%d+$')") + `}}}`)),
		},
		"TotalCostAfterAnEdit": {
			reason: "47 rules within the total, then one of them given a costly messageExpression: the costs of the 46 unchanged are remembered, the new one's is added, and the total is beyond the limit; then the first CRD again.",
			checks: func(t *testing.T) []generator.CRDCheck {
				first := specSchema(`{a: {type: array, items: {type: string, x-kubernetes-validations: ` + manyRules(12, "self.startsWith('a%d')") + `}}, b: {type: array, items: {type: string, x-kubernetes-validations: ` + manyRules(12, "self.startsWith('b%d')") + `}}, c: {type: array, items: {type: string, x-kubernetes-validations: ` + manyRules(12, "self.startsWith('c%d')") + `}}, d: {type: array, items: {type: string, x-kubernetes-validations: ` + manyRules(11, "self.startsWith('d%d')") + `}}}`)
				edited := strings.Replace(first, `{rule: "self.startsWith('d3')"}`, `{rule: "self.startsWith('d3')", messageExpression: "self + self + self + self"}`, 1)
				if edited == first {
					t.Fatal("no rule edited")
				}
				return generator.CheckCRDsInTurn(crdOf(t, first), crdOf(t, edited), crdOf(t, first))
			},
			why:   "exceeds the limit",
			whole: "x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget",
		},
		"SameRulesBelowOtherLists": {
			reason: "The same 12 rules below a list of 100 items, then of 11,000: a rule's cost is remembered with the schema around it, not alone.",
			checks: func(t *testing.T) []generator.CRDCheck {
				below := func(n string) string {
					return specSchema(`{a: {type: array, maxItems: ` + n + `, items: {type: string, maxLength: 1000, x-kubernetes-validations: ` + manyRules(6, "self.matches('^a%d+$')") + `}}, b: {type: array, maxItems: ` + n + `, items: {type: string, maxLength: 1000, x-kubernetes-validations: ` + manyRules(6, "self.matches('^b%d+$')") + `}}}`)
				}
				return generator.CheckCRDsInTurn(crdOf(t, below("100")), crdOf(t, below("11000")))
			},
			why:   "exceeds the limit",
			whole: "x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget",
		},
		"OldSelfUnderSetList": {
			reason: "A transition rule below a set list.",
			checks: one(specSchema(`{a: {type: array, maxItems: 10, x-kubernetes-list-type: set, items: {type: string, maxLength: 10, x-kubernetes-validations: [{rule: "self == oldSelf"}]}}}`)),
			why:    "fail",
			whole:  "oldSelf cannot be used on the uncorrelatable portion of the schema within spec.validation.openAPIV3Schema.properties[spec].properties[a]",
		},
		"OldSelfUnderAtomicMap": {
			reason: "A transition rule below an atomic map is valid: the API server correlates atomic and granular maps.",
			checks: one(specSchema(`{a: {type: object, x-kubernetes-map-type: atomic, properties: {b: {type: string, x-kubernetes-validations: [{rule: "self == oldSelf"}]}}}}`)),
		},
		"OldSelfUnderMapListAndGranularMap": {
			reason: "Transition rules below a map list and below a map of values are valid.",
			checks: one(specSchema(`{a: {type: array, maxItems: 10, x-kubernetes-list-type: map, x-kubernetes-list-map-keys: [k, j], items: {type: object, required: [k], properties: {k: {type: string}, j: {type: integer, default: 0}, v: {type: object, maxProperties: 10, additionalProperties: {type: string, maxLength: 10, x-kubernetes-validations: [{rule: "self == oldSelf"}]}}}}}}`)),
		},
		"OptionalOldSelfWithoutOldSelf": {
			reason: "optionalOldSelf on a rule that does not use oldSelf.",
			checks: one(specSchema(`{a: {type: integer, x-kubernetes-validations: [{rule: "self > 0", optionalOldSelf: true}]}}`)),
			why:    "fail",
			whole:  "may not be set if oldSelf is not used in rule",
		},
		"BadMessageExpression": {
			reason: "A messageExpression that does not compile.",
			checks: one(specSchema(`{a: {type: integer, x-kubernetes-validations: [{rule: "self > 0", messageExpression: "self.nope"}]}}`)),
			why:    "fail",
			whole:  "messageExpression",
		},
		"RuleFieldsInvalid": {
			reason: "An empty rule, a rule on two lines without a message, an unknown reason and a fieldPath that names nothing: errors of the rule's own fields.",
			checks: one(specSchema(`{a: {type: object, properties: {b: {type: string}}, x-kubernetes-validations: [{rule: " "}, {rule: "true &&\ntrue"}, {rule: "true", reason: Nope}, {rule: "true", fieldPath: ".c"}]}}`)),
			why:    "fail",
			whole:  "must be a valid path",
		},
		"SchemaErrorBelowRules": {
			reason: "A schema error below rules: the API server does not compile them, and reports the schema error only.",
			checks: one(specSchema(`{a: {type: object, x-kubernetes-validations: [{rule: "self.nope"}], properties: {b: {type: array, uniqueItems: true, items: {type: string}}}}}`)),
			why:    "checks without CEL rules fail",
			whole:  "uniqueItems cannot be set to true",
		},
		"RuleInAllOf": {
			reason: "A rule inside allOf, where CEL rules may not be: the CRD is not structural.",
			checks: one(specSchema(`{a: {type: integer, allOf: [{x-kubernetes-validations: [{rule: "self > 0"}]}]}}`)),
			why:    "checks without CEL rules fail",
			whole:  "must be empty to be structural",
		},
		"DefaultCheckedByItsRules": {
			reason: "A default its own rule refuses: structural defaulting runs the rules on it.",
			checks: one(specSchema(`{a: {type: integer, default: -1, x-kubernetes-validations: [{rule: "self >= 0"}]}}`)),
			why:    "fail",
			whole:  "default",
		},
		"DefaultAboveRules": {
			reason: "A default above a rule is checked against it: the unit does not hold the default, so the whole CRD is validated.",
			checks: one(specSchema(`{a: {type: object, default: {b: 1}, properties: {b: {type: integer, x-kubernetes-validations: [{rule: "self >= 2"}]}}}}`)),
			why:    "a default above the rules",
			whole:  "default",
		},
		"DefaultsCheckedInTwoUnits": {
			reason: "Defaults checked by rules in two units share one runtime cost budget: validated whole.",
			checks: one(specSchema(`{a: {type: integer, default: 1, x-kubernetes-validations: [{rule: "self >= 0"}]}, b: {type: integer, default: 1, x-kubernetes-validations: [{rule: "self >= 0"}]}}`)),
			why:    "share one cost budget",
		},
		"DefaultCheckedInOneUnit": {
			reason: "A default checked by rules in one unit is checked there.",
			checks: one(specSchema(`{a: {type: integer, default: 1, x-kubernetes-validations: [{rule: "self >= 0"}]}, b: {type: integer, default: 1}}`)),
		},
		"EmbeddedResource": {
			reason: "Rules on an embedded resource and below it: typed with apiVersion, kind and metadata as the API server types a resource.",
			checks: one(specSchema(`{r: {type: object, x-kubernetes-embedded-resource: true, x-kubernetes-preserve-unknown-fields: true, x-kubernetes-validations: [{rule: "self.kind != 'Secret'"}], properties: {spec: {type: object, properties: {n: {type: integer, x-kubernetes-validations: [{rule: "self > 0"}]}}}}}}`)),
		},
		"RulesInsideMetadata": {
			reason: "Rules inside the metadata of an embedded resource: validated whole.",
			checks: one(specSchema(`{r: {type: object, x-kubernetes-embedded-resource: true, properties: {metadata: {type: object, properties: {name: {type: string, x-kubernetes-validations: [{rule: "self != 'x'"}]}}}}}}`)),
			why:    "inside an object's metadata",
		},
		"IntOrString": {
			reason: "A rule on an int-or-string, as Klutch's MongoDB has.",
			checks: one(specSchema(`{a: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}], x-kubernetes-validations: [{rule: "type(self) == string ? self == 'off' : self >= 0"}]}}`)),
		},
		"PreservedUnknownFieldsAboveRules": {
			reason: "Rules below an object that preserves unknown fields, below a rule.",
			checks: one(specSchema(`{a: {type: object, x-kubernetes-validations: [{rule: "has(self.b)"}], properties: {b: {type: object, x-kubernetes-preserve-unknown-fields: true, properties: {c: {type: integer, x-kubernetes-validations: [{rule: "self > 0"}]}}}}}}`)),
		},
		"TypelessBelowRules": {
			reason: "Rules below an object of no type that preserves unknown fields, below a rule: the API server types rules in scope of another from the top one's type, which has no field for such an object.",
			checks: one(specSchema(`{a: {type: object, x-kubernetes-validations: [{rule: "true"}], properties: {b: {x-kubernetes-preserve-unknown-fields: true, properties: {c: {type: integer, x-kubernetes-validations: [{rule: "self > 0"}]}}}}}}`)),
			why:    "below a schema of no type",
			whole:  "unable to convert structural schema to CEL declarations",
		},
		"UnescapableNamesBelowRules": {
			reason: "Rules below properties whose names CEL cannot escape, below a rule: the top rule's type omits them.",
			checks: one(specSchema(`{a: {type: object, x-kubernetes-validations: [{rule: "has(self.d)"}], properties: {d: {type: string}, "1 b": {type: object, properties: {c: {type: integer, x-kubernetes-validations: [{rule: "self > 0"}]}}}}}}`)),
		},
		"RulesOnMetadataBelowRootRules": {
			reason: "Rules on the root and on metadata.name: the root's CEL type gives metadata a name of no maxLength, which the name's own schema does not: validated whole.",
			checks: one(`{type: object, x-kubernetes-validations: [{rule: "true"}], properties: {metadata: {type: object, properties: {name: {type: string, maxLength: 10, x-kubernetes-validations: [{rule: "self.matches('^[a-z]+$') && self.matches('^[b-z]+$')"}]}}}}}`),
			why:    "metadata",
		},
		"DefaultsBelowRules": {
			reason: "Defaults below a rule, each checked by its own rules or by none.",
			checks: one(specSchema(`{a: {type: object, x-kubernetes-validations: [{rule: "!has(self.b) || self.b > 0"}], properties: {b: {type: integer, default: 3, x-kubernetes-validations: [{rule: "self < 10"}]}, c: {type: string, default: x}}}}`)),
		},
		"DefaultAboveNestedRules": {
			reason: "A default on a node with rules, with a rule below it: the default is checked against both.",
			checks: one(specSchema(`{a: {type: object, default: {b: 20}, x-kubernetes-validations: [{rule: "has(self.b)"}], properties: {b: {type: integer, x-kubernetes-validations: [{rule: "self < 10"}]}}}}`)),
			why:    "a default above",
			whole:  "default",
		},
		"TwoVersions": {
			reason: "Two versions whose schemas differ beyond their rules: each version's units.",
			checks: one(specSchema(`{a: {type: integer, x-kubernetes-validations: [{rule: "self > 0"}]}}`), specSchema(`{a: {type: integer, x-kubernetes-validations: [{rule: "self > 0"}]}, b: {type: string}}`)),
		},
		"VersionsDifferingOnlyInRules": {
			reason: "Versions whose schemas differ only in their rules, merged into one schema once stripped of them: each version's rules are checked in its own units.",
			checks: one(specSchema(`{a: {type: integer, x-kubernetes-validations: [{rule: "self > 0"}]}}`), specSchema(`{a: {type: integer, x-kubernetes-validations: [{rule: "self > 1"}]}}`)),
		},
		"VersionsDifferingOnlyInABrokenRule": {
			reason: "The same, the second version's rule broken.",
			checks: one(specSchema(`{a: {type: integer, x-kubernetes-validations: [{rule: "self > 0"}]}}`), specSchema(`{a: {type: integer, x-kubernetes-validations: [{rule: "self > '1'"}]}}`)),
			why:    "fail",
			whole:  "spec.versions[1].schema.openAPIV3Schema.properties[spec].properties[a].x-kubernetes-validations[0].rule",
		},
		"NotStructural": {
			reason: "A schema without a type, beside rules.",
			checks: one(specSchema(`{a: {properties: {b: {type: string}}}, c: {type: integer, x-kubernetes-validations: [{rule: "self > 0"}]}}`)),
			why:    "checks without CEL rules fail",
			whole:  "must not be empty for specified object fields",
		},
	}
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
