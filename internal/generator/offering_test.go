package generator

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/function-dataservice/function-dataservice/internal/resolved"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// TestParseOfferingRule moved here from internal/compat with the parser.
func TestParseOfferingRule(t *testing.T) {
	type want struct {
		Field string
		By    map[string][]string
		Order []string
		OK    bool
	}
	cases := map[string]struct {
		rule string
		want want
	}{
		"GeneratedPlans": {
			rule: "(self.compositionRef.name == 'a9s-pg' && (self.plan == 'a' || self.plan == 'b')) || (self.compositionRef.name == 'a8s-pg' && (self.plan == 'c'))",
			want: want{"plan", map[string][]string{"a9s-pg": {"a", "b"}, "a8s-pg": {"c"}}, []string{"a9s-pg", "a8s-pg"}, true},
		},
		"KlutchHandWrittenWhitespace": {
			rule: "(self.compositionRef.name == 'a9s-postgresql' &&\n (self.service == 'a9s-postgresql13' || self.service == 'a9s-postgresql15' ))\n || (self.compositionRef.name == 'a8s-postgresql' &&\n (self.service == 'a9s-postgresql13'||self.service == 'a9s-postgresql14'))",
			want: want{"service", map[string][]string{"a9s-postgresql": {"a9s-postgresql13", "a9s-postgresql15"}, "a8s-postgresql": {"a9s-postgresql13", "a9s-postgresql14"}}, []string{"a9s-postgresql", "a8s-postgresql"}, true},
		},
		"CrossplaneV2CompositeRef": {
			rule: "(self.crossplane.compositionRef.name == 'a' && (self.plan == 'x'))",
			want: want{"plan", map[string][]string{"a": {"x"}}, []string{"a"}, true},
		},
		"CompositionOfferingAnything": {
			rule: "(self.compositionRef.name == 'a' && (self.plan == 'x')) || (self.compositionRef.name == 'b')",
			want: want{"plan", map[string][]string{"a": {"x"}, "b": nil}, []string{"a", "b"}, true},
		},
		"EscapedQuote": {
			rule: `(self.compositionRef.name == 'it\'s' && (self.plan == 'x || y'))`,
			want: want{"plan", map[string][]string{"it's": {"x || y"}}, []string{"it's"}, true},
		},
		"TwoFieldsIsNoOffering": {
			rule: "(self.compositionRef.name == 'a' && (self.plan == 'x' || self.service == 'y'))",
		},
		"BionicRuleIsNoOffering": {
			rule: "(self.compositionRef.name == 'a9s-postgresql' && !(self.service == 'a9s-postgresql13') && !(self.plan.contains('bionic'))) || (self.service == 'a9s-postgresql13') || (self.compositionRef.name == 'a8s-postgresql')",
		},
		"ExclusiveParameterIsNoOffering": {
			rule: "!(has(self.parameters) && has(self.parameters.workMem)) || self.compositionRef.name == 'a9s-postgresql'",
		},
		"ImmutabilityIsNoOffering": {
			rule: "self == oldSelf",
		},
		"OnlyCompositionsIsNoOffering": {
			rule: "(self.compositionRef.name == 'a') || (self.compositionRef.name == 'b')",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f, by, order, ok := ParseOfferingRule(tc.rule)
			got := want{f, by, order, ok}
			if !ok {
				got = want{}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseOfferingRule(%q): -want, +got:\n%s", tc.rule, diff)
			}
		})
	}
}

// TestParseOffering reads back the offering rules the generator writes, on either line, with the
// composition reference bare or defaulted, and no other rule. It moved here from internal/importer
// with the parser.
func TestParseOffering(t *testing.T) {
	cs := []resolved.Composition{{Name: "a9s-pg", Plans: []string{"small", "big"}}, {Name: "a8s-pg"}}
	values := map[string][]string{"a9s-pg": {"small", "big"}, "a8s-pg": nil}
	order := []string{"a9s-pg", "a8s-pg"}
	for _, l := range xpline.All {
		for _, dc := range []string{"", "a8s-pg"} {
			for _, required := range []bool{true, false} {
				r := extv1.ValidationRule{Rule: offeringRule(selectedComposition(l, dc, required), "plan", cs), Message: offeringMessage("plan", "postgresql")}
				want := Offering{Field: "plan", Name: "postgresql", Values: values, Order: order, RequiresRef: required || dc == ""}
				got, ok := ParseOffering(r, dc)
				if !ok {
					t.Errorf("line %s, default %q, required %v: ParseOffering(%q) is no offering", l.Name, dc, required, r.Rule)
					continue
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("line %s, default %q, required %v: ParseOffering(%q): -want, +got:\n%s", l.Name, dc, required, r.Rule, diff)
				}
			}
		}
	}

	generated := extv1.ValidationRule{Rule: offeringRule(selectedComposition(xpline.V1, "a8s-pg", false), "plan", cs), Message: offeringMessage("plan", "postgresql")}
	cases := map[string]struct {
		r  extv1.ValidationRule
		dc string
		ok bool
	}{
		"KlutchHandWritten": {
			r:  extv1.ValidationRule{Rule: "(self.compositionRef.name == \"a9s-pg\" &&\n (self.plan == 'small'||self.plan == 'big')) || (self.compositionRef.name == 'a8s-pg')", Message: "Unsupported plan used for postgresql"},
			ok: true,
		},
		"Generated":                {r: generated, dc: "a8s-pg", ok: true},
		"OtherDefaultComposition":  {r: generated, dc: "a9s-pg"},
		"OtherMessage":             {r: extv1.ValidationRule{Rule: generated.Rule, Message: "Plan not offered"}, dc: "a8s-pg"},
		"MessageOfAnotherField":    {r: extv1.ValidationRule{Rule: generated.Rule, Message: offeringMessage("service", "postgresql")}, dc: "a8s-pg"},
		"OfferingOfAnotherShape":   {r: extv1.ValidationRule{Rule: "(self.compositionRef.name == 'a' && (self.plan == 'x')) || (self.compositionRef.name == 'a' && (self.plan == 'y'))", Message: offeringMessage("plan", "p")}},
		"ExclusiveParameterRuleIs": {r: exclusiveParameterRule(xpline.V1.CompositionRefPath, "workMem", "a", []string{"b"})},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, ok := ParseOffering(tc.r, tc.dc); ok != tc.ok {
				t.Errorf("ParseOffering(%q, %q): ok %v, want %v", tc.r.Rule, tc.dc, ok, tc.ok)
			}
		})
	}
}

// TestParseExclusiveParameter reads back the exclusive-parameter rules the generator writes,
// however they are spaced or quoted. It moved here from internal/importer with the parser.
func TestParseExclusiveParameter(t *testing.T) {
	cases := map[string]struct {
		r    extv1.ValidationRule
		want ExclusiveParameter
		ok   bool
	}{
		"Bare": {
			r:    exclusiveParameterRule(xpline.V1.CompositionRefPath, "workMem", "a9s-pg", []string{"a8s-pg"}),
			want: ExclusiveParameter{Parameter: "workMem", Composition: "a9s-pg", RequiresRef: true}, ok: true,
		},
		"DefaultedOnV2": {
			r:    exclusiveParameterRule(selectedComposition(xpline.V2, "a8s-pg", false), "workMem", "a9s-pg", []string{"a8s-pg", "other"}),
			want: ExclusiveParameter{Parameter: "workMem", Composition: "a9s-pg"}, ok: true,
		},
		"HandWritten": {
			r:    extv1.ValidationRule{Rule: "!(has(self.parameters)&&has(self.parameters.workMem)) ||\n self.compositionRef.name == \"a9s-pg\"", Message: "parameters.workMem is not supported for a8s-pg"},
			want: ExclusiveParameter{Parameter: "workMem", Composition: "a9s-pg", RequiresRef: true}, ok: true,
		},
		"MessageOfAnotherParameter": {
			r: extv1.ValidationRule{Rule: "!(has(self.parameters) && has(self.parameters.workMem)) || self.compositionRef.name == 'a9s-pg'", Message: "parameters.other is not supported for a8s-pg"},
		},
		"OtherRule": {r: extv1.ValidationRule{Rule: "self == oldSelf", Message: "parameters.x is not supported for y"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := ParseExclusiveParameter(tc.r)
			if ok != tc.ok {
				t.Fatalf("ParseExclusiveParameter(%q): ok %v, want %v", tc.r.Rule, ok, tc.ok)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseExclusiveParameter(%q): -want, +got:\n%s", tc.r.Rule, diff)
			}
		})
	}
}

// TestComparedCompositions finds the compositions a rule compares the composition reference with.
// It replaces a regexp of the importer (on canonical rules) and one of the compatibility check (on
// single-quoted names only), which missed names in double quotes.
func TestComparedCompositions(t *testing.T) {
	cases := map[string]struct {
		rule string
		want []string
	}{
		"SingleQuoted":  {rule: "self.compositionRef.name == 'a' || self.compositionRef.name == 'b'", want: []string{"a", "b"}},
		"DoubleQuoted":  {rule: `self.compositionRef.name == "a" && self.plan == 'x'`, want: []string{"a"}},
		"Spaced":        {rule: "self.compositionRef.name==\n  'a'", want: []string{"a"}},
		"DefaultedV2":   {rule: selectedComposition(xpline.V2, "dflt", false) + " == 'a'", want: []string{"a"}},
		"NoComposition": {rule: "self.compositionRef.name == ''", want: []string{""}},
		"Escaped":       {rule: `self.compositionRef.name == 'it\'s'`, want: []string{"it's"}},
		"NoReference":   {rule: "self.plan == 'a'"},
		"DoesNotParse":  {rule: "self.compositionRef.name == 'a' &&", want: []string{"a"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ComparedCompositions(tc.rule)); diff != "" {
				t.Errorf("ComparedCompositions(%q): -want, +got:\n%s", tc.rule, diff)
			}
		})
	}
}
