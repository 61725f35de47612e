package compat

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// TestSchema covers what DataService edits rarely reach: nested lists and maps, list semantics,
// unknown fields, combinators and exclusive bounds.
func TestSchema(t *testing.T) {
	type change struct {
		Path     string
		Kind     Kind
		Breaking bool
	}
	cases := map[string]struct {
		old, new string
		want     []change
	}{
		"ImpliedObjectTypeIsNoChange": {
			old: "properties: {a: {type: string}}",
			new: "type: object\nproperties: {a: {type: string}}",
		},
		"NestedListItemRemovedIsBreaking": {
			old:  "type: array\nitems: {type: object, properties: {a: {type: string}, b: {type: string}}}",
			new:  "type: array\nitems: {type: object, properties: {a: {type: string}}}",
			want: []change{{"x[*].b", FieldRemoved, true}},
		},
		"MapValueTypeChangeIsBreaking": {
			old:  "type: object\nadditionalProperties: {type: string}",
			new:  "type: object\nadditionalProperties: {type: integer}",
			want: []change{{"x.*", TypeChanged, true}},
		},
		"NoLongerPreservingUnknownFieldsIsBreaking": {
			old:  "type: object\nx-kubernetes-preserve-unknown-fields: true",
			new:  "type: object",
			want: []change{{"x", SchemaChanged, true}},
		},
		"PreservingUnknownFieldsIsSafe": {
			old:  "type: object",
			new:  "type: object\nx-kubernetes-preserve-unknown-fields: true",
			want: []change{{"x", ValidationLoosened, false}},
		},
		"ListBecomingASetIsBreaking": {
			old:  "type: array\nitems: {type: string}",
			new:  "type: array\nitems: {type: string}\nx-kubernetes-list-type: set",
			want: []change{{"x", SchemaChanged, true}},
		},
		"SetBecomingAtomicIsSafe": {
			old:  "type: array\nitems: {type: string}\nx-kubernetes-list-type: set",
			new:  "type: array\nitems: {type: string}\nx-kubernetes-list-type: atomic",
			want: []change{{"x", ValidationLoosened, false}},
		},
		"NotNullableIsBreaking": {
			old:  "type: string\nnullable: true",
			new:  "type: string",
			want: []change{{"x", ValidationTightened, true}},
		},
		"ExclusiveMaximumIsBreaking": {
			old:  "type: integer\nmaximum: 5",
			new:  "type: integer\nmaximum: 5\nexclusiveMaximum: true",
			want: []change{{"x", ValidationTightened, true}},
		},
		"NewMinItemsIsBreaking": {
			old:  "type: array\nitems: {type: string}",
			new:  "type: array\nitems: {type: string}\nminItems: 1",
			want: []change{{"x", ValidationTightened, true}},
		},
		"RemovedMaxLengthIsSafe": {
			old:  "type: string\nmaxLength: 3",
			new:  "type: string",
			want: []change{{"x", ValidationLoosened, false}},
		},
		"NewOneOfIsBreaking": {
			old:  "type: object\nproperties: {a: {type: string}, b: {type: string}}",
			new:  "type: object\nproperties: {a: {type: string}, b: {type: string}}\noneOf: [{required: [a]}, {required: [b]}]",
			want: []change{{"x", ValidationTightened, true}},
		},
		"IntOrStringAnyOfIsNoConstraint": {
			old:  "x-kubernetes-int-or-string: true\nanyOf: [{type: integer}, {type: string}]",
			new:  "x-kubernetes-int-or-string: true\nanyOf: [{type: integer}, {type: string}]\ndescription: d",
			want: []change{{"x", DescriptionChanged, false}},
		},
		"ChangedDefaultIsBreaking": {
			old:  "type: string\ndefault: a",
			new:  "type: string\ndefault: b",
			want: []change{{"x", DefaultChanged, true}},
		},
		"RemovedDefaultIsSafe": {
			old:  "type: string\ndefault: a",
			new:  "type: string",
			want: []change{{"x", DefaultRemoved, false}},
		},
		"RequiredWithDefaultIsSafe": {
			old:  "type: object\nproperties: {a: {type: string}}",
			new:  "type: object\nrequired: [a, b]\nproperties: {a: {type: string, default: x}, b: {type: string, default: y}}",
			want: []change{{"x.a", DefaultChanged, true}, {"x.b", FieldAdded, false}, {"x.a", FieldRequired, false}},
		},
		"OptionalIsSafe": {
			old:  "type: object\nrequired: [a]\nproperties: {a: {type: string}}",
			new:  "type: object\nproperties: {a: {type: string}}",
			want: []change{{"x.a", FieldOptional, false}},
		},
		"RuleMessageEditIsSafe": {
			old:  "type: string\nx-kubernetes-validations: [{rule: self != '', message: a}]",
			new:  "type: string\nx-kubernetes-validations: [{rule: \"self  !=  ''\", message: b}]",
			want: []change{{"x", RuleMessageChanged, false}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var o, n extv1.JSONSchemaProps
			if err := yaml.Unmarshal([]byte(tc.old), &o); err != nil {
				t.Fatal(err)
			}
			if err := yaml.Unmarshal([]byte(tc.new), &n); err != nil {
				t.Fatal(err)
			}
			c := &comparison{}
			c.schema("x", &o, &n)
			got := []change{}
			for _, ch := range c.changes {
				got = append(got, change{ch.Path, ch.Kind, ch.Breaking})
			}
			want := tc.want
			if want == nil {
				want = []change{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("schema: -want, +got:\n%s", diff)
			}
		})
	}
}
