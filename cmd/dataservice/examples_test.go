package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/runtime/schema"

	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/compat"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/importer"
	"github.com/function-dataservice/function-dataservice/internal/planmatrix"
	"github.com/function-dataservice/function-dataservice/internal/resolved"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// offers is what a resolved API offers, as every verb must see it: per composition its services
// and plans, the hidden plans, the default composition and whether an instance must name one.
type offers struct {
	Compositions map[string][2][]string
	Hidden       []string
	Default      string
	MustName     bool
}

func offersOf(a *resolved.API) offers {
	o := offers{Compositions: map[string][2][]string{}, Default: a.DefaultComposition, MustName: a.MustNameComposition()}
	for _, c := range a.Compositions {
		o.Compositions[c.Name] = [2][]string{c.Services, c.Plans}
	}
	if a.Plan != nil {
		o.Hidden = a.Plan.Hidden
	}
	return o
}

// TestEveryVerbOnEveryExample runs every verb on every DataService the examples make (every
// folder, overlays applied to their bases: testtools.Examples finds them, so a new example joins
// without an edit) and checks that they agree with what generate writes: the XRD read back offers
// what the resolved API offers, plans evaluates and docs shows every plan and service the XRD
// enumerates, check-compat of the API against itself finds no change, and import of the
// generated objects yields a DataService that offers the same.
func TestEveryVerbOnEveryExample(t *testing.T) {
	examples := testtools.Examples(t, filepath.Join("..", "..", "examples"))
	if len(examples) < 10 {
		t.Fatalf("found %d examples, want every one under examples/", len(examples))
	}
	for _, ex := range examples {
		t.Run(ex.Name, func(t *testing.T) {
			ds := ex.DataService
			out, err := generator.Generate(ds, inputv1beta1.Defaults{})
			if err != nil {
				t.Fatal(err)
			}
			want := offersOf(out.Resolved)

			// What the generated XRD enforces, read back, is what the resolved API offers.
			read, _, err := generator.ReadAPI(out.XRD, out.Compositions)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, offersOf(read), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("the generated XRD read back offers other than the resolved API (-resolved +read):\n%s", diff)
			}
			plans, services := read.Offered(resolved.FieldPlan), read.Offered(resolved.FieldService)

			// plans: every plan and service the XRD enumerates is evaluated, and it succeeds.
			var pout, perr bytes.Buffer
			if err := (&plansCmd{specFlags: specFlags{Files: ex.Files}, Output: "json"}).Run(context.Background(), streams{Out: &pout, Err: &perr}); err != nil {
				t.Fatalf("plans: %v\n%s", err, perr.String())
			}
			var results []plansResult
			if err := json.Unmarshal(pout.Bytes(), &results); err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(results, func(r plansResult) bool { return r.DataService == ds.Name })
			if i < 0 {
				t.Fatalf("plans has no result for DataService %s", ds.Name)
			}
			seen := map[string][]string{}
			for _, m := range results[i].Result.Matrices {
				seen[m.Field] = append(seen[m.Field], m.Values...)
				for _, n := range m.NotOffered {
					seen[m.Field] = append(seen[m.Field], n.Value)
				}
			}
			for field, vs := range map[string][]string{resolved.FieldPlan: plans, resolved.FieldService: services} {
				for _, v := range vs {
					if !slices.Contains(seen[field], v) {
						t.Errorf("plans does not evaluate %s %s, which the generated XRD offers", field, v)
					}
				}
			}

			// docs: the page names every plan and service.
			dir := t.TempDir()
			if err := (&docsCmd{specFlags: specFlags{Files: ex.Files}, Output: dir}).Run(context.Background(), streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}); err != nil {
				t.Fatalf("docs: %v", err)
			}
			page := readTestFile(t, filepath.Join(dir, ds.Name+".md"))
			for _, v := range slices.Concat(plans, services) {
				if !strings.Contains(page, "`"+v+"`") {
					t.Errorf("the catalog page does not name %s, which the generated XRD offers", v)
				}
			}
			if out.Resolved.MustNameComposition() && strings.Contains(page, "(default") {
				t.Error("the catalog page promises a default composition the API refuses to apply")
			}

			// check-compat: the API against itself has not changed.
			api := compat.API{XRD: compat.Object{Where: ex.Name, Object: out.XRD}}
			for _, c := range out.Compositions {
				api.Compositions = append(api.Compositions, compat.Object{Where: ex.Name, Object: c})
			}
			if out.ExportTemplate != nil {
				api.ExportTemplates = append(api.ExportTemplates, compat.Object{Where: ex.Name, Object: out.ExportTemplate})
			}
			r, err := compat.Compare([]compat.API{api}, []compat.API{api})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Changes) > 0 {
				t.Errorf("check-compat of the API against itself finds changes: %+v", r.Changes)
			}
			if len(ex.Files) == 1 {
				var cout bytes.Buffer
				if err := (&checkCompatCmd{Old: ex.Files[0], New: ex.Files[0], Output: "text"}).Run(context.Background(), streams{Out: &cout, Err: &bytes.Buffer{}}); err != nil || !strings.Contains(cout.String(), "No changes.") {
					t.Errorf("check-compat %s %s: want no changes, got %v:\n%s", ex.Files[0], ex.Files[0], err, cout.String())
				}

				// check-compat --kubeconfig (the function's live check): an instance on every plan of
				// every composition breaks nothing when the API does not change.
				list := func(context.Context, schema.GroupVersionResource) ([]map[string]any, error) {
					return instancesOn(t, out), nil
				}
				cout.Reset()
				if err := (&checkCompatCmd{Old: ex.Files[0], New: ex.Files[0], list: list}).Run(context.Background(), streams{Out: &cout, Err: &bytes.Buffer{}}); err != nil ||
					!strings.Contains(cout.String(), "no change breaks or resizes any of them") {
					t.Errorf("check-compat --kubeconfig %s %s: want no instance broken, got %v:\n%s", ex.Files[0], ex.Files[0], err, cout.String())
				}
			}

			// import: the DataService import makes of the generated objects offers the same.
			res, err := importer.Import(importer.Input{XRD: out.XRD, Compositions: out.Compositions, ExportTemplate: out.ExportTemplate, Name: ds.Name})
			if err != nil {
				t.Fatal(err)
			}
			back, err := generator.Resolve(res.DataService, inputv1beta1.Defaults{})
			if err != nil {
				t.Fatalf("the imported DataService does not resolve: %v", err)
			}
			if diff := cmp.Diff(want, offersOf(back), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("the imported DataService offers other than the example (-example +imported):\n%s", diff)
			}
		})
	}
}

// instancesOn is a composite of out's API on every plan (and first service) each composition
// offers, as the API server accepts it: what a control plane that runs the API may hold.
func instancesOn(t *testing.T, out *generator.Output) []map[string]any {
	t.Helper()
	a, err := planmatrix.LoadComposites(out.XRD)
	if err != nil {
		t.Fatal(err)
	}
	var objs []map[string]any
	for _, c := range out.Resolved.Compositions {
		in := planmatrix.Instance{Version: out.Resolved.Referenceable(), Composition: c.Name}
		if len(c.Services) > 0 {
			in.Service = c.Services[0]
		}
		plans := c.Plans
		if len(plans) == 0 {
			plans = []string{""}
		}
		for _, p := range plans {
			in.Plan = p
			objs = append(objs, a.Object(in))
		}
	}
	return objs
}
