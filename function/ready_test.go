package function

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
)

func TestIsReady(t *testing.T) {
	xrd := func(claims bool) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apiextensions.crossplane.io/v1", "kind": "CompositeResourceDefinition",
			"spec": map[string]any{"group": "example.org"},
		}}
		if claims {
			_ = unstructured.SetNestedField(u.Object, map[string]any{"kind": "Cache", "plural": "caches"}, "spec", "claimNames")
		}
		return u
	}
	observed := func(conds ...map[string]any) resource.ObservedComposed {
		cd := composed.New()
		list := make([]any, 0, len(conds))
		for _, c := range conds {
			list = append(list, c)
		}
		_ = unstructured.SetNestedSlice(cd.Object, list, "status", "conditions")
		return resource.ObservedComposed{Resource: cd}
	}
	cond := func(typ, status string) map[string]any { return map[string]any{"type": typ, "status": status} }
	composition := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "apiextensions.crossplane.io/v1", "kind": "Composition"}}
	object := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "kubernetes.crossplane.io/v1alpha2", "kind": "Object"}}

	cases := map[string]struct {
		reason    string
		generated *unstructured.Unstructured
		observed  resource.ObservedComposed
		want      bool
	}{
		"XRDWithoutConditions":         {"An XRD Crossplane has not looked at yet is not ready.", xrd(false), observed(), false},
		"XRDEstablished":               {"An XRD without claims is ready once Established.", xrd(false), observed(cond("Established", "True")), true},
		"XRDNotEstablished":            {"An XRD whose CRD is not served is not ready.", xrd(false), observed(cond("Established", "False")), false},
		"XRDWithClaimsOnlyEstablished": {"An XRD with claims waits for Offered too.", xrd(true), observed(cond("Established", "True")), false},
		"XRDWithClaimsOfferedFalse":    {"An XRD whose claim is not offered is not ready.", xrd(true), observed(cond("Established", "True"), cond("Offered", "False")), false},
		"XRDWithClaimsOffered":         {"An XRD serving its composite and its claim is ready.", xrd(true), observed(cond("Established", "True"), cond("Offered", "True")), true},
		"CompositionExists":            {"A Composition has no status: observed is ready.", composition, observed(), true},
		"ObjectObserved":               {"An Object provider-kubernetes has not reconciled yet is not ready.", object, observed(), false},
		"ObjectReadyAndSynced":         {"The template inside an Object exists and is as composed.", object, observed(cond("Ready", "True"), cond("Synced", "True")), true},
		"ObjectReadyNotSynced":         {"The template exists, but the last apply failed (e.g. refused by RBAC): it may not be as composed.", object, observed(cond("Ready", "True"), cond("Synced", "False")), false},
		"ObjectSyncedNotReady":         {"Not created yet.", object, observed(cond("Ready", "False"), cond("Synced", "True")), false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := isReady(tc.generated, tc.observed); got != tc.want {
				t.Errorf("%s\nisReady(...): want %t, got %t", tc.reason, tc.want, got)
			}
		})
	}
}
