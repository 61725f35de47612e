package function

import (
	"context"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// TestWarmUp: the built-in DataService composes without a fatal result, so a server never refuses
// to start because of its warm-up.
func TestWarmUp(t *testing.T) {
	if err := New(logging.NewNopLogger()).WarmUp(context.Background()); err != nil {
		t.Fatalf("WarmUp(): %v", err)
	}
}

// TestWarmUpCompilesEveryKindOfRule: the warm-up's XRD carries each kind of CEL rule the generator
// writes, so that compiling it warms the CEL parser for them (a warm-up DataService without rules
// left that to the first request).
func TestWarmUpCompilesEveryKindOfRule(t *testing.T) {
	var ds v1alpha1.DataService
	if err := yaml.Unmarshal([]byte(warmUpXR), &ds); err != nil {
		t.Fatal(err)
	}
	out, err := generator.Generate(&ds, inputv1beta1.Defaults{})
	if err != nil {
		t.Fatalf("Generate(warmUpXR): %v", err)
	}
	var rules []string
	collectRules(out.XRD.Object, &rules)
	all := strings.Join(rules, "\n")
	for kind, want := range map[string]string{
		"immutable field":          "self == oldSelf",
		"no downsizing":            "!(self.contains('s') && oldSelf.contains('m'))",
		"one way":                  "!(self.contains('-one-') && oldSelf.contains('-ha-'))",
		"keep a feature":           "oldSelf.contains('tls') == self.contains('tls')",
		"hidden plan":              "oldSelf.hasValue()",
		"offering per composition": "has(self.compositionRef) ? self.compositionRef.name",
		"exclusive parameter":      "has(self.parameters.policy)",
		"rule on spec":             "self.plan.startsWith(",
		"rule on a parameter":      "self.matches(",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the warm-up XRD has no %s rule (%q) among:\n%s", kind, want, all)
		}
	}
}

// collectRules appends the x-kubernetes-validations rules found anywhere in o.
func collectRules(o any, rules *[]string) {
	switch v := o.(type) {
	case map[string]any:
		for k, x := range v {
			if vs, ok := x.([]any); ok && k == "x-kubernetes-validations" {
				for _, r := range vs {
					if m, ok := r.(map[string]any); ok {
						if s, ok := m["rule"].(string); ok {
							*rules = append(*rules, s)
						}
					}
				}
				continue
			}
			collectRules(x, rules)
		}
	case []any:
		for _, x := range v {
			collectRules(x, rules)
		}
	}
}
