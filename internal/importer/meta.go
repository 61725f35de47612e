package importer

import (
	"k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateMeta validates the metadata of an object to import as the API server validates that of
// a custom resource on create: its name a DNS subdomain, its namespace (which only an
// APIServiceExportTemplate may have) a DNS label, its labels and annotations well formed. The
// files come from strangers, and import writes names into its output: a name the API server
// refuses ("x\n---\nkind: ClusterRoleBinding") is refused here too.
func ValidateMeta(u *unstructured.Unstructured) field.ErrorList {
	namespaced := u.GetKind() == "APIServiceExportTemplate"
	// A template without a namespace is applied into one (kubectl apply -n): only one that names
	// a namespace has it checked.
	return validation.ValidateObjectMetaAccessor(u, namespaced && u.GetNamespace() != "", validation.NameIsDNSSubdomain, field.NewPath("metadata"))
}
