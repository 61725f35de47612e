package v1beta1_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"

	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
)

func TestValidateDefaults(t *testing.T) {
	p := field.NewPath("defaults")
	cases := map[string]struct {
		reason string
		d      inputv1beta1.Defaults
		want   []string // field paths with errors
	}{
		"Empty":             {"Every default is optional.", inputv1beta1.Defaults{}, nil},
		"Builtins":          {"The built-in defaults are valid.", inputv1beta1.Defaults{}.WithFallbacks(), nil},
		"AllSet":            {"Valid values everywhere.", inputv1beta1.Defaults{CrossplaneVersion: "v2", ExportNamespace: "klutch", ProviderConfigNameFormat: "broker-%s", PatchAndTransform: "pt", AutoReady: "function-auto-ready"}, nil},
		"CrossplaneVersion": {"Only the two Crossplane lines exist.", inputv1beta1.Defaults{CrossplaneVersion: "v3"}, []string{"defaults.crossplaneVersion"}},
		"ExportNamespace":   {"A namespace is a DNS-1123 label.", inputv1beta1.Defaults{ExportNamespace: "crossplane.system"}, []string{"defaults.exportNamespace"}},
		"FormatWithoutVerb": {"The DataService name must go somewhere.", inputv1beta1.Defaults{ProviderConfigNameFormat: "broker"}, []string{"defaults.providerConfigNameFormat"}},
		"FormatTwoVerbs":    {"Only one value is formatted.", inputv1beta1.Defaults{ProviderConfigNameFormat: "%s-%s"}, []string{"defaults.providerConfigNameFormat"}},
		"FormatOtherVerb":   {"A %d would end up in the ProviderConfig name.", inputv1beta1.Defaults{ProviderConfigNameFormat: "%s-%d"}, []string{"defaults.providerConfigNameFormat"}},
		"FunctionNames":     {"Function names are object names.", inputv1beta1.Defaults{PatchAndTransform: "P&T", AutoReady: "Auto_Ready"}, []string{"defaults.patchAndTransform", "defaults.autoReady"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, err := range tc.d.Validate(p) {
				got = append(got, err.Field)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nValidate(...): -want paths, +got paths:\n%s", tc.reason, diff)
			}
		})
	}
}
