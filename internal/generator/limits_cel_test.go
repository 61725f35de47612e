package generator_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// chain is a CEL rule of terms ORed, n bytes long at most: cel-go's checker takes time quadratic
// in such a chain.
func chain(n int) string {
	var b strings.Builder
	for i := 0; ; i++ {
		term := fmt.Sprintf("self.parameters.maxMemory == %d", i)
		if i > 0 {
			term = " || " + term
		}
		if b.Len()+len(term) > n {
			return b.String()
		}
		b.WriteString(term)
	}
}

// hostile returns validSpec with rules on spec.rules, validations on the maxMemory parameter and
// on params more parameters, and versions served.
func hostile(t *testing.T, rules []string, validations []string, params, versions int) *v1alpha1.DataService {
	t.Helper()
	spec := validSpec
	if len(validations) > 0 {
		var b strings.Builder
		for i := -1; i < params; i++ {
			name := "maxMemory"
			if i >= 0 {
				name = fmt.Sprintf("p%d", i)
			}
			fmt.Fprintf(&b, "        %s:\n          type: integer\n          x-kubernetes-validations:\n", name)
			for _, v := range validations {
				fmt.Fprintf(&b, "            - rule: %q\n", v)
			}
		}
		spec = strings.Replace(spec, "        maxMemory: {type: integer}\n", b.String(), 1)
	}
	var extra strings.Builder
	if len(rules) > 0 {
		extra.WriteString("  rules:\n")
		for _, r := range rules {
			fmt.Fprintf(&extra, "    - rule: %q\n", r)
		}
	}
	if versions > 0 {
		extra.WriteString("  versions:\n")
		for i := range versions {
			fmt.Fprintf(&extra, "    - name: v%d\n", i+1)
		}
	}
	spec = strings.Replace(spec, "  compositions:\n", extra.String()+"  compositions:\n", 1)
	ds, err := v1alpha1.Decode([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// TestCELLimits: the CEL a spec brings is bounded before any is compiled: 64 rules of 1,000-term
// || chains (1.5 MB) took 32 s of CPU, 40,000 rules on one parameter 10.5 s and 1.15 GB, both
// accepted.
func TestCELLimits(t *testing.T) {
	cases := map[string]struct {
		reason string
		ds     func(t *testing.T) *v1alpha1.DataService
		path   string
		detail string
	}{
		"LongChains": {
			reason: "64 rules of 1,000-term chains: each longer than MaxRuleLength.",
			ds:     func(t *testing.T) *v1alpha1.DataService { return hostile(t, repeat(chain(23000), 64), nil, 0, 0) },
			path:   "spec.rules[0].rule",
			detail: fmt.Sprintf("at most %d are allowed", generator.MaxRuleLength),
		},
		"ManyRulesOnOneParameter": {
			reason: "40,000 rules on one parameter: beyond MaxRulesPerSchema.",
			ds: func(t *testing.T) *v1alpha1.DataService {
				return hostile(t, nil, repeat("self > 0", 40000), 0, 0)
			},
			path:   "spec.parameters.schema.properties[maxMemory].x-kubernetes-validations",
			detail: fmt.Sprintf("at most %d are allowed", generator.MaxRulesPerSchema),
		},
		"ManyRulesInAll": {
			reason: "More CEL expressions than MaxCELRules over the spec.",
			ds: func(t *testing.T) *v1alpha1.DataService {
				return hostile(t, nil, repeat("self > 0", generator.MaxRulesPerSchema), generator.MaxCELRules/generator.MaxRulesPerSchema, 0)
			},
			path:   "spec",
			detail: fmt.Sprintf("at most %d are allowed", generator.MaxCELRules),
		},
		"LargeInAll": {
			reason: "More CEL source than MaxCELSize over the spec, each rule within MaxRuleLength.",
			ds: func(t *testing.T) *v1alpha1.DataService {
				return hostile(t, repeat(chain(generator.MaxRuleLength), 20), nil, 0, 0)
			},
			path:   "spec",
			detail: fmt.Sprintf("at most %d are allowed", generator.MaxCELSize),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := generator.Generate(tc.ds(t), inputv1beta1.Defaults{})
			inv, ok := err.(*generator.InvalidError)
			if !ok {
				t.Fatalf("%s\nGenerate(...): %v; want an InvalidError", tc.reason, err)
			}
			if !hasError(inv.Errs, tc.path, tc.detail) {
				t.Errorf("%s\nGenerate(...): want %s: ...%s..., got:\n%s", tc.reason, tc.path, tc.detail, listErrors(inv.Errs))
			}
		})
	}
}

// TestCELWithinTheLimits generates the costliest CEL the limits allow, at every version the
// limits allow, and logs how long it took: the limits are chosen so that it stays under a second
// (measured, not asserted: timings depend on the machine).
func TestCELWithinTheLimits(t *testing.T) {
	n := generator.MaxCELSize / generator.MaxRuleLength
	for name, ds := range map[string]*v1alpha1.DataService{
		"LongestRules": hostile(t, repeat(chain(generator.MaxRuleLength), n), nil, 0, generator.MaxVersions),
		"MostRules":    hostile(t, nil, repeat("self > 0 && self < 100000", generator.MaxRulesPerSchema), generator.MaxCELRules/generator.MaxRulesPerSchema-1, generator.MaxVersions),
	} {
		start := time.Now()
		_, err := generator.Generate(ds, inputv1beta1.Defaults{})
		if err != nil {
			t.Errorf("%s: Generate(...): %v; want the spec within the limits accepted", name, err)
		}
		t.Logf("%s: %v at %d versions", name, time.Since(start), generator.MaxVersions)
	}
}
