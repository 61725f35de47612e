package function

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/crossplane/function-sdk-go/resource"

	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// On Crossplane 1.x a DataService, cluster-scoped, cannot compose a namespaced object: Crossplane
// records every composed resource in the composite's spec.resourceRefs before creating any, and
// there a ref has no namespace ("spec.resourceRefs[2].namespace: field not declared in schema"), so
// nothing at all would be composed. A namespaced object (the APIServiceExportTemplate, in the export
// namespace) is composed inside a cluster-scoped provider-kubernetes Object instead, which
// provider-kubernetes (v0.18.0, as Klutch deploys it) creates, updates and deletes. Klutch's own a8s
// Compositions compose their operators' CRs the same way.

// objectSuffix ends the composed resource name of an Object that holds a generated object: another
// name than the object's own, so that a control plane moving from 1.x to v2 deletes the Object and
// composes the object directly, rather than keeping an Object no reconcile names.
const objectSuffix = "-object"

// wrapInObject returns the provider-kubernetes Object that composes u, the generated object
// composed as name, for the DataService xr: named after both, so that it is unique per DataService
// and the same every reconcile.
func wrapInObject(u *unstructured.Unstructured, xr string, name resource.Name, providerConfig string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": generator.ProviderKubernetesObject.GroupVersion().String(),
		"kind":       generator.ProviderKubernetesObject.Kind,
		"metadata":   map[string]any{"name": objectName(xr, name)},
		"spec": map[string]any{
			"forProvider":       map[string]any{"manifest": u.DeepCopy().Object},
			"providerConfigRef": map[string]any{"name": providerConfig},
			// provider-kubernetes' defaults, spelt out: the object is deleted with the Object (so with
			// the DataService, as on v2), and the Object is ready once the object was created (an
			// export template has no status to wait for).
			"deletionPolicy": "Delete",
			"readiness":      map[string]any{"policy": "SuccessfulCreate"},
		},
	}}
}

// objectName is <DataService>-<composed resource name>, e.g. mongodb-export-template; a name beyond
// the 253 characters of an object name keeps its start and ends with a hash of the whole.
func objectName(xr string, name resource.Name) string {
	n := xr + "-" + string(name)
	if len(n) <= validation.DNS1123SubdomainMaxLength {
		return n
	}
	sum := sha256.Sum256([]byte(n))
	h := hex.EncodeToString(sum[:])[:10]
	return strings.TrimRight(n[:validation.DNS1123SubdomainMaxLength-len(h)-1], "-.") + "-" + h
}
