package compat_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	bindv1alpha1 "github.com/function-dataservice/function-dataservice/apis/bind/v1alpha1"
	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/compat"
)

// edit changes a DataService read from examples/klutch/mongodb.yaml.
type edit func(t *testing.T, ds *v1alpha1.DataService)

// change is what a case expects: the reason is free text, checked only for being there.
type change struct {
	Path     string
	Kind     compat.Kind
	Breaking bool
}

func TestCompareDataServices(t *testing.T) {
	cases := map[string]struct {
		// old and new edit the example before generating; both default to no edit.
		old, new edit
		want     []change
	}{
		"UnchangedHasNoChanges": {},

		// Breaking: removed and renamed fields.
		"RemovedFieldIsBreaking": {
			new:  removeField("acceptsIncomplete"),
			want: []change{{"spec.acceptsIncomplete", compat.FieldRemoved, true}},
		},
		"RemovedParameterIsBreaking": {
			old:  param("maxConnections", "{type: integer}"),
			want: []change{{"spec.parameters.maxConnections", compat.FieldRemoved, true}},
		},
		"RenamedFieldIsOneRenameWithItsHint": {
			new:  renameField("acceptsIncomplete", "acceptIncomplete"),
			want: []change{{"spec.acceptsIncomplete", compat.PossibleRename, true}},
		},
		"CaseRenamedFieldIsOneRename": {
			new:  renameField("acceptsIncomplete", "acceptsincomplete"),
			want: []change{{"spec.acceptsIncomplete", compat.PossibleRename, true}},
		},
		"ParameterKeyRenamedIsBreaking": {
			old: param("maxConnections", "{type: integer}"),
			new: both(param("maxConnections", "{type: integer}"), func(_ *testing.T, ds *v1alpha1.DataService) {
				ds.Spec.Parameters.Keys = []v1alpha1.ParameterKey{{Parameter: "maxConnections", Key: "max-connections"}}
			}),
			want: []change{{"composition[a9s-mongodb].spec.parameters.maxConnections", compat.ParameterKeyChanged, true}},
		},
		"KebabRenamedParameterIsOneRename": {
			old:  param("maxConnections", "{type: integer}"),
			new:  param("max-connections", "{type: integer}"),
			want: []change{{"spec.parameters.maxConnections", compat.PossibleRename, true}},
		},

		// Breaking: narrowed enums, removed plans and services.
		"RemovedPlanIsBreaking": {
			new:  removePlan("a9s-mongodb", "mongodbsspl-single-big"),
			want: []change{{"spec.plan", compat.PlanRemoved, true}},
		},
		"RemovedServiceIsBreaking": {
			new:  setServices("a9s-mongodb", "a9s-mongodb70"),
			want: []change{{"spec.service", compat.ServiceRemoved, true}},
		},
		"NarrowedEnumIsBreaking": {
			old:  addField("expose", false, "{type: string, enum: [Internal, LoadBalancer]}"),
			new:  addField("expose", false, "{type: string, enum: [Internal]}"),
			want: []change{{"spec.expose", compat.EnumValueRemoved, true}},
		},
		"NewEnumIsBreaking": {
			old:  addField("expose", false, "{type: string}"),
			new:  addField("expose", false, "{type: string, enum: [Internal]}"),
			want: []change{{"spec.expose", compat.EnumAdded, true}},
		},
		"RemovedPlanInCELIsBreaking": {
			old: addComposition("a8s-mongodb", []string{"a8s-mongodb7"}, "a8s-single", "a8s-replica"),
			new: addComposition("a8s-mongodb", []string{"a8s-mongodb7"}, "a8s-single"),
			want: []change{
				{"spec.plan", compat.PlanRemoved, true},
			},
		},
		"RemovedServiceInCELIsBreaking": {
			old: addComposition("a8s-mongodb", []string{"a8s-mongodb6", "a8s-mongodb7"}, "a8s-single"),
			new: addComposition("a8s-mongodb", []string{"a8s-mongodb7"}, "a8s-single"),
			want: []change{
				{"spec.service", compat.ServiceRemoved, true},
			},
		},
		"RemovedCompositionIsBreaking": {
			old:  addComposition("a8s-mongodb", []string{"a8s-mongodb7"}, "a8s-single"),
			want: []change{{"composition[a8s-mongodb]", compat.CompositionRemoved, true}},
		},
		"DefaultCompositionRemovedIsBreaking": {
			new: renameComposition("a9s-mongodb", "a9s-mongodb-v2"),
			want: []change{
				{"xrd.spec.defaultCompositionRef", compat.DefaultCompositionRemoved, true},
				{"composition[a9s-mongodb-v2]", compat.CompositionAdded, false},
			},
		},

		// Breaking: new required fields and type changes.
		"NewRequiredFieldIsBreaking": {
			new:  addField("region", true, "{type: string}"),
			want: []change{{"spec.region", compat.RequiredFieldAdded, true}},
		},
		"FieldBecomingRequiredIsBreaking": {
			new:  setField("acceptsIncomplete", true, "{type: boolean}"),
			want: []change{{"spec.acceptsIncomplete", compat.FieldRequired, true}},
		},
		"TypeChangeIsBreaking": {
			new:  setField("acceptsIncomplete", false, "{type: string}"),
			want: []change{{"spec.acceptsIncomplete", compat.TypeChanged, true}},
		},
		"IntOrStringChangeIsBreaking": {
			old:  param("maxConnections", "{x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}"),
			new:  param("maxConnections", "{type: integer}"),
			want: []change{{"spec.parameters.maxConnections", compat.TypeChanged, true}},
		},

		// Breaking: tightened validation.
		"NewRuleIsBreaking": {
			new:  addRule("!has(self.acceptsIncomplete) || self.acceptsIncomplete", "must accept incomplete"),
			want: []change{{"spec", compat.RuleAdded, true}},
		},
		"ChangedRuleIsBreaking": {
			old:  param("maxConnections", "{type: integer, x-kubernetes-validations: [{rule: 'self >= 0', message: too few}]}"),
			new:  param("maxConnections", "{type: integer, x-kubernetes-validations: [{rule: 'self >= 10', message: too few}]}"),
			want: []change{{"spec.parameters.maxConnections", compat.RuleChanged, true}},
		},
		"NewPlanChangeRuleIsBreaking": {
			new: func(t *testing.T, ds *v1alpha1.DataService) {
				ds.Spec.Plan.Changes = append(ds.Spec.Plan.Changes, v1alpha1.PlanChange{Immutable: true})
			},
			want: []change{{"spec.plan", compat.PlanChangeRefused, true}},
		},
		"TighterPlanRuleIsBreaking": {
			new: func(t *testing.T, ds *v1alpha1.DataService) {
				ds.Spec.Plan.Changes = append(ds.Spec.Plan.Changes, v1alpha1.PlanChange{Keep: &v1alpha1.Keep{Feature: "-replica-", Label: "Replica"}})
			},
			want: []change{{"spec.plan", compat.PlanChangeRefused, true}},
		},
		"EquivalentPlanRuleIsNoChange": {
			// The same meaning in other words: no pair is answered differently.
			new: func(t *testing.T, ds *v1alpha1.DataService) {
				ds.Spec.Plan.Changes[2] = v1alpha1.PlanChange{Rule: "self.contains('ssl') == oldSelf.contains('ssl')", Message: "Plan migrations not possible from Non-SSL to SSL and SSL to Non-SSL"}
			},
			want: []change{},
		},
		"LowerMaximumIsBreaking": {
			old:  param("maxConnections", "{type: integer, maximum: 100}"),
			new:  param("maxConnections", "{type: integer, maximum: 50}"),
			want: []change{{"spec.parameters.maxConnections", compat.ValidationTightened, true}},
		},
		"NewMaxLengthIsBreaking": {
			old:  param("name", "{type: string}"),
			new:  param("name", "{type: string, maxLength: 10}"),
			want: []change{{"spec.parameters.name", compat.ValidationTightened, true}},
		},
		"HigherMinimumIsBreaking": {
			old:  param("maxConnections", "{type: integer, minimum: 1}"),
			new:  param("maxConnections", "{type: integer, minimum: 5}"),
			want: []change{{"spec.parameters.maxConnections", compat.ValidationTightened, true}},
		},
		"NewPatternIsBreaking": {
			old:  param("name", "{type: string}"),
			new:  param("name", "{type: string, pattern: '^[a-z]+$'}"),
			want: []change{{"spec.parameters.name", compat.ValidationTightened, true}},
		},
		"NewDefaultIsBreaking": {
			old:  param("maxConnections", "{type: integer}"),
			new:  param("maxConnections", "{type: integer, default: 100}"),
			want: []change{{"spec.parameters.maxConnections", compat.DefaultChanged, true}},
		},

		// Breaking: the identity of the API.
		"ChangedGroupIsBreaking": {
			new: func(t *testing.T, ds *v1alpha1.DataService) { ds.Spec.Group = "example.com" },
			want: []change{
				{"exportTemplate[klutch-bind].spec.APIServiceSelector.group", compat.ExportSelectorChanged, true},
				{"xrd.spec.group", compat.GroupChanged, true},
			},
		},
		"ChangedKindIsBreaking": {
			new: func(t *testing.T, ds *v1alpha1.DataService) { ds.Spec.Kind = "DocumentDatabase" },
			want: []change{
				{"exportTemplate[klutch-bind].spec.APIServiceSelector.resource", compat.ExportSelectorChanged, true},
				{"xrd.spec.claimNames.kind", compat.NamesChanged, true},
				{"xrd.spec.claimNames.plural", compat.NamesChanged, true},
				{"xrd.spec.names.kind", compat.NamesChanged, true},
				{"xrd.spec.names.plural", compat.NamesChanged, true},
				{"exportTemplate[klutch-bind].metadata.name", compat.ExportChanged, false},
			},
		},
		"ChangedPluralIsBreaking": {
			new: func(t *testing.T, ds *v1alpha1.DataService) { ds.Spec.Plural = "mongodbs" },
			want: []change{
				{"exportTemplate[klutch-bind].spec.APIServiceSelector.resource", compat.ExportSelectorChanged, true},
				{"xrd.spec.claimNames.plural", compat.NamesChanged, true},
				{"xrd.spec.names.plural", compat.NamesChanged, true},
				{"exportTemplate[klutch-bind].metadata.name", compat.ExportChanged, false},
			},
		},
		"ChangedScopeIsBreaking": {
			old:  crossplaneV2(""),
			new:  crossplaneV2(v1alpha1.ScopeCluster),
			want: []change{{"xrd.spec.scope", compat.ScopeChanged, true}},
		},

		// Breaking: versions.
		"RemovedServedVersionIsBreaking": {
			old:  versions(v("v1beta1", false), v("v1", true)),
			new:  versions(v("v1", true)),
			want: []change{{"xrd.spec.versions[v1beta1]", compat.VersionRemoved, true}},
		},
		"ReferenceableChangeCompositionsElsewhereDoNotFollowIsBreaking": {
			old: addComposition("a8s-mongodb", []string{"a8s-mongodb7"}, "a8s-single"),
			new: both(addComposition("a8s-mongodb", []string{"a8s-mongodb7"}, "a8s-single"), versions(v("v1", false), v("v2", true))),
			want: []change{
				{"xrd.spec.versions[*].referenceable", compat.ReferenceableChanged, true},
				{"xrd.spec.versions[v2]", compat.VersionAdded, false},
			},
		},

		// Breaking: export templates and connection secrets.
		"PinnedExportVersionIsBreaking": {
			new:  func(t *testing.T, ds *v1alpha1.DataService) { ds.Spec.Export = &v1alpha1.Export{Version: "v1"} },
			want: []change{{"exportTemplate[klutch-bind].spec.APIServiceSelector.version", compat.ExportSelectorChanged, true}},
		},
		"NewPermissionClaimIsBreaking": {
			new: func(t *testing.T, ds *v1alpha1.DataService) {
				ds.Spec.Export = &v1alpha1.Export{PermissionClaims: []bindv1alpha1.PermissionClaim{{
					GroupResource: bindv1alpha1.GroupResource{Resource: "secrets"}, Version: "v1",
					Selector: bindv1alpha1.ResourceSelector{Owner: bindv1alpha1.OwnerProvider},
				}}}
			},
			want: []change{{"exportTemplate[klutch-bind].spec.permissionClaims[core/secrets]", compat.PermissionClaimsChanged, true}},
		},
		"DisabledExportIsBreaking": {
			new:  func(t *testing.T, ds *v1alpha1.DataService) { ds.Spec.Export = &v1alpha1.Export{Disabled: true} },
			want: []change{{"exportTemplate[klutch-bind]", compat.ExportRemoved, true}},
		},
		"KubeBindVersionDroppedIsBreaking": {
			old: kubeBind(),
			new: both(versions(v("v1", true), v("v2", false)), kubeBind("v2")),
			want: []change{
				{"exportTemplate[kube-bind].spec.resources[anynines.com/mongodbinstances].versions", compat.ExportSelectorChanged, true},
				{"exportTemplate[kube-bind].spec.resources[anynines.com/mongodbinstances].versions", compat.ExportSelectorChanged, false},
				{"xrd.spec.versions[v2]", compat.VersionAdded, false},
			},
		},
		"RemovedConnectionSecretKeyIsBreaking": {
			old:  secretKeys("username", "password"),
			new:  secretKeys("username"),
			want: []change{{"xrd.spec.connectionSecretKeys[password]", compat.ConnectionSecretKeyRemoved, true}},
		},

		// Safe.
		"NewOptionalFieldIsSafe": {
			new:  addField("region", false, "{type: string}"),
			want: []change{{"spec.region", compat.FieldAdded, false}},
		},
		"NewPlanIsSafe": {
			new:  addPlan("a9s-mongodb", "mongodbsspl-replica-huge"),
			want: []change{{"spec.plan", compat.PlanAdded, false}},
		},
		"NewServiceIsSafe": {
			new:  setServices("a9s-mongodb", "a9s-mongodb50", "a9s-mongodb70", "a9s-mongodb80"),
			want: []change{{"spec.service", compat.ServiceAdded, false}},
		},
		"NewPlanInCELIsSafe": {
			old:  addComposition("a8s-mongodb", []string{"a8s-mongodb7"}, "a8s-single"),
			new:  addComposition("a8s-mongodb", []string{"a8s-mongodb7"}, "a8s-single", "a8s-replica"),
			want: []change{{"spec.plan", compat.PlanAdded, false}},
		},
		"SecondCompositionKeepsTheFirstsOfferings": {
			new:  addComposition("a8s-mongodb", []string{"a8s-mongodb7"}, "a8s-single"),
			want: []change{{"composition[a8s-mongodb]", compat.CompositionAdded, false}},
		},
		"NewServedVersionIsSafe": {
			new:  versions(v("v1", true), v("v2", false)),
			want: []change{{"xrd.spec.versions[v2]", compat.VersionAdded, false}},
		},
		"NewReferenceableVersionCompositionsFollowIsSafe": {
			new: versions(v("v1", false), v("v2", true)),
			want: []change{
				{"xrd.spec.versions[*].referenceable", compat.ReferenceableChanged, false},
				{"xrd.spec.versions[v2]", compat.VersionAdded, false},
			},
		},
		"DescriptionEditsAreSafe": {
			old: param("maxConnections", "{type: integer, description: Maximum connections.}"),
			new: both(param("maxConnections", "{type: integer, description: Maximum number of connections.}"),
				func(t *testing.T, ds *v1alpha1.DataService) { ds.Spec.Plan.Description = "The plan." }),
			want: []change{
				{"spec.parameters.maxConnections", compat.DescriptionChanged, false},
				{"spec.plan", compat.DescriptionChanged, false},
			},
		},
		"PrinterColumnEditsAreSafe": {
			new: func(t *testing.T, ds *v1alpha1.DataService) {
				ds.Spec.PrinterColumns = append(ds.Spec.PrinterColumns, v1alpha1.PrinterColumn{Name: "Plan", Type: "string", JSONPath: ".spec.plan"})
			},
			want: []change{{"printerColumns[Plan]", compat.PrinterColumnsEdit, false}},
		},
		"RemovedRuleIsSafe": {
			new:  func(t *testing.T, ds *v1alpha1.DataService) { ds.Spec.Plan.Changes = ds.Spec.Plan.Changes[:2] },
			want: []change{{"spec.plan", compat.PlanChangeAllowed, false}},
		},
		"ShorterNoDownsizingListIsSafe": {
			// Issue 14: dropping a size is strictly looser; judged by its text it was "breaking".
			new: func(t *testing.T, ds *v1alpha1.DataService) {
				ds.Spec.Plan.Changes[0].NoDownsizing.Sizes = []string{"small", "big"}
			},
			want: []change{{"spec.plan", compat.PlanChangeAllowed, false}},
		},
		"RaisedMaximumIsSafe": {
			old:  param("maxConnections", "{type: integer, maximum: 50}"),
			new:  param("maxConnections", "{type: integer, maximum: 100}"),
			want: []change{{"spec.parameters.maxConnections", compat.ValidationLoosened, false}},
		},
		"NewConnectionSecretKeyIsSafe": {
			old:  secretKeys("username"),
			new:  secretKeys("username", "password"),
			want: []change{{"xrd.spec.connectionSecretKeys[password]", compat.ConnectionSecretKeyAdded, false}},
		},
		"NewKubeBindTemplateIsSafe": {
			new: func(t *testing.T, ds *v1alpha1.DataService) {
				ds.Spec.Export = &v1alpha1.Export{KubeBind: &v1alpha1.KubeBindExport{}}
			},
			want: []change{{"exportTemplate[kube-bind]", compat.ExportAdded, false}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := compat.Compare([]compat.API{mongodbAPI(t, tc.old)}, []compat.API{mongodbAPI(t, tc.new)})
			if err != nil {
				t.Fatal(err)
			}
			got := make([]change, 0, len(r.Changes))
			breaking := false
			for _, c := range r.Changes {
				got = append(got, change{c.Path, c.Kind, c.Breaking})
				breaking = breaking || c.Breaking
				if c.Reason == "" || strings.Contains(c.Reason, "\n") {
					t.Errorf("%s: want a one-line reason, got %q", c.Path, c.Reason)
				}
			}
			want := tc.want
			if want == nil {
				want = []change{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Compare(...): -want, +got:\n%s\nreport: %s", diff, toJSON(t, r))
			}
			if r.Breaking != breaking {
				t.Errorf("Breaking = %t, want %t", r.Breaking, breaking)
			}
			if (r.Suggestion != "") != breaking {
				t.Errorf("want a suggestion exactly when something breaks, got %q", r.Suggestion)
			}
		})
	}
}

func TestPlanChangeReasons(t *testing.T) {
	cases := map[string]struct {
		reason string
		new    edit
		want   compat.Change
	}{
		"TighterRuleNamesTheNewlyRefusedPairs": {
			reason: "A kept replica feature refuses the moves from single to replicated plans existing claims could make.",
			new: func(t *testing.T, ds *v1alpha1.DataService) {
				ds.Spec.Plan.Changes = append(ds.Spec.Plan.Changes, v1alpha1.PlanChange{Keep: &v1alpha1.Keep{Feature: "-replica-", Label: "Replica"}})
			},
			want: compat.Change{API: "xmongodbinstances.anynines.com", Path: "spec.plan", Kind: compat.PlanChangeRefused, Breaking: true,
				Reason: "10 plan changes existing claims could make are refused now: " +
					"mongodbsspl-single-nano → mongodbsspl-replica-small, mongodbsspl-single-nano → mongodbsspl-replica-big, " +
					"mongodbsspl-single-small → mongodbsspl-replica-small, mongodbsspl-single-small → mongodbsspl-replica-big, " +
					"mongodbsspl-single-big → mongodbsspl-replica-big, mongodbsspl-single-nano-ssl → mongodbsspl-replica-small-ssl, " +
					"mongodbsspl-single-nano-ssl → mongodbsspl-replica-big-ssl, mongodbsspl-single-small-ssl → mongodbsspl-replica-small-ssl, " +
					"mongodbsspl-single-small-ssl → mongodbsspl-replica-big-ssl, mongodbsspl-single-big-ssl → mongodbsspl-replica-big-ssl " +
					"(version v1; composition a9s-mongodb; services a9s-mongodb50, a9s-mongodb70) by the rule on spec.plan " +
					`"Plan migrations not possible from Non-Replica to Replica and Replica to Non-Replica" (` + "`oldSelf.contains('-replica-') == self.contains('-replica-')`)"},
		},
		"LooserRuleNamesTheNewlyAllowedPairs": {
			reason: "Dropping nano from the sizes allows the moves down to nano that only the size rule refused, quoting the old rule whole.",
			new: func(t *testing.T, ds *v1alpha1.DataService) {
				ds.Spec.Plan.Changes[0].NoDownsizing.Sizes = []string{"small", "big"}
			},
			want: compat.Change{API: "xmongodbinstances.anynines.com", Path: "spec.plan", Kind: compat.PlanChangeAllowed,
				Reason: "4 plan changes refused before are allowed now: mongodbsspl-single-small → mongodbsspl-single-nano, " +
					"mongodbsspl-single-big → mongodbsspl-single-nano, mongodbsspl-single-small-ssl → mongodbsspl-single-nano-ssl, " +
					"mongodbsspl-single-big-ssl → mongodbsspl-single-nano-ssl (version v1; composition a9s-mongodb; services a9s-mongodb50, a9s-mongodb70), " +
					`refused before by the rule on spec.plan "Transition from bigger to smaller plan size is not supported." (` +
					"`!(self.contains('nano') && oldSelf.contains('small')) && !(self.contains('nano') && oldSelf.contains('big')) && !(self.contains('small') && oldSelf.contains('big'))`)"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := compat.Compare([]compat.API{mongodbAPI(t, nil)}, []compat.API{mongodbAPI(t, tc.new)})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]compat.Change{tc.want}, r.Changes); diff != "" {
				t.Errorf("%s\nCompare(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
