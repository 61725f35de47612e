// Package semantic compares Kubernetes objects by what Crossplane and the API server act on rather
// than by their text: YAML comments, anchors and key order never matter, the non-schema key
// `supported:` under openAPIV3Schema (Klutch keeps YAML anchors there) is dropped, CEL rules compare
// as parsed expressions, and patch-and-transform patches that write different paths may come in any
// order, since they commute; patches writing the same or nested paths keep their order.
package semantic

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/cel-go/common"
	"github.com/google/cel-go/parser"
	"github.com/google/go-cmp/cmp"
)

// Plain turns an object (typed maps and numbers, as unstructured holds them) into the form parsed
// YAML or JSON has.
func Plain(obj any) (any, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}

// Normalize returns obj in the canonical form Diff compares. It reports patches whose order matters
// but differs from the canonical one as an error.
func Normalize(obj any) (any, error) {
	p, err := Plain(obj)
	if err != nil {
		return nil, err
	}
	var errs []string
	var walk func(v any, key string) any
	walk = func(v any, key string) any {
		switch x := v.(type) {
		case map[string]any:
			out := make(map[string]any, len(x))
			for k, vv := range x {
				if key == "openAPIV3Schema" && k == "supported" {
					continue
				}
				out[k] = walk(vv, k)
			}
			if r, ok := out["rule"].(string); ok && key == "x-kubernetes-validations" {
				out["rule"] = CanonicalCEL(r)
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i, vv := range x {
				out[i] = walk(vv, key)
			}
			if key == "patches" {
				var perr error
				out, perr = canonicalPatches(out)
				if perr != nil {
					errs = append(errs, perr.Error())
				}
			}
			return out
		default:
			return v
		}
	}
	n := walk(p, "")
	if len(errs) > 0 {
		return n, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return n, nil
}

// Diff compares two objects semantically and returns a readable diff (-a +b), "" when they are equal.
func Diff(a, b any) (string, error) {
	na, err := Normalize(a)
	if err != nil {
		return "", err
	}
	nb, err := Normalize(b)
	if err != nil {
		return "", err
	}
	return cmp.Diff(na, nb), nil
}

// CanonicalCEL returns the parsed-and-printed form of a CEL expression, so that spacing and line
// folding do not matter. An expression that does not parse is returned as it is.
func CanonicalCEL(rule string) string {
	p, err := parser.NewParser(parser.Macros(parser.AllMacros...))
	if err != nil {
		return rule
	}
	ast, errs := p.Parse(common.NewTextSource(rule))
	if len(errs.GetErrors()) > 0 {
		return rule
	}
	s, err := parser.Unparse(ast.Expr(), ast.SourceInfo())
	if err != nil {
		return rule
	}
	return s
}

// canonicalPatches sorts patches stably by the path they write.
func canonicalPatches(ps []any) ([]any, error) {
	to := func(p any) string {
		m, _ := p.(map[string]any)
		s, _ := m["toFieldPath"].(string)
		return s
	}
	var errs []string
	for i := range ps {
		for j := i + 1; j < len(ps); j++ {
			a, b := to(ps[i]), to(ps[j])
			if a != b && (strings.HasPrefix(b, a+".") || strings.HasPrefix(a, b+".")) && a > b {
				errs = append(errs, fmt.Sprintf("patch %d writes %s after patch %d writes the nested path %s: their order matters", j, b, i, a))
			}
		}
	}
	out := slices.Clone(ps)
	slices.SortStableFunc(out, func(a, b any) int { return strings.Compare(to(a), to(b)) })
	if len(errs) > 0 {
		return out, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return out, nil
}
