package generator

import (
	"context"
	"fmt"
	"regexp"
	"sort"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
)

// CRDCheck is one CRD validated by ValidateCustomResourceDefinition whole and in parts.
type CRDCheck struct {
	Name string
	// Whole are the errors of the API server's validation of the whole CRD, Parts those of
	// crdChecks with no verdicts, Again those of the same crdChecks a second time, with the
	// verdicts on the parts (not on the whole CRD) it remembered.
	Whole, Parts, Again []string
	// Why and WhyAgain say why crdChecks validated the whole CRD, "" when its parts answered.
	Why, WhyAgain string
}

// CheckCRD validates crd whole and in parts, with no verdicts and then with those on its parts.
func CheckCRD(crd *extv1.CustomResourceDefinition) CRDCheck {
	c := newCRDChecks(256 << 10)
	parts, why := c.validate(context.Background(), crd)
	// Again from the verdicts on the parts: the one on the whole CRD, once accepted, would answer.
	if k, err := key(crd); err == nil {
		c.verdicts.Forget(k)
	}
	again, whyAgain := c.validate(context.Background(), crd)
	return CRDCheck{Name: crd.Name, Whole: errorStrings(validateWhole(crd)), Parts: errorStrings(parts), Again: errorStrings(again), Why: why, WhyAgain: whyAgain}
}

// CheckCRDsInTurn validates crds whole and, one after the other, in parts with one crdChecks, so
// that each is answered with what the ones before left.
func CheckCRDsInTurn(crds ...*extv1.CustomResourceDefinition) []CRDCheck {
	c := newCRDChecks(256 << 10)
	var out []CRDCheck
	for _, crd := range crds {
		parts, why := c.validate(context.Background(), crd)
		p := errorStrings(parts)
		out = append(out, CRDCheck{Name: crd.Name, Whole: errorStrings(validateWhole(crd)), Parts: p, Again: p, Why: why, WhyAgain: why})
	}
	return out
}

// CheckCRDsOfSpec validates whole and in parts the CRDs of the XRD ds generates, as far as
// Generate gets: none for a spec beyond the limits or too large to build.
func CheckCRDsOfSpec(ds *v1alpha1.DataService, d inputv1beta1.Defaults) ([]CRDCheck, error) {
	if errs := checkLimits(ds); len(errs) > 0 {
		return nil, nil
	}
	m := resolve(ds, d.WithFallbacks())
	validate(m)
	if m.tooBig {
		return nil, nil
	}
	o := build(m, false)
	if checkXRDSize(o.xrd) != nil {
		return nil, nil
	}
	return checkCRDsOfXRD(o.xrd)
}

// CheckCRDsOfXRD validates whole and in parts the CRDs Crossplane derives from an XRD in YAML.
func CheckCRDsOfXRD(data []byte) ([]CRDCheck, error) {
	var x xrdObject
	if err := yaml.Unmarshal(data, &x); err != nil {
		return nil, err
	}
	return checkCRDsOfXRD(x)
}

func checkCRDsOfXRD(x xrdObject) ([]CRDCheck, error) {
	crds, err := crossplaneCRDs(x)
	if err != nil {
		return nil, err
	}
	var out []CRDCheck
	for _, crd := range crds {
		out = append(out, CheckCRD(crd))
	}
	return out, nil
}

// contributed is the error the API server reports on each of the four most expensive rules of a
// CRD beyond its cost total.
const contributed = "contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema"

// selfType is the name the API server gives the type of self in each compilation, random
// (generateUniqueSelfTypeName), and quotes in compilation errors.
var selfType = regexp.MustCompile(`selfType\d+`)

// errorStrings are errors as sorted strings of everything they hold: the API server's validation
// walks properties in map order. What differs between two validations of one CRD by the API
// server is left out: the random name of self's type, and the rules named by contributed errors:
// among rules of equal cost, which four the API server names depends on the order it walks
// properties in (TotalCost.ObserveExpressionCost).
func errorStrings(errs field.ErrorList) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		if e.Detail == contributed {
			out = append(out, "one of the most expensive rules: "+contributed)
			continue
		}
		out = append(out, selfType.ReplaceAllString(fmt.Sprintf("%s|%s|%s|%s", e.Type, e.Field, e.Detail, e.Error()), "selfType"))
	}
	sort.Strings(out)
	return out
}
