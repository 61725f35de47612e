package importer_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/importer"
)

// TestRoundTripHiddenPlans imports a generated XRD with hidden plans back into spec.plan.hidden
// (its rule needs optionalOldSelf, which a verbatim plan rule would lose).
func TestRoundTripHiddenPlans(t *testing.T) {
	data, err := os.ReadFile("../../examples/klutch/mongodb.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := v1alpha1.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	ds.Spec.Plan.Hidden = []string{"mongodbsspl-single-big", "mongodbsspl-replica-big"}
	out, err := generator.Generate(ds, inputv1beta1.Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := importer.Import(importer.Input{XRD: out.XRD, Compositions: []*unstructured.Unstructured{out.Compositions[0]}, ExportTemplate: out.ExportTemplate})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Exact() {
		t.Errorf("import does not round-trip:\n%s", strings.Join(res.Differences, "\n"))
	}
	if got := res.DataService.Spec.Plan.Hidden; !slices.Equal(got, ds.Spec.Plan.Hidden) {
		t.Errorf("hidden plans: want %v, got %v", ds.Spec.Plan.Hidden, got)
	}
	if n := len(res.DataService.Spec.Plan.Changes); n != 3 {
		t.Errorf("want the 3 plan changes, got %d: %+v", n, res.DataService.Spec.Plan.Changes)
	}
}
