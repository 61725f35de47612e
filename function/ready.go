package function

import (
	xpv1 "github.com/crossplane/crossplane/apis/v2/apiextensions/v1"
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
func isReady(generated *unstructured.Unstructured, observed resource.ObservedComposed) bool {
	if generated.GroupVersionKind().GroupKind() != xrdKind {
		return true
	}
	if observed.Resource.GetCondition(xpv1.TypeEstablished).Status != corev1.ConditionTrue {
		return false
	}
	return !hasClaims(generated) || observed.Resource.GetCondition(xpv1.TypeOffered).Status == corev1.ConditionTrue
}

// hasClaims says whether an XRD offers a claim (Crossplane v1 XRDs with claimNames).
func hasClaims(xrd *unstructured.Unstructured) bool {
	_, ok, _ := unstructured.NestedMap(xrd.Object, "spec", "claimNames")
	return ok
}
