package function

import (
	xpv1 "github.com/crossplane/crossplane/apis/v2/apiextensions/v1"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/crossplane/function-sdk-go/resource"
)

// isReady judges a generated object from what Crossplane observed of it. Readiness is always stated
// explicitly, ready or not: an XRD, a Composition and an APIServiceExportTemplate have no Ready
// condition, which is what Crossplane would otherwise wait for.
//
// An XRD is ready when Crossplane serves its composite (Established) and, for an XRD with claims,
// its claim (Offered): before that, app developers cannot create what the DataService promises.
// Objects without a status to wait for (Compositions, export templates) are ready once they exist.
//
// A provider-kubernetes Object (an export template on Crossplane 1.x, object.go) is ready when
// provider-kubernetes reports it Ready, which its SuccessfulCreate policy means the template was
// created, and Synced, which means its last apply succeeded: the template in the cluster is the
// one composed, not one an update (e.g. refused by RBAC) left behind.
func isReady(generated *unstructured.Unstructured, observed resource.ObservedComposed) bool {
	switch generated.GroupVersionKind().GroupKind() {
	case xrdKind:
	case objectKind:
		return conditionTrue(observed.Resource.Object, xpv2.TypeReady) && conditionTrue(observed.Resource.Object, xpv2.TypeSynced)
	default:
		return true
	}
	if !conditionTrue(observed.Resource.Object, xpv1.TypeEstablished) {
		return false
	}
	return !hasClaims(generated) || conditionTrue(observed.Resource.Object, xpv1.TypeOffered)
}

// conditionTrue says whether the first condition of type ct in an object's status is True. It
// reads the conditions in place: the SDK's GetCondition copies the whole status through JSON,
// which showed in the function's CPU profile on every reconcile.
func conditionTrue(obj map[string]any, ct xpv2.ConditionType) bool {
	conds, _, _ := unstructured.NestedFieldNoCopy(obj, "status", "conditions")
	list, _ := conds.([]any)
	for _, c := range list {
		m, _ := c.(map[string]any)
		if t, _ := m["type"].(string); t == string(ct) {
			s, _ := m["status"].(string)
			return s == string(corev1.ConditionTrue)
		}
	}
	return false
}

// hasClaims says whether an XRD offers a claim (Crossplane v1 XRDs with claimNames).
func hasClaims(xrd *unstructured.Unstructured) bool {
	_, ok, _ := unstructured.NestedMap(xrd.Object, "spec", "claimNames")
	return ok
}
