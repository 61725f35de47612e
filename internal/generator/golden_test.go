package generator_test

import (
	"bytes"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/overlay"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata from the examples and what the generator makes of them")

// goldenCases are the cases under testdata: each holds the DataService the generator reads
// (input.yaml) and every object it generates, one file each. Every case is an example, so the
// examples and the golden files cannot drift apart: the input is what the example files make
// (a DataService, or a base with an overlay applied), checked here too.
var goldenCases = map[string][]string{
	"klutch-mongodb":           {"klutch/mongodb.yaml"},
	"klutch-postgresql":        {"klutch/postgresql.yaml"},
	"klutch-servicebinding":    {"klutch/servicebinding.yaml"},
	"klutch-v2-mongodb":        {"klutch-v2/mongodb.yaml"},
	"a9s-keyvalue":             {"a9s/keyvalue.yaml"},
	"a9s-logme2":               {"a9s/logme2.yaml"},
	"a9s-mariadb":              {"a9s/mariadb.yaml"},
	"a9s-messaging":            {"a9s/messaging.yaml"},
	"a9s-prometheus":           {"a9s/prometheus.yaml"},
	"a9s-search":               {"a9s/search.yaml"},
	"overlays-acme-documentdb": {"klutch/mongodb.yaml", "overlays/acme-documentdb.yaml"},
	"internal-v1-valkey":       {"internal/v1/valkey.yaml"},
	"internal-v2-valkey":       {"internal/v2/valkey.yaml"},
	"internal-v1-postgres":     {"internal/v1/postgres.yaml"},
	"internal-v2-postgres":     {"internal/v2/postgres.yaml"},
}

// TestGolden generates every case and compares each object, parsed, with its golden file; run
// `go test ./internal/generator -update` to rewrite them after an intended change, and review the
// diff.
func TestGolden(t *testing.T) {
	for name, sources := range goldenCases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", name)
			ds := exampleInput(t, sources)
			if *update {
				writeGolden(t, filepath.Join(dir, "input.yaml"), ds)
			}
			in := readGolden(t, filepath.Join(dir, "input.yaml"))
			if diff := cmp.Diff(in, plainOf(t, ds)); diff != "" {
				t.Errorf("%s/input.yaml is not what examples %s make (-golden +examples); run go test ./internal/generator -update:\n%s", dir, strings.Join(sources, " and "), diff)
			}
			out, err := generator.Generate(ds, inputv1beta1.Defaults{})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]*unstructured.Unstructured{}
			for _, o := range out.Objects() {
				want[goldenName(o)] = o
			}
			if *update {
				old, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
				for _, f := range old {
					if _, ok := want[filepath.Base(f)]; !ok && filepath.Base(f) != "input.yaml" {
						if err := os.Remove(f); err != nil {
							t.Fatal(err)
						}
					}
				}
				for f, o := range want {
					writeGolden(t, filepath.Join(dir, f), o.Object)
				}
			}
			files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				if _, ok := want[filepath.Base(f)]; !ok && filepath.Base(f) != "input.yaml" {
					t.Errorf("%s: not generated any more; run go test ./internal/generator -update", f)
				}
			}
			for _, f := range slices.Sorted(maps.Keys(want)) {
				p := filepath.Join(dir, f)
				if _, err := os.Stat(p); err != nil {
					t.Errorf("%s: generated but has no golden file; run go test ./internal/generator -update", p)
					continue
				}
				if diff := cmp.Diff(readGolden(t, p), plainOf(t, want[f].Object)); diff != "" {
					t.Errorf("%s differs (-golden +generated); run go test ./internal/generator -update if intended:\n%s", p, diff)
				}
			}
		})
	}
}

// exampleInput is the DataService the example files make: the first a DataService, an optional
// second an overlay of it.
func exampleInput(t *testing.T, sources []string) *v1alpha1.DataService {
	t.Helper()
	ds := testtools.ReadDataService(t, filepath.Join("..", "..", "examples", sources[0]))
	if len(sources) == 1 {
		return ds
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", sources[1]))
	if err != nil {
		t.Fatal(err)
	}
	o := &v1alpha1.DataServiceOverlay{}
	if err := yaml.UnmarshalStrict(data, o); err != nil {
		t.Fatalf("%s: %v", sources[1], err)
	}
	ds, _, err = overlay.Apply(ds, o)
	if err != nil {
		t.Fatalf("%s: %v", sources[1], err)
	}
	return ds
}

// goldenName names an object's file: its kind, and its name where a kind has several.
func goldenName(o *unstructured.Unstructured) string {
	k := strings.ToLower(o.GetKind())
	switch {
	case k == "composition":
		return k + "-" + o.GetName() + ".yaml"
	case k == "apiserviceexporttemplate" && strings.HasPrefix(o.GetAPIVersion(), "kube-bind.io/"):
		return "kubebind-" + k + ".yaml"
	}
	return k + ".yaml"
}

func writeGolden(t *testing.T, path string, obj any) {
	t.Helper()
	b, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	head := []byte("# Golden file: rewrite with go test ./internal/generator -update\n")
	if err := os.WriteFile(path, append(head, b...), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readGolden(t *testing.T, path string) any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v; run go test ./internal/generator -update", err)
	}
	var v any
	if err := yaml.Unmarshal(bytes.TrimSpace(b), &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// plainOf is obj as parsed YAML holds it, so that typed and golden values compare.
func plainOf(t *testing.T, obj any) any {
	t.Helper()
	b, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestGoldenCoversEveryExample keeps a golden case for every example spec: a new example without
// one fails here. examples/render holds a crossplane render setup, not a spec of its own.
func TestGoldenCoversEveryExample(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Two levels down where an example has a spec per Crossplane line (examples/internal).
	deeper, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, deeper...)
	covered := map[string]bool{}
	for _, srcs := range goldenCases {
		covered[srcs[len(srcs)-1]] = true
	}
	for _, f := range files {
		rel := filepath.ToSlash(strings.TrimPrefix(f, filepath.Join("..", "..", "examples")+string(filepath.Separator)))
		if strings.HasPrefix(rel, "render/") || holdsCRD(t, f) {
			continue
		}
		if !covered[rel] {
			t.Errorf("examples/%s has no golden case: add it to goldenCases and run go test ./internal/generator -update", rel)
		}
	}
}

// holdsCRD says whether an examples file is a CustomResourceDefinition (an operator's, which the
// internal examples compose), not a spec.
func holdsCRD(t *testing.T, path string) bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains("\n"+string(data), "\nkind: CustomResourceDefinition\n")
}
