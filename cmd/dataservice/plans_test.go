package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/planmatrix"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v: run go test -update to write it", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s: -want, +got (go test -update rewrites it):\n%s", p, diff)
	}
}

func TestPlans(t *testing.T) {
	mongodb := filepath.Join("..", "..", "examples", "klutch", "mongodb.yaml")
	cases := map[string]struct {
		reason string
		cmd    plansCmd
		golden string
	}{
		"TextGridOfMongoDB": {
			reason: "The terminal shows a compact grid per context, each refusal named by its rule's message.",
			cmd:    plansCmd{specFlags: specFlags{Files: []string{mongodb}}, Output: "text"},
			golden: "plans-mongodb.txt",
		},
		"MarkdownOfMongoDB": {
			reason: "Markdown shows the same matrices as tables.",
			cmd:    plansCmd{specFlags: specFlags{Files: []string{mongodb}}, Output: "markdown"},
			golden: "plans-mongodb.md",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var out, errs bytes.Buffer
			if err := tc.cmd.Run(context.Background(), streams{Out: &out, Err: &errs}); err != nil {
				t.Fatalf("%s\nRun(): %v", tc.reason, err)
			}
			golden(t, tc.golden, out.String())
		})
	}

	t.Run("JSONHasEveryCell", func(t *testing.T) {
		var out bytes.Buffer
		if err := (&plansCmd{specFlags: specFlags{Files: []string{mongodb}}, Output: "json"}).Run(context.Background(), streams{Out: &out, Err: &bytes.Buffer{}}); err != nil {
			t.Fatal(err)
		}
		var got []plansResult
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || len(got[0].Result.Matrices) != 2 || len(got[0].Result.Matrices[0].Cells) != 10 {
			t.Fatalf("want one DataService with a 10x10 plan matrix and a service matrix, got %s", out.String())
		}
	})

	t.Run("NothingEvaluatedFails", func(t *testing.T) {
		// A rule no instance passes leaves no plan to change between: the grid would say the
		// API has no rules where it refuses everything.
		spec := filepath.Join(t.TempDir(), "none.yaml")
		writeTestFile(t, spec, readTestFile(t, filepath.Join("..", "..", "examples", "render", "xr.yaml"))+"  rules:\n    - {rule: \"self.plan == 'cache-huge'\", message: no plan}\n")
		err := (&plansCmd{specFlags: specFlags{Files: []string{spec}}, Output: "text"}).Run(context.Background(), streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
		if err == nil || !strings.Contains(err.Error(), "no change was evaluated") || !strings.Contains(err.Error(), "cache-small") {
			t.Fatalf("want an error saying nothing was evaluated of the plans, got %v", err)
		}
	})

	t.Run("CatalogPlansEvaluated", func(t *testing.T) {
		var out bytes.Buffer
		valkey := filepath.Join("..", "..", "examples", "internal", "v2", "valkey.yaml")
		if err := (&plansCmd{specFlags: specFlags{Files: []string{valkey}}, Output: "text"}).Run(context.Background(), streams{Out: &out, Err: &bytes.Buffer{}}); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"1 small", "2 medium", "3 large", "Transition from bigger to smaller plan size"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("the grid of Valkey's catalog plans lacks %q:\n%s", want, out.String())
			}
		}
	})

	t.Run("UnevaluableRuleFailsNamingPairAndRule", func(t *testing.T) {
		spec := filepath.Join(t.TempDir(), "split.yaml")
		data := strings.Replace(readTestFile(t, mongodb), "      - noDownsizing: {sizes: [nano, small, big]}\n", "      - rule: \"self.split('-')[3] == oldSelf.split('-')[3]\"\n", 1)
		writeTestFile(t, spec, data)
		var out bytes.Buffer
		err := (&plansCmd{specFlags: specFlags{Files: []string{spec}}, Output: "text"}).Run(context.Background(), streams{Out: &out, Err: &bytes.Buffer{}})
		if err == nil {
			t.Fatal("want an error for a rule that fails on some pairs")
		}
		for _, want := range []string{"split.yaml", "plan mongodbsspl-single-nano to", "index out of bounds", "self.split('-')[3]"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error should name %q, got %v", want, err)
			}
		}
		if !strings.Contains(out.String(), "error: changing") {
			t.Errorf("the grid output should list the errors, got\n%s", out.String())
		}
	})
}

// TestREADMEShowsPlansAsPrinted keeps the README's example of dataservice plans what the command
// prints.
func TestREADMEShowsPlansAsPrinted(t *testing.T) {
	readme := readTestFile(t, filepath.Join("..", "..", "README.md"))
	grid := readTestFile(t, filepath.Join("testdata", "plans-mongodb.txt"))
	if !strings.Contains(readme, "$ dataservice plans -f examples/klutch/mongodb.yaml\n") || !strings.Contains(readme, grid) {
		t.Errorf("README.md should show the output of dataservice plans -f examples/klutch/mongodb.yaml as testdata/plans-mongodb.txt has it:\n%s", grid)
	}
}

// specAtTheLimits writes MongoDB as a spec at the generator's limits: one composition offering as
// many services and plans as it allows, served in as many versions.
func specAtTheLimits(t *testing.T) string {
	t.Helper()
	ds := testtools.ReadDataService(t, filepath.Join("..", "..", "examples", "klutch", "mongodb.yaml"))
	c := &ds.Spec.Compositions[0]
	c.Services, c.Plans = nil, nil
	for i := range generator.MaxServices {
		c.Services = append(c.Services, fmt.Sprintf("a9s-mongodb%d", i))
	}
	for i := range generator.MaxPlans {
		family, size, ssl := []string{"single", "replica"}[i%2], []string{"nano", "small", "big"}[i%3], []string{"", "-ssl"}[i/6%2]
		c.Plans = append(c.Plans, fmt.Sprintf("mongodbsspl-%s-%s%s-%d", family, size, ssl, i))
	}
	for i := range generator.MaxVersions {
		ds.Spec.Versions = append(ds.Spec.Versions, v1alpha1.APIVersion{Name: fmt.Sprintf("v%d", i+1)})
	}
	b, err := yaml.Marshal(ds)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "limits.yaml")
	writeTestFile(t, p, string(b))
	return p
}

// TestPlansAndDocsAtTheLimits: a spec within every limit of the generator took plans and docs 17
// billion evaluations of the API server's validation on main (16 versions × 256 services × 2,048²
// plan changes): they ran for hours. They refuse it before evaluating, naming the plan matrix's
// limit; docs writes nothing. internal/planmatrix counts what is evaluated.
func TestPlansAndDocsAtTheLimits(t *testing.T) {
	spec := specAtTheLimits(t)
	refused := func(t *testing.T, err error) {
		t.Helper()
		if err == nil {
			t.Fatal("want the plan matrix's limit named, got no error")
		}
		for _, want := range []string{"limits.yaml", fmt.Sprintf("at most %d are made", planmatrix.MaxEvaluations), "256 services × 2048 plans to create, before any change"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the error lacks %q: %v", want, err)
			}
		}
	}
	t.Run("Plans", func(t *testing.T) {
		var out bytes.Buffer
		err := (&plansCmd{specFlags: specFlags{Files: []string{spec}}, Output: "json"}).Run(context.Background(), streams{Out: &out, Err: &bytes.Buffer{}})
		refused(t, err)
		if tl := (*planmatrix.TooLargeError)(nil); !errors.As(err, &tl) {
			t.Errorf("want a planmatrix.TooLargeError, got %T", err)
		}
		if out.Len() > 0 {
			t.Errorf("nothing should be printed, got %d bytes", out.Len())
		}
	})
	t.Run("Docs", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "catalog")
		err := (&docsCmd{specFlags: specFlags{Files: []string{spec}}, Output: dir}).Run(context.Background(), streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
		refused(t, err)
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("nothing should be written: %v", err)
		}
	})
}
