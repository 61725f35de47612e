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

func TestValidateControlPlane(t *testing.T) {
	p := field.NewPath("controlPlane")
	cases := map[string]struct {
		reason string
		c      inputv1beta1.ControlPlane
		want   []string // field paths with errors
	}{
		"Empty":          {"Every field is optional.", inputv1beta1.ControlPlane{}, nil},
		"Builtins":       {"The built-in defaults are valid.", inputv1beta1.ControlPlane{}.WithFallbacks(), nil},
		"V1":             {"Crossplane 1.x is the line v1.", inputv1beta1.ControlPlane{Crossplane: "v1", KubernetesProviderConfig: "in-cluster"}, nil},
		"V2":             {"Crossplane v2.", inputv1beta1.ControlPlane{Crossplane: "v2"}, nil},
		"Version":        {"A version is not a line: 1.20 is v1.", inputv1beta1.ControlPlane{Crossplane: "1.20"}, []string{"controlPlane.crossplane"}},
		"ProviderConfig": {"A ProviderConfig name is an object name.", inputv1beta1.ControlPlane{KubernetesProviderConfig: "Kubernetes_Provider"}, []string{"controlPlane.kubernetesProviderConfig"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, err := range tc.c.Validate(p) {
				got = append(got, err.Field)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nValidate(...): -want paths, +got paths:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestDecodeControlPlane(t *testing.T) {
	in, err := inputv1beta1.Decode([]byte(`apiVersion: dataservice.fn.crossplane.io/v1beta1
kind: Input
controlPlane:
  crossplane: v1
  kubernetesProviderConfig: in-cluster
`))
	if err != nil {
		t.Fatal(err)
	}
	want := inputv1beta1.ControlPlane{Crossplane: "v1", KubernetesProviderConfig: "in-cluster"}
	if diff := cmp.Diff(want, in.ControlPlane); diff != "" {
		t.Errorf("Decode(...).ControlPlane: -want, +got:\n%s", diff)
	}
	_, err = inputv1beta1.Decode([]byte(`{"apiVersion": "dataservice.fn.crossplane.io/v1beta1", "kind": "Input", "controlPlane": {"crossplane": "1.20"}}`))
	if want := `controlPlane.crossplane: Unsupported value: "1.20": supported values: "auto", "v1", "v2"`; err == nil || err.Error() != want {
		t.Errorf("Decode(...) of an unknown line: want error %q, got %v", want, err)
	}
}
