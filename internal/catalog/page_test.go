package catalog

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/manifests"
	"github.com/function-dataservice/function-dataservice/internal/planmatrix"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// bundled are the example folders whose pages are checked in under docs/catalog/<folder>.
var bundled = []string{"klutch", "klutch-v2", "a9s", "internal/v1", "internal/v2"}

// TestBundledPages writes the page of every bundled example and checks that the API server's
// validation accepts the example object the page shows (read back from the page's YAML), that it
// renders to no HTML but what a page writes, and that the checked-in page is up to date (make
// generate rewrites it).
func TestBundledPages(t *testing.T) {
	for _, dir := range bundled {
		docs, err := manifests.Read(filepath.Join("..", "..", "examples", dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			tm, err := d.TypeMeta()
			if err != nil || tm.Kind != v1alpha1.DataServiceKind {
				continue
			}
			ds, err := v1alpha1.Decode(d.Data)
			if err != nil {
				t.Fatal(err)
			}
			t.Run(dir+"/"+ds.Name, func(t *testing.T) {
				out, page := pageOf(t, ds)
				_, block, ok := strings.Cut(page, "## Example\n")
				if !ok {
					t.Fatal("the page has no example")
				}
				_, block, _ = strings.Cut(block, "```yaml\n")
				block, _, _ = strings.Cut(block, "```")
				obj := map[string]any{}
				if err := yaml.Unmarshal([]byte(block), &obj); err != nil {
					t.Fatalf("the example does not parse: %v\n%s", err, block)
				}
				api, err := planmatrix.Load(out.XRD)
				if err != nil {
					t.Fatal(err)
				}
				v := api.Versions[len(api.Versions)-1]
				for _, av := range api.Versions {
					if av.Name == out.API.Version {
						v = av
					}
				}
				if errs := v.Validator().Create(context.Background(), obj); len(errs) > 0 {
					t.Errorf("the API server refuses the page's example: %v\n%s", errs.ToAggregate(), block)
				}

				// Rendered, it holds only what a page writes (and the checks of renderPage
				// allow no less than the bundled pages need).
				renderPage(t, []byte(page))

				checked := filepath.Join("..", "..", "docs", "catalog", dir, ds.Name+".md")
				want, err := os.ReadFile(checked)
				if err != nil {
					t.Fatalf("%v: run make generate and commit docs/catalog", err)
				}
				if diff := cmp.Diff(string(want), page); diff != "" {
					t.Errorf("%s is stale (run make generate): -checked in, +generated:\n%s", checked, diff)
				}
			})
		}
	}
}

// pageOf generates ds and writes its page.
func pageOf(t *testing.T, ds *v1alpha1.DataService) (*generator.Output, string) {
	t.Helper()
	out, p := writePage(t, ds)
	return out, string(p.Markdown)
}

// writePage generates ds and writes its page.
func writePage(t *testing.T, ds *v1alpha1.DataService) (*generator.Output, *Page) {
	t.Helper()
	out, err := generator.Generate(ds, inputv1beta1.Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Write(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	return out, p
}

func ptr[T any](v T) *T { return &v }

func TestAllowedValues(t *testing.T) {
	cases := map[string]struct {
		reason string
		schema structuralschema.Structural
		want   string
	}{
		"Nothing": {
			reason: "A schema without constraints says nothing.",
			schema: structuralschema.Structural{Generic: structuralschema.Generic{Type: "string"}},
			want:   "",
		},
		"EnumAndPattern": {
			reason: "Enums list their values, patterns are quoted as code.",
			schema: structuralschema.Structural{ValueValidation: &structuralschema.ValueValidation{
				Enum:    []structuralschema.JSON{{Object: "a"}, {Object: "b"}},
				Pattern: "^[a-z]+$",
			}},
			want: "one of `\"a\"`, `\"b\"`, matching `^[a-z]+$`",
		},
		"ArrayItems": {
			reason: "What each item of an array may be is what the field allows.",
			schema: structuralschema.Structural{Generic: structuralschema.Generic{Type: "array"}, Items: &structuralschema.Structural{
				ValueValidation: &structuralschema.ValueValidation{Enum: []structuralschema.JSON{{Object: "TLSv1.2"}, {Object: "TLSv1.3"}}},
			}},
			want: "each item one of `\"TLSv1.2\"`, `\"TLSv1.3\"`",
		},
		"Bounds": {
			reason: "Bounds say whether they are inclusive; lengths are counted.",
			schema: structuralschema.Structural{ValueValidation: &structuralschema.ValueValidation{
				Minimum: ptr(0.0), Maximum: ptr(100.0), ExclusiveMaximum: true, MaxLength: ptr[int64](5),
			}},
			want: "≥ 0, < 100, at most 5 characters",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, allowedValues(&tc.schema)); diff != "" {
				t.Errorf("%s\nallowedValues(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestRuleText(t *testing.T) {
	cases := map[string]struct {
		reason                   string
		rule, msg, msgExpr, want string
	}{
		"MessageThenRule": {
			reason: "A rule is said by its message, the rule beside it as code, whole and on one line.",
			rule:   "type(self) == string ?\n  self == 'off' : self >= 0", msg: "must be 'off' or an integer >= 0",
			want: "must be 'off' or an integer >= 0 (`type(self) == string ? self == 'off' : self >= 0`)",
		},
		"TransitionRule": {
			reason: "A rule on oldSelf applies to changes.",
			rule:   "self == oldSelf", msg: "Service is an immutable field",
			want: "on change: Service is an immutable field (`self == oldSelf`)",
		},
		"NoMessage": {
			reason: "Without a message the rule is all there is.",
			rule:   "self.size() > 2",
			want:   "`self.size() > 2`",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ruleText(tc.rule, tc.msg, tc.msgExpr)); diff != "" {
				t.Errorf("%s\nruleText(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestPageShowsWhatTheResolvedAPIOffers: hidden plans are marked and never the example's; a mix
// of a composition that lists plans and one that offers the whole catalog shows both, with each
// plan's values.
func TestPageShowsWhatTheResolvedAPIOffers(t *testing.T) {
	page := func(t *testing.T, ds *v1alpha1.DataService) string {
		t.Helper()
		_, p := pageOf(t, ds)
		return p
	}
	read := func(t *testing.T, path string) *v1alpha1.DataService {
		t.Helper()
		return testtools.ReadDataService(t, filepath.Join("..", "..", "examples", path))
	}

	t.Run("HiddenPlansMarked", func(t *testing.T) {
		ds := read(t, "internal/v2/valkey.yaml")
		ds.Spec.Plan.Hidden = []string{"small"}
		p := page(t, ds)
		for _, want := range []string{"| `small` (hidden) | 500m |", "Plans marked hidden are no longer offered", "  plan: medium\n"} {
			if !strings.Contains(p, want) {
				t.Errorf("the page lacks %q:\n%s", want, p)
			}
		}
	})
	t.Run("ListedAndCatalogCompositions", func(t *testing.T) {
		ds := read(t, "internal/v2/valkey.yaml")
		second := ds.Spec.Compositions[0]
		second.Name = "valkey-small-only"
		second.Plans = []string{"small"}
		ds.Spec.Compositions = append(ds.Spec.Compositions, second)
		p := page(t, ds)
		for _, want := range []string{"### Composition `valkey` (default)", "### Composition `valkey-small-only`", "| `large` | 2 | 16Gi | 50Gi | 3 |", "name: valkey\n"} {
			if !strings.Contains(p, want) {
				t.Errorf("the page lacks %q:\n%s", want, p)
			}
		}
		if strings.Contains(p, "No services or plans to choose") {
			t.Error("a composition that offers the catalog has plans to choose")
		}
	})
}
