package generator

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// fuzzSeeds are the checked-in seed corpus of both targets: every example spec (overlays too,
// which Decode refuses), on each Crossplane line, and a few small specs that reach the branches the
// examples do not.
func fuzzSeeds(t testing.TB) []testtools.FuzzSeed {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var seeds []testtools.FuzzSeed
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		name := "example-" + filepath.Base(filepath.Dir(p)) + "-" + strings.TrimSuffix(filepath.Base(p), ".yaml")
		seeds = append(seeds,
			testtools.FuzzSeed{Name: name, Args: []any{b, ""}},
			testtools.FuzzSeed{Name: name + "-v2", Args: []any{b, "v2"}},
		)
	}
	if len(seeds) == 0 {
		t.Fatal("no example under ../../examples")
	}
	return append(seeds,
		testtools.FuzzSeed{Name: "plan-changes-v2", Args: []any{[]byte("apiVersion: dataservice.klutch.io/v1alpha1\nkind: DataService\nmetadata: {name: x}\nspec: {group: a.b, kind: X, compositions: [{name: c, plans: [p-small, p-big], backend: {apiVersion: a/v1, kind: B}}], plan: {changes: [{noDownsizing: {sizes: [small, big]}}]}}\n"), "v2"}},
		testtools.FuzzSeed{Name: "json", Args: []any{[]byte(`{"apiVersion":"dataservice.klutch.io/v1alpha1","kind":"DataService","metadata":{"name":"j"},"spec":{"group":"a.b","kind":"J","scope":"Cluster","versions":[{"name":"v1"},{"name":"v2","referenceable":true}],"compositions":[{"name":"j","services":["j1"],"plans":["j-small"]}],"export":{"kubeBind":{}}}}`), "v2"}},
		testtools.FuzzSeed{Name: "anchors", Args: []any{[]byte("apiVersion: dataservice.klutch.io/v1alpha1\nkind: DataService\nmetadata: {name: &n a}\nspec: {group: a.b, kind: A, compositions: [{name: *n, plans: [a-small]}]}\n"), ""}},
	)
}

// TestFuzzCorpus keeps the checked-in seed corpora of FuzzResolveAndBuild and FuzzGenerate in step
// with the examples.
func TestFuzzCorpus(t *testing.T) {
	seeds := fuzzSeeds(t)
	testtools.CheckFuzzCorpus(t, "FuzzResolveAndBuild", seeds)
	testtools.CheckFuzzCorpus(t, "FuzzGenerate", seeds)
}

// FuzzResolveAndBuild feeds arbitrary documents through decoding, defaulting, validation and
// building of every object, without the API server's CEL compilation (milliseconds per rule, which
// would leave the fuzzer a few executions a second): none of it may panic, whatever the input.
func FuzzResolveAndBuild(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, line string) {
		ds, err := v1alpha1.Decode(data)
		if err != nil {
			return
		}
		if errs := checkLimits(ds); len(errs) > 0 {
			return
		}
		m := resolve(ds, inputv1beta1.Defaults{CrossplaneVersion: line}.WithFallbacks())
		errs := validate(m)
		if m.tooBig {
			return
		}
		// The XRD is built even for invalid specs, to report API-server errors alongside.
		o := build(m, len(errs) == 0)
		if _, err := convert(m, o); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzGenerate runs the whole generator, API-server checks included: it returns objects or an
// error, never panics, and what it accepts it accepts again. The API server's checks answered in
// parts (crdcheck.go) find what they find in the whole CRDs.
func FuzzGenerate(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, line string) {
		ds, err := v1alpha1.Decode(data)
		if err != nil {
			return
		}
		d := inputv1beta1.Defaults{CrossplaneVersion: line}
		checks, err := CheckCRDsOfSpec(ds, d)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range checks {
			if !slices.Equal(c.Whole, c.Parts) || !slices.Equal(c.Whole, c.Again) {
				t.Fatalf("%s: the API server finds\n%s\nin the whole CRD, in parts (%q)\n%s\nand again (%q)\n%s", c.Name,
					strings.Join(c.Whole, "\n"), c.Why, strings.Join(c.Parts, "\n"), c.WhyAgain, strings.Join(c.Again, "\n"))
			}
		}
		out, err := Generate(ds, d)
		if err != nil {
			// The same spec, the same message: Crossplane shows it on every reconcile.
			if _, again := Generate(ds, d); again == nil || again.Error() != err.Error() {
				t.Fatalf("rejected twice with different errors:\n%v\n%v", err, again)
			}
			return
		}
		again, err := GenerateCached(ds, d, NewCache(64<<20))
		if err != nil {
			t.Fatalf("accepted once, rejected again: %v", err)
		}
		if len(again.Objects()) != len(out.Objects()) {
			t.Fatalf("generated %d objects, then %d", len(out.Objects()), len(again.Objects()))
		}
		for _, o := range out.Objects() {
			// What the API server stores, and what generate writes and build reads back.
			j, err := json.Marshal(o.Object)
			if err != nil {
				t.Fatalf("%s %s: %v", o.GetKind(), o.GetName(), err)
			}
			if len(j) > MaxObjectSize {
				t.Fatalf("%s %s takes %d bytes, more than the API server stores", o.GetKind(), o.GetName(), len(j))
			}
			y, err := yaml.Marshal(o.Object)
			if err != nil {
				t.Fatalf("%s %s: %v", o.GetKind(), o.GetName(), err)
			}
			back, err := yaml.YAMLToJSON(y)
			if err != nil {
				t.Fatalf("%s %s does not read back from YAML: %v", o.GetKind(), o.GetName(), err)
			}
			if !bytes.Equal(back, j) {
				t.Fatalf("%s %s reads back from YAML changed:\n%s\n%s", o.GetKind(), o.GetName(), j, back)
			}
		}
	})
}
