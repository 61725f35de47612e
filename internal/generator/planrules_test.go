package generator

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
)

// TestParsePlanChange reads back every plan change planRule writes, however the rule is spaced or
// quoted, and keeps any other rule verbatim. It moved here from internal/importer with the parser.
func TestParsePlanChange(t *testing.T) {
	// Each generated rule reads back as a declaration that writes it again; want is that
	// declaration where it is not the one the rule was written from.
	generated := map[string]struct {
		c, want v1alpha1.PlanChange
	}{
		"NoDownsizing":         {c: v1alpha1.PlanChange{NoDownsizing: &v1alpha1.NoDownsizing{Sizes: []string{"nano", "small", "big"}}}},
		"NoDownsizingTwoSizes": {c: v1alpha1.PlanChange{NoDownsizing: &v1alpha1.NoDownsizing{Sizes: []string{"small", "big"}}}},
		// A size smaller than every covered one is not in the rule: it reads back without it.
		"NoDownsizingToSome": {
			c:    v1alpha1.PlanChange{NoDownsizing: &v1alpha1.NoDownsizing{Sizes: []string{"nano", "small", "medium", "big"}, To: []string{"small"}}},
			want: v1alpha1.PlanChange{NoDownsizing: &v1alpha1.NoDownsizing{Sizes: []string{"small", "medium", "big"}, To: []string{"small"}}},
		},
		"OneWay":           {c: v1alpha1.PlanChange{OneWay: &v1alpha1.OneWay{From: "-single-", To: "-replica-"}}},
		"OneWayOwnMessage": {c: v1alpha1.PlanChange{OneWay: &v1alpha1.OneWay{From: "-single-", To: "-replica-"}, Message: "Migration from replicated to single Data Service Instance is not supported."}},
		"Keep":             {c: v1alpha1.PlanChange{Keep: &v1alpha1.Keep{Feature: "ssl"}}},
		// The feature alone writes the same rule, so a label reads back as the message.
		"KeepLabel": {
			c:    v1alpha1.PlanChange{Keep: &v1alpha1.Keep{Feature: "bionic", Label: "Ubuntu"}},
			want: v1alpha1.PlanChange{Keep: &v1alpha1.Keep{Feature: "bionic"}, Message: "Plan migrations not possible from Non-Ubuntu to Ubuntu and Ubuntu to Non-Ubuntu"},
		},
		"KeepOwnMessage":      {c: v1alpha1.PlanChange{Keep: &v1alpha1.Keep{Feature: "ssl"}, Message: "TLS stays as it is"}},
		"Immutable":           {c: v1alpha1.PlanChange{Immutable: true}},
		"ImmutableOwnMessage": {c: v1alpha1.PlanChange{Immutable: true, Message: "Plans are fixed"}},
	}
	for name, tc := range generated {
		t.Run(name, func(t *testing.T) {
			want := tc.want
			if want == (v1alpha1.PlanChange{}) {
				want = tc.c
			}
			got := ParsePlanChange(planRule(tc.c))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ParsePlanChange(planRule(c)): -want, +got:\n%s", diff)
			}
			if diff := cmp.Diff(planRule(tc.c), planRule(got)); diff != "" {
				t.Errorf("planRule(ParsePlanChange(planRule(c))): -want, +got:\n%s", diff)
			}
		})
	}

	cases := map[string]struct {
		r    extv1.ValidationRule
		want v1alpha1.PlanChange
	}{
		"KlutchHandWrittenSpacingAndQuotes": {
			r: extv1.ValidationRule{
				Rule:    "!(self.contains(\"nano\")&&oldSelf.contains(\"small\")) &&\n  !(self.contains('nano') && oldSelf.contains('big')) && !(self.contains('small') && oldSelf.contains('big'))",
				Message: MsgNoDownsizing,
			},
			want: v1alpha1.PlanChange{NoDownsizing: &v1alpha1.NoDownsizing{Sizes: []string{"nano", "small", "big"}}},
		},
		// One term with the no-downsizing message is two sizes, not a one-way change.
		"OneTermNoDownsizingMessage": {
			r:    extv1.ValidationRule{Rule: "!(self.contains('small') && oldSelf.contains('big'))", Message: MsgNoDownsizing},
			want: v1alpha1.PlanChange{NoDownsizing: &v1alpha1.NoDownsizing{Sizes: []string{"small", "big"}}},
		},
		"ContradictorySizesVerbatim": {
			r:    extv1.ValidationRule{Rule: "!(self.contains('a') && oldSelf.contains('b')) && !(self.contains('b') && oldSelf.contains('a'))", Message: MsgNoDownsizing},
			want: v1alpha1.PlanChange{Rule: "!(self.contains('a') && oldSelf.contains('b')) && !(self.contains('b') && oldSelf.contains('a'))", Message: MsgNoDownsizing},
		},
		"OtherRuleVerbatim": {
			r:    extv1.ValidationRule{Rule: "self.startsWith(oldSelf)", Message: "Plans only grow"},
			want: v1alpha1.PlanChange{Rule: "self.startsWith(oldSelf)", Message: "Plans only grow"},
		},
		"KeepOfTwoFeaturesVerbatim": {
			r:    extv1.ValidationRule{Rule: "oldSelf.contains('a') == self.contains('b')", Message: "x"},
			want: v1alpha1.PlanChange{Rule: "oldSelf.contains('a') == self.contains('b')", Message: "x"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ParsePlanChange(tc.r)); diff != "" {
				t.Errorf("ParsePlanChange(%q): -want, +got:\n%s", tc.r.Rule, diff)
			}
		})
	}
}

// TestParseHiddenPlans reads back the rule hiddenPlansRule writes and nothing else.
func TestParseHiddenPlans(t *testing.T) {
	hidden := []string{"mongodbsspl-single-big", "mongodbsspl-replica-big"}
	gen := hiddenPlansRule(hidden)
	cases := map[string]struct {
		r    extv1.ValidationRule
		want []string
	}{
		"Generated":     {r: gen, want: hidden},
		"Refolded":      {r: extv1.ValidationRule{Rule: "(oldSelf.hasValue() &&\n oldSelf.value() == self) || !(self in [\"mongodbsspl-single-big\",'mongodbsspl-replica-big'])", Message: gen.Message, OptionalOldSelf: gen.OptionalOldSelf}, want: hidden},
		"NoOptionalOld": {r: extv1.ValidationRule{Rule: gen.Rule, Message: gen.Message}},
		"OtherMessage":  {r: extv1.ValidationRule{Rule: gen.Rule, Message: "Plan no longer offered", OptionalOldSelf: gen.OptionalOldSelf}},
		"OtherRule":     {r: extv1.ValidationRule{Rule: "self == oldSelf", Message: gen.Message, OptionalOldSelf: gen.OptionalOldSelf}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ParseHiddenPlans(tc.r)); diff != "" {
				t.Errorf("ParseHiddenPlans(%q): -want, +got:\n%s", tc.r.Rule, diff)
			}
		})
	}
}
