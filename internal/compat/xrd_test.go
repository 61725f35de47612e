package compat_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/compat"
	"github.com/function-dataservice/function-dataservice/internal/reference"
)

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
