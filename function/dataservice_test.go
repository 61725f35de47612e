package function

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane/function-sdk-go/resource/composite"
)

func TestDataServiceFrom(t *testing.T) {
	xr := func(obj map[string]any) *composite.Unstructured {
		u := composite.New()
		u.Object = obj
		return u
	}
	base := func(spec map[string]any) map[string]any {
		return map[string]any{
			"apiVersion": "dataservice.klutch.io/v1alpha1", "kind": "DataService",
			"metadata": map[string]any{"name": "cache", "uid": "1", "resourceVersion": "2", "managedFields": []any{map[string]any{"manager": "crossplane"}}},
			"spec":     spec,
			"status":   map[string]any{"conditions": []any{map[string]any{"type": "Ready"}}},
		}
	}

	cases := map[string]struct {
		reason      string
		xr          *composite.Unstructured
		wantGroup   string
		wantUnknown []string
		wantErr     bool
	}{
		"CrossplaneV1Fields": {
			reason:    "The fields Crossplane v1 puts at the top of an XR's spec are not the user's.",
			xr:        xr(base(map[string]any{"group": "example.org", "compositionRef": map[string]any{"name": "function-dataservice"}, "resourceRefs": []any{}, "claimRef": map[string]any{}, "writeConnectionSecretToRef": map[string]any{}, "compositionUpdatePolicy": "Automatic", "environmentConfigRefs": []any{}})),
			wantGroup: "example.org",
		},
		"CrossplaneV2Fields": {
			reason:    "Crossplane v2 puts its fields under spec.crossplane.",
			xr:        xr(base(map[string]any{"group": "example.org", "crossplane": map[string]any{"compositionRef": map[string]any{"name": "function-dataservice"}}})),
			wantGroup: "example.org",
		},
		"UnknownFieldsWithPaths": {
			reason:      "A typo is reported with its full path, however deep, and the rest is decoded.",
			xr:          xr(base(map[string]any{"group": "example.org", "grup": "x", "compositions": []any{map[string]any{"name": "a", "plan": "x"}}})),
			wantGroup:   "example.org",
			wantUnknown: []string{"spec.compositions[0].plan", "spec.grup"},
		},
		"NotADataService": {
			reason:  "Another composite is refused.",
			xr:      xr(map[string]any{"apiVersion": "example.org/v1", "kind": "XR"}),
			wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ds, unknown, err := dataServiceFrom(tc.xr)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%s\ndataServiceFrom(...): want error %t, got %v", tc.reason, tc.wantErr, err)
			}
			if err != nil {
				return
			}
			if ds.Spec.Group != tc.wantGroup || ds.GetName() != "cache" {
				t.Errorf("%s\ndataServiceFrom(...): want name cache, group %q, got %q, %q", tc.reason, tc.wantGroup, ds.GetName(), ds.Spec.Group)
			}
			var got []string
			for _, e := range unknown {
				got = append(got, e.Field)
			}
			if diff := cmp.Diff(tc.wantUnknown, got); diff != "" {
				t.Errorf("%s\ndataServiceFrom(...): -want unknown fields, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
