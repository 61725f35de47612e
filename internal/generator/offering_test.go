package generator_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/function-dataservice/function-dataservice/internal/generator"
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
			f, by, order, ok := generator.ParseOfferingRule(tc.rule)
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
