package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/reference"
)

func TestCheckCompat(t *testing.T) {
	klutch := filepath.Join("..", "..", "examples", "klutch")
	mongodb := filepath.Join(klutch, "mongodb.yaml")
	dir := t.TempDir()

	newPlan := writeMongoDB(t, filepath.Join(dir, "new-plan.yaml"), func(ds *v1alpha1.DataService) {
		ds.Spec.Compositions[0].Plans = append(ds.Spec.Compositions[0].Plans, "mongodbsspl-replica-huge")
	})
	hiddenPlan := writeMongoDB(t, filepath.Join(dir, "hidden-plan.yaml"), func(ds *v1alpha1.DataService) {
		ds.Spec.Plan.Hidden = []string{"mongodbsspl-single-big"}
	})
	removedPlan := writeMongoDB(t, filepath.Join(dir, "removed-plan.yaml"), func(ds *v1alpha1.DataService) {
		ds.Spec.Compositions[0].Plans = slices.DeleteFunc(ds.Spec.Compositions[0].Plans, func(p string) bool { return p == "mongodbsspl-single-big" })
	})
	renamed := writeMongoDB(t, filepath.Join(dir, "renamed.yaml"), func(ds *v1alpha1.DataService) { ds.Spec.Kind = "DocumentDatabase" })
	invalid := filepath.Join(dir, "invalid.yaml")
	writeTestFile(t, invalid, "apiVersion: dataservice.klutch.io/v1alpha1\nkind: DataService\nmetadata: {name: bad}\nspec: {group: nodot, kind: Bad, compositions: [{name: a}]}\n")
	notAPI := filepath.Join(dir, "function.yaml")
	writeTestFile(t, notAPI, "apiVersion: pkg.crossplane.io/v1\nkind: Function\nmetadata: {name: f}\n")

	// A folder of several specs with one of them changed: lines name their API.
	several := filepath.Join(dir, "several")
	for _, f := range []string{"postgresql.yaml", "servicebinding.yaml"} {
		writeTestFile(t, filepath.Join(several, f), readTestFile(t, filepath.Join(klutch, f)))
	}
	writeTestFile(t, filepath.Join(several, "mongodb.yaml"), readTestFile(t, removedPlan))

	// A folder holding a Composition of an API not compared: skipped with a warning naming it.
	withForeign := filepath.Join(dir, "with-foreign")
	writeTestFile(t, filepath.Join(withForeign, "mongodb.yaml"), readTestFile(t, mongodb))
	writeTestFile(t, filepath.Join(withForeign, "other.yaml"), "apiVersion: apiextensions.crossplane.io/v1\nkind: Composition\nmetadata: {name: other}\nspec: {compositeTypeRef: {apiVersion: example.com/v1, kind: XOther}}\n")

	// Klutch's hand-written MongoDB API (its template lives elsewhere) equals its DataService.
	klutchMongoDB := reference.PathOrSkip(t, "crossplane-api", "api", "a9s", "mongodb")

	// What generate wrote compares equal to the spec it came from.
	generated := filepath.Join(dir, "generated")
	mustGenerate(t, &generateCmd{Files: []string{mongodb}, Output: filepath.Join(generated, "package")})

	cases := map[string]struct {
		cmd      checkCompatCmd
		wantCode int // 0 for no error
		wantOut  []string
		wantErr  string
		wantWarn string
	}{
		"NoChangesExitsZero": {
			cmd:     checkCompatCmd{Old: mongodb, New: mongodb},
			wantOut: []string{"No changes."},
		},
		"SafeChangeExitsZero": {
			cmd:     checkCompatCmd{Old: mongodb, New: newPlan},
			wantOut: []string{"safe (1):\n  spec.plan: new plan \"mongodbsspl-replica-huge\"", "No change breaks existing claims."},
		},
		"BreakingChangeExitsThree": {
			cmd:      checkCompatCmd{Old: mongodb, New: removedPlan},
			wantCode: 3,
			wantOut: []string{
				"BREAKING (1):\n  spec.plan: plan \"mongodbsspl-single-big\" is no longer offered",
				"Suggestion: To retire a plan, keep it in the composition's plans and list it in spec.plan.hidden",
			},
			wantErr: "1 change from",
		},
		"FollowingTheSuggestionIsSafe": {
			// What the suggestion says, done: the plan hidden instead of removed.
			cmd:      checkCompatCmd{Old: mongodb, New: hiddenPlan},
			wantCode: 0,
			wantOut: []string{
				"spec.plan: 1 plan no longer offered to new claims, kept by existing ones: mongodbsspl-single-big",
				"No change breaks existing claims.",
			},
		},
		"RenameHasNoVersionPath": {
			cmd:      checkCompatCmd{Old: mongodb, New: renamed},
			wantCode: 3,
			wantOut:  []string{"xrd.spec.claimNames.kind: claim kind changes from MongodbInstance to DocumentDatabase", "no new version can bridge"},
		},
		"SeveralAPIsNameTheirXRD": {
			cmd:      checkCompatCmd{Old: klutch, New: several},
			wantCode: 3,
			wantOut:  []string{"  [xmongodbinstances.anynines.com] spec.plan: plan \"mongodbsspl-single-big\""},
		},
		"DataServiceEqualsWhatItGenerated": {
			cmd:     checkCompatCmd{Old: generated, New: mongodb},
			wantOut: []string{"No changes."},
		},
		"KlutchsHandWrittenXRDEqualsItsDataService": {
			cmd:     checkCompatCmd{Old: klutchMongoDB, New: mongodb},
			wantOut: []string{"exportTemplate[klutch-bind]: new klutch-bind template"},
		},
		"ForeignCompositionIsSkippedWithAWarning": {
			cmd:      checkCompatCmd{Old: mongodb, New: withForeign},
			wantOut:  []string{"No changes."},
			wantWarn: "warning: skipped " + filepath.Join(withForeign, "other.yaml") + ": Composition other composes example.com/v1 XOther",
		},
		"MissingFileExitsOne": {
			cmd:      checkCompatCmd{Old: filepath.Join(dir, "nope.yaml"), New: mongodb},
			wantCode: 1,
			wantErr:  "nope.yaml",
		},
		"InvalidSpecExitsOneNamingFileAndField": {
			cmd:      checkCompatCmd{Old: mongodb, New: invalid},
			wantCode: 1,
			wantErr:  "invalid.yaml: DataService \"bad\" is invalid",
		},
		"NoAPIExitsOne": {
			cmd:      checkCompatCmd{Old: notAPI, New: mongodb},
			wantCode: 1,
			wantErr:  "no DataService or CompositeResourceDefinition found",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var out, warn bytes.Buffer
			err := tc.cmd.Run(context.Background(), streams{Out: &out, Err: &warn})
			code := 0
			if err != nil {
				// As main does, after kong joins the command's error with its hooks'.
				code = exitCode(errors.Join(err, nil))
			}
			if code != tc.wantCode {
				t.Fatalf("exit code %d, want %d (err: %v)\n%s", code, tc.wantCode, err, out.String())
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error %q does not contain %q", err, tc.wantErr)
			}
			if !strings.Contains(warn.String(), tc.wantWarn) {
				t.Errorf("stderr lacks %q:\n%s", tc.wantWarn, warn.String())
			}
			// The report wraps long lines: compare words, not line breaks.
			flat := strings.Join(strings.Fields(out.String()), " ")
			for _, s := range tc.wantOut {
				if !strings.Contains(flat, strings.Join(strings.Fields(s), " ")) {
					t.Errorf("output lacks %q:\n%s", s, out.String())
				}
			}
		})
	}

	t.Run("JSONHasAStableSchema", func(t *testing.T) {
		var out bytes.Buffer
		err := (&checkCompatCmd{Old: mongodb, New: removedPlan, Output: "json"}).Run(context.Background(), streams{Out: &out, Err: &bytes.Buffer{}})
		if code := exitCode(err); code != 3 {
			t.Fatalf("exit code %d, want 3 (err: %v)", code, err)
		}
		var r map[string]any
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatalf("stdout must be JSON only: %v\n%s", err, out.String())
		}
		if r["breaking"] != true || r["suggestion"] == "" {
			t.Errorf("want breaking: true and a suggestion, got %s", out.String())
		}
		changes, _ := r["changes"].([]any)
		if len(changes) != 1 {
			t.Fatalf("want 1 change, got %s", out.String())
		}
		c := changes[0].(map[string]any)
		for k, want := range map[string]any{"path": "spec.plan", "kind": "PlanRemoved", "breaking": true} {
			if c[k] != want {
				t.Errorf("change %s = %v, want %v", k, c[k], want)
			}
		}
		if s, _ := c["reason"].(string); s == "" {
			t.Error("change has no reason")
		}
	})

	t.Run("JSONWithoutChanges", func(t *testing.T) {
		var out bytes.Buffer
		if err := (&checkCompatCmd{Old: mongodb, New: mongodb, Output: "json"}).Run(context.Background(), streams{Out: &out, Err: &bytes.Buffer{}}); err != nil {
			t.Fatal(err)
		}
		want := "{\n  \"breaking\": false,\n  \"changes\": [],\n  \"suggestion\": \"\"\n}\n"
		if out.String() != want {
			t.Errorf("got %q, want %q", out.String(), want)
		}
	})
}

// writeMongoDB writes examples/klutch/mongodb.yaml, edited, to p.
func writeMongoDB(t *testing.T, p string, edit func(*v1alpha1.DataService)) string {
	t.Helper()
	ds, err := v1alpha1.Decode([]byte(readTestFile(t, filepath.Join("..", "..", "examples", "klutch", "mongodb.yaml"))))
	if err != nil {
		t.Fatal(err)
	}
	edit(ds)
	b, err := yaml.Marshal(ds)
	if err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, p, string(b))
	return p
}

// TestCheckCompatLive runs check-compat with the instances a cluster holds (a lister in place of
// --kubeconfig): the verdict is the function's, per instance.
func TestCheckCompatLive(t *testing.T) {
	dir := t.TempDir()
	mongodb := filepath.Join("..", "..", "examples", "klutch", "mongodb.yaml")
	removedPlan := writeMongoDB(t, filepath.Join(dir, "removed-plan.yaml"), func(ds *v1alpha1.DataService) {
		ds.Spec.Compositions[0].Plans = slices.DeleteFunc(ds.Spec.Compositions[0].Plans, func(p string) bool { return p == "mongodbsspl-single-big" })
	})
	valkey := filepath.Join("..", "..", "examples", "internal", "v1", "valkey.yaml")
	resized := filepath.Join(dir, "valkey-resized.yaml")
	writeTestFile(t, resized, strings.Replace(readTestFile(t, valkey), "{cpu: \"1\", memory: 4Gi,", "{cpu: \"1\", memory: 8Gi,", 1))

	// claim is the composite of the claim ns/name, as Crossplane v1 keeps it.
	claim := func(apiVersion, kind, ns, name, comp string, spec map[string]any) map[string]any {
		spec["compositionRef"] = map[string]any{"name": comp}
		spec["claimRef"] = map[string]any{"apiVersion": apiVersion, "kind": kind, "namespace": ns, "name": name}
		return map[string]any{"apiVersion": apiVersion, "kind": "X" + kind, "metadata": map[string]any{"name": name + "-abcde"}, "spec": spec}
	}
	mongos := []map[string]any{
		claim("anynines.com/v1", "MongodbInstance", "team-a", "orders", "a9s-mongodb", map[string]any{"service": "a9s-mongodb70", "plan": "mongodbsspl-single-big"}),
		claim("anynines.com/v1", "MongodbInstance", "team-b", "carts", "a9s-mongodb", map[string]any{"service": "a9s-mongodb70", "plan": "mongodbsspl-single-small"}),
	}
	valkeys := []map[string]any{
		claim("internal.example.com/v1", "ValkeyInstance", "team-a", "cache", "valkey", map[string]any{"service": "valkey-8", "plan": "medium"}),
	}
	lister := func(objs []map[string]any) instanceLister {
		return func(_ context.Context, gvr schema.GroupVersionResource) ([]map[string]any, error) {
			if gvr.Resource != "x"+strings.ToLower(objs[0]["kind"].(string)[1:])+"s" {
				t.Errorf("listed %s, want the composites of the API", gvr)
			}
			return objs, nil
		}
	}
	cases := map[string]struct {
		cmd      checkCompatCmd
		wantCode int
		wantOut  []string
	}{
		"PlanInUseRemoved": {
			cmd:      checkCompatCmd{Old: mongodb, New: removedPlan, list: lister(mongos)},
			wantCode: 3,
			wantOut: []string{`xmongodbinstances.anynines.com: 2 instances evaluated`,
				`BREAKS 1 instance: plan "mongodbsspl-single-big" is no longer offered (NotOffered): team-a/orders`,
				`fix: hide it with spec.plan.hidden instead`},
		},
		"PlanRemovedNoInstanceUses": {
			cmd:     checkCompatCmd{Old: mongodb, New: removedPlan, list: lister(mongos[1:])},
			wantOut: []string{`BREAKING (1):`, `1 instance evaluated`, `no change breaks or resizes any of them`},
		},
		"CatalogValueResizes": {
			cmd: checkCompatCmd{Old: valkey, New: resized, list: lister(valkeys)},
			wantOut: []string{`spec.forProvider.manifest.spec.resources.requests.memory 4Gi → 8Gi: resizes every existing instance holding it`,
				`RESIZES 1 instance: plan "medium" of composition valkey: valkey spec.forProvider.manifest.spec.resources.requests.memory 4Gi → 8Gi: team-a/cache`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			err := tc.cmd.Run(context.Background(), streams{Out: &out, Err: &bytes.Buffer{}})
			if code := exitCode(err); (err != nil || tc.wantCode != 0) && code != tc.wantCode {
				t.Fatalf("exit code %d, want %d (err: %v)\n%s", code, tc.wantCode, err, out.String())
			}
			flat := strings.Join(strings.Fields(out.String()), " ")
			for _, s := range tc.wantOut {
				if !strings.Contains(flat, strings.Join(strings.Fields(s), " ")) {
					t.Errorf("output lacks %q:\n%s", s, out.String())
				}
			}
		})
	}

	t.Run("JSONListsInstances", func(t *testing.T) {
		var out bytes.Buffer
		err := (&checkCompatCmd{Old: mongodb, New: removedPlan, Output: "json", list: lister(mongos)}).Run(context.Background(), streams{Out: &out, Err: &bytes.Buffer{}})
		if code := exitCode(err); code != 3 {
			t.Fatalf("exit code %d, want 3 (err: %v)", code, err)
		}
		var r struct {
			Instances []struct {
				API     string `json:"api"`
				Total   int    `json:"total"`
				Changes []struct {
					Kinds     []string `json:"kinds"`
					Instances []string `json:"instances"`
				} `json:"changes"`
			} `json:"instances"`
		}
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatalf("stdout must be JSON only: %v\n%s", err, out.String())
		}
		if len(r.Instances) != 1 || r.Instances[0].Total != 2 || len(r.Instances[0].Changes) != 1 ||
			!slices.Equal(r.Instances[0].Changes[0].Instances, []string{"team-a/orders"}) || r.Instances[0].Changes[0].Kinds[0] != "NotOffered" {
			t.Errorf("instances: %+v\n%s", r.Instances, out.String())
		}
	})
}
