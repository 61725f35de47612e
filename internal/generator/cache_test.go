package generator_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// TestGenerateCached runs the generator twice on one cache, as the function does on two
// reconciles: the second output always equals what Generate makes of the second input, whether
// the cache answered it or not, and changing an output never changes what the cache returns.
func TestGenerateCached(t *testing.T) {
	cases := map[string]struct {
		reason   string
		second   func(ds *v1alpha1.DataService)
		defaults inputv1beta1.Defaults
		// mutate changes the first output before the second run.
		mutate  bool
		wantErr bool
	}{
		"UnchangedDataServiceIsGeneratedAlike": {
			reason: "A reconcile of an unchanged DataService gets what Generate makes of it.",
			second: func(*v1alpha1.DataService) {},
		},
		"ChangingAnOutputChangesNoLaterOne": {
			reason: "The cache hands out copies: a caller that changes its output changes no later one.",
			second: func(*v1alpha1.DataService) {},
			mutate: true,
		},
		"ChangedSpecIsGeneratedAgain": {
			reason: "A DataService whose spec changed is generated from the new spec.",
			second: func(ds *v1alpha1.DataService) {
				ds.Spec.Compositions[0].Plans = append(ds.Spec.Compositions[0].Plans, "kv-single-nano")
			},
		},
		"ChangedDefaultsAreGeneratedAgain": {
			reason:   "The defaults are part of the input: other defaults, another output.",
			second:   func(*v1alpha1.DataService) {},
			defaults: inputv1beta1.Defaults{ExportNamespace: "klutch-exports"},
		},
		"SpecMadeInvalidIsReportedAgain": {
			reason:  "An invalid spec of a DataService generated before is reported, not answered from the cache.",
			second:  func(ds *v1alpha1.DataService) { ds.Spec.Group = "nodot" },
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := generator.NewCache(64 << 20)
			ds, err := v1alpha1.Decode([]byte(validSpec))
			if err != nil {
				t.Fatal(err)
			}
			first, err := generator.GenerateCached(ds, inputv1beta1.Defaults{}, c)
			if err != nil {
				t.Fatal(err)
			}
			if tc.mutate {
				first.XRD.SetName("changed")
				first.Compositions[0].Object["spec"] = "changed"
			}
			tc.second(ds)
			got, err := generator.GenerateCached(ds, tc.defaults, c)
			want, wantErr := generator.Generate(ds, tc.defaults)
			if (err != nil) != tc.wantErr || (wantErr != nil) != tc.wantErr {
				t.Fatalf("%s\nGenerateCached: %v, Generate: %v, want error: %t", tc.reason, err, wantErr, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s\nGenerateCached differs from Generate (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}
