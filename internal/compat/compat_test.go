package compat_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	bindv1alpha1 "github.com/function-dataservice/function-dataservice/apis/bind/v1alpha1"
	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/compat"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/reference"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
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

func TestSuggestion(t *testing.T) {
	cases := map[string]struct {
		old, new edit
		contains []string
		lacks    []string
	}{
		"NextVersionFollowsTheReferenceableOne": {
			old:      versions(v("v1beta1", true)),
			new:      both(versions(v("v1beta1", true)), removeField("acceptsIncomplete")),
			contains: []string{"versions: [{name: v1beta1}, {name: v1beta2, referenceable: true}]"},
		},
		"SchemaChangesCanShipAsANewVersion": {
			new:      removeField("acceptsIncomplete"),
			contains: []string{"versions: [{name: v1}, {name: v2, referenceable: true}]"},
			lacks:    []string{"no new version can bridge"},
		},
		"RenamesHaveNoVersionPath": {
			new:      func(t *testing.T, ds *v1alpha1.DataService) { ds.Spec.Kind = "DocumentDatabase" },
			contains: []string{"no new version can bridge"},
			lacks:    []string{"referenceable: true"},
		},
		"RemovedVersionsStayServed": {
			new:      versions(v("v2", true)),
			contains: []string{"Keep removed versions served"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := compat.Compare([]compat.API{mongodbAPI(t, tc.old)}, []compat.API{mongodbAPI(t, tc.new)})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tc.contains {
				if !strings.Contains(r.Suggestion, s) {
					t.Errorf("suggestion lacks %q: %s", s, r.Suggestion)
				}
			}
			for _, s := range tc.lacks {
				if strings.Contains(r.Suggestion, s) {
					t.Errorf("suggestion must not say %q: %s", s, r.Suggestion)
				}
			}
		})
	}
}

// TestCompareXRDs compares hand-written objects, as read from files: APIs are matched by name and
// what cannot be checked without the Compositions is breaking.
func TestCompareXRDs(t *testing.T) {
	mongo := mongodbAPI(t, nil)
	postgres := generate(t, readExample(t, "postgresql.yaml"), nil)
	xrdOnly := func(a compat.API) compat.API { return compat.API{XRD: a.XRD} }
	newVersion := xrdOnly(mongodbAPI(t, versions(v("v1", false), v("v2", true))))

	cases := map[string]struct {
		old, new []compat.API
		want     []change
		wantErr  string
	}{
		"MatchedByName": {
			old: []compat.API{mongo, postgres},
			new: []compat.API{postgres, mongo},
		},
		"RemovedAPIIsBreaking": {
			old:  []compat.API{mongo, postgres, mongodbAPI(t, func(t *testing.T, ds *v1alpha1.DataService) { ds.Spec.Kind = "Other" })},
			new:  []compat.API{postgres},
			want: []change{{"xrd", compat.APIRemoved, true}, {"xrd", compat.APIRemoved, true}},
		},
		"NewAPIIsSafe": {
			old:  []compat.API{mongo},
			new:  []compat.API{mongo, postgres},
			want: []change{{"xrd", compat.APIAdded, false}},
		},
		"ReferenceableChangeWithoutCompositionsIsBreaking": {
			old: []compat.API{xrdOnly(mongo)},
			new: []compat.API{newVersion},
			want: []change{
				{"xrd.spec.versions[*].referenceable", compat.ReferenceableChanged, true},
				{"xrd.spec.versions[v2]", compat.VersionAdded, false},
			},
		},
		"CompositionsLeftOnTheOldVersionAreBreaking": {
			old: []compat.API{mongo},
			new: []compat.API{{XRD: newVersion.XRD, Compositions: mongo.Compositions, ExportTemplates: mongo.ExportTemplates}},
			want: []change{
				{"xrd.spec.versions[*].referenceable", compat.CompositionTypeRefOutOfDate, true},
				{"xrd.spec.versions[v2]", compat.VersionAdded, false},
			},
		},
		// Compositions named only by hand-written rules count however the rules quote them.
		"CompositionNamedInDoubleQuotesRemovedIsBreaking": {
			old: []compat.API{xrdOnly(mongodbAPI(t, rule(`self.compositionRef.name == "a9s-mongodb" || self.compositionRef.name == "legacy"`)))},
			new: []compat.API{xrdOnly(mongodbAPI(t, rule(`self.compositionRef.name == "a9s-mongodb"`)))},
			want: []change{
				{"composition[legacy]", compat.CompositionRemoved, true},
				{"spec", compat.RuleChanged, true},
			},
		},
		"DuplicateXRDIsAnError": {
			old:     []compat.API{mongo, mongo},
			new:     []compat.API{mongo},
			wantErr: "defined twice",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := compat.Compare(tc.old, tc.new)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want error containing %q, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []change{}
			for _, c := range r.Changes {
				got = append(got, change{c.Path, c.Kind, c.Breaking})
			}
			want := tc.want
			if want == nil {
				want = []change{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Compare(...): -want, +got:\n%s\nreport: %s", diff, toJSON(t, r))
			}
		})
	}
}

// TestKlutchXRDsMatchTheirDataServices compares Klutch's hand-written objects with the DataServices
// that replace them: offerings in Klutch's own CEL wording, re-wrapped rules and spelled-out types
// are no changes.
func TestKlutchXRDsMatchTheirDataServices(t *testing.T) {
	ref := reference.PathOrSkip(t)
	for name, files := range map[string][]string{
		"mongodb.yaml": {
			"crossplane-api/api/a9s/mongodb/definition.yaml",
			"crossplane-api/api/a9s/mongodb/composition.yaml",
			"bind/mongodb_apiserviceexporttemplate.yaml",
		},
		"postgresql.yaml": {
			"crossplane-api/api/common/postgresql_definition.yaml",
			"crossplane-api/api/a9s/postgresql/composition.yaml",
			"bind/postgresql_apiserviceexporttemplate.yaml",
		},
	} {
		t.Run(name, func(t *testing.T) {
			var objs []compat.Object
			for _, f := range files {
				p := filepath.Join(ref, f)
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				u := &unstructured.Unstructured{}
				if err := yaml.Unmarshal(b, &u.Object); err != nil {
					t.Fatal(err)
				}
				objs = append(objs, compat.Object{Where: p, Object: u})
			}
			old, unclaimed, err := compat.Group(objs)
			if err != nil || len(unclaimed) > 0 {
				t.Fatalf("Group: %v %v", unclaimed, err)
			}
			r, err := compat.Compare(old, []compat.API{generate(t, readExample(t, name), nil)})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Changes) > 0 {
				t.Errorf("want no changes, got %s", toJSON(t, r))
			}
		})
	}
}

func TestGroup(t *testing.T) {
	mongo := mongodbAPI(t, nil)
	postgres := generate(t, readExample(t, "postgresql.yaml"), nil)
	objs := []compat.Object{postgres.Compositions[0], mongo.ExportTemplates[0], mongo.XRD, postgres.XRD, mongo.Compositions[0], postgres.ExportTemplates[0]}
	apis, unclaimed, err := compat.Group(objs)
	if err != nil || len(unclaimed) > 0 {
		t.Fatalf("Group: %v %v", unclaimed, err)
	}
	got := map[string][2]int{}
	for _, a := range apis {
		got[a.Name()] = [2]int{len(a.Compositions), len(a.ExportTemplates)}
	}
	want := map[string][2]int{"xmongodbinstances.anynines.com": {1, 1}, "xpostgresqlinstances.anynines.com": {1, 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Group: -want, +got:\n%s", diff)
	}

	// A Composition is never guessed onto an XRD: with one XRD too, another type's Composition is
	// reported, naming its file.
	apis, unclaimed, err = compat.Group([]compat.Object{mongo.XRD, {Where: "orphan.yaml", Object: composition("other", "example.com/v1", "XOther")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(unclaimed) != 1 || !strings.Contains(unclaimed[0], "orphan.yaml") || len(apis[0].Compositions) != 0 {
		t.Errorf("want the Composition no XRD defines unclaimed, naming its file; got %v, %d compositions", unclaimed, len(apis[0].Compositions))
	}

	// A template may export another resource of the XRD's group.
	other := mongo.ExportTemplates[0].Object.DeepCopy()
	if err := unstructured.SetNestedField(other.Object, "mongodbusers", "spec", "APIServiceSelector", "resource"); err != nil {
		t.Fatal(err)
	}
	apis, unclaimed, err = compat.Group([]compat.Object{mongo.XRD, {Where: "t.yaml", Object: other}})
	if err != nil || len(unclaimed) > 0 || len(apis[0].ExportTemplates) != 1 {
		t.Errorf("want the template of the group's one XRD attached to it, got %v %v", unclaimed, err)
	}
}

func composition(name, apiVersion, kind string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.crossplane.io/v1", "kind": "Composition",
		"metadata": map[string]any{"name": name},
		"spec":     map[string]any{"compositeTypeRef": map[string]any{"apiVersion": apiVersion, "kind": kind}},
	}}
}

func readExample(t *testing.T, name string) *v1alpha1.DataService {
	t.Helper()
	return testtools.ReadDataService(t, filepath.Join("..", "..", "examples", "klutch", name))
}

// rule adds a spec-level rule to a DataService.
func rule(cel string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		ds.Spec.Rules = append(ds.Spec.Rules, v1alpha1.Rule{Rule: cel, Message: "composition not offered"})
	}
}

func mongodbAPI(t *testing.T, e edit) compat.API {
	t.Helper()
	return generate(t, readExample(t, "mongodb.yaml"), e)
}

func generate(t *testing.T, ds *v1alpha1.DataService, e edit) compat.API {
	t.Helper()
	if e != nil {
		e(t, ds)
	}
	out, err := generator.Generate(ds, inputv1beta1.Defaults{})
	if err != nil {
		t.Fatalf("the edited DataService must generate: %v", err)
	}
	a := compat.API{XRD: compat.Object{Where: ds.Name, Object: out.XRD}}
	for _, o := range out.Objects() {
		switch o.GetKind() {
		case "Composition":
			a.Compositions = append(a.Compositions, compat.Object{Where: ds.Name, Object: o})
		case "APIServiceExportTemplate":
			a.ExportTemplates = append(a.ExportTemplates, compat.Object{Where: ds.Name, Object: o})
		}
	}
	return a
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func rawYAML(t *testing.T, s string) runtime.RawExtension {
	t.Helper()
	b, err := yaml.YAMLToJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return runtime.RawExtension{Raw: b}
}

func both(es ...edit) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		for _, e := range es {
			e(t, ds)
		}
	}
}

// param sets a top-level parameter's schema.
func param(name, schema string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		var s map[string]any
		if err := json.Unmarshal(ds.Spec.Parameters.Schema.Raw, &s); err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		if err := json.Unmarshal(rawYAML(t, schema).Raw, &p); err != nil {
			t.Fatal(err)
		}
		s["properties"].(map[string]any)[name] = p
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		ds.Spec.Parameters.Schema.Raw = b
	}
}

func addField(name string, required bool, schema string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		ds.Spec.Fields = append(ds.Spec.Fields, v1alpha1.Field{Name: name, Required: required, Schema: rawYAML(t, schema)})
	}
}

func setField(name string, required bool, schema string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		for i := range ds.Spec.Fields {
			if ds.Spec.Fields[i].Name == name {
				ds.Spec.Fields[i] = v1alpha1.Field{Name: name, Required: required, Schema: rawYAML(t, schema)}
				return
			}
		}
		t.Fatalf("no field %s", name)
	}
}

// removeField drops a field and the backend mapping that reads it.
func removeField(name string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		var fs []v1alpha1.Field
		for _, f := range ds.Spec.Fields {
			if f.Name != name {
				fs = append(fs, f)
			}
		}
		ds.Spec.Fields = fs
		b := ds.Spec.Compositions[0].Backend
		var ms []v1alpha1.Mapping
		for _, m := range b.Fields {
			if m.From != "spec."+name {
				ms = append(ms, m)
			}
		}
		b.Fields = ms
	}
}

func renameField(from, to string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		for i := range ds.Spec.Fields {
			if ds.Spec.Fields[i].Name == from {
				ds.Spec.Fields[i].Name = to
			}
		}
		for i, m := range ds.Spec.Compositions[0].Backend.Fields {
			if m.From == "spec."+from {
				ds.Spec.Compositions[0].Backend.Fields[i].From = "spec." + to
			}
		}
	}
}

func addRule(rule, message string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		ds.Spec.Rules = append(ds.Spec.Rules, v1alpha1.Rule{Rule: rule, Message: message})
	}
}

func compositionNamed(t *testing.T, ds *v1alpha1.DataService, name string) *v1alpha1.Composition {
	t.Helper()
	for i := range ds.Spec.Compositions {
		if ds.Spec.Compositions[i].Name == name {
			return &ds.Spec.Compositions[i]
		}
	}
	t.Fatalf("no composition %s", name)
	return nil
}

func removePlan(comp, plan string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		c := compositionNamed(t, ds, comp)
		c.Plans = slices.DeleteFunc(c.Plans, func(p string) bool { return p == plan })
	}
}

func addPlan(comp, plan string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		c := compositionNamed(t, ds, comp)
		c.Plans = append(c.Plans, plan)
	}
}

func setServices(comp string, services ...string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) { compositionNamed(t, ds, comp).Services = services }
}

// addComposition adds a composition composed elsewhere (no backend), so that services and plans
// become compositionRef-keyed CEL rules.
func addComposition(name string, services []string, plans ...string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		ds.Spec.Compositions = append(ds.Spec.Compositions, v1alpha1.Composition{Name: name, Services: services, Plans: plans})
	}
}

func renameComposition(from, to string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) { compositionNamed(t, ds, from).Name = to }
}

func crossplaneV2(scope string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		ds.Spec.CrossplaneVersion = v1alpha1.CrossplaneV2
		ds.Spec.Scope = scope
	}
}

func v(name string, referenceable bool) v1alpha1.APIVersion {
	return v1alpha1.APIVersion{Name: name, Referenceable: referenceable}
}

func versions(vs ...v1alpha1.APIVersion) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) { ds.Spec.Versions = vs }
}

func secretKeys(keys ...string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) { ds.Spec.ConnectionSecretKeys = keys }
}

func kubeBind(versions ...string) edit {
	return func(t *testing.T, ds *v1alpha1.DataService) {
		ds.Spec.Export = &v1alpha1.Export{KubeBind: &v1alpha1.KubeBindExport{Versions: versions}}
	}
}

// TestPlanChangeReasons checks that plan rules are judged by the pairs they answer differently, each
// pair named, and the rule quoted whole.
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
