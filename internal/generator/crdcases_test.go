package generator_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/function-dataservice/function-dataservice/internal/generator"
)

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
