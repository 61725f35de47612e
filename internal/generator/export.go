package generator

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	bindv1alpha1 "github.com/function-dataservice/function-dataservice/apis/bind/v1alpha1"
	kubebindv1alpha2 "github.com/function-dataservice/function-dataservice/apis/kubebind/v1alpha2"
	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
)

// buildExportTemplate selects the API for klutch-bind. klutch-bind matches a template to a CRD by
// group and plural, and app developers create claims on Crossplane v1, so the selected resource is
// the claim plural there and the composite plural on v2.
func buildExportTemplate(m *model) *bindv1alpha1.APIServiceExportTemplate {
	e := m.export
	return &bindv1alpha1.APIServiceExportTemplate{
		TypeMeta:   metav1.TypeMeta{APIVersion: bindv1alpha1.GroupVersion.String(), Kind: bindv1alpha1.APIServiceExportTemplateKind},
		ObjectMeta: metav1.ObjectMeta{Name: e.Name, Namespace: e.Namespace},
		Spec: bindv1alpha1.APIServiceExportTemplateSpec{
			APIServiceSelector: bindv1alpha1.APIServiceSelector{
				GroupResource: bindv1alpha1.GroupResource{Group: m.Group, Resource: e.Resource},
				Version:       e.Version,
			},
			PermissionClaims: e.spec.PermissionClaims,
		},
	}
}

// buildKubeBindTemplate offers the API to upstream kube-bind consumers. Claims (v1) and namespaced
// composites (v2) are namespaced resources; a cluster-scoped v2 composite is exported as Cluster.
func buildKubeBindTemplate(m *model) *kubebindv1alpha2.APIServiceExportTemplate {
	kb := m.kubeBind
	scope := kubebindv1alpha2.NamespacedScope
	if !m.Line.Claims && m.Scope == v1alpha1.ScopeCluster {
		scope = kubebindv1alpha2.ClusterScope
	}
	return &kubebindv1alpha2.APIServiceExportTemplate{
		TypeMeta:   metav1.TypeMeta{APIVersion: kubebindv1alpha2.GroupVersion.String(), Kind: kubebindv1alpha2.APIServiceExportTemplateKind},
		ObjectMeta: metav1.ObjectMeta{Name: kb.Name},
		Spec: kubebindv1alpha2.APIServiceExportTemplateSpec{
			Description: kb.spec.Description,
			Scope:       scope,
			Resources: []kubebindv1alpha2.APIServiceExportResource{{
				GroupResource: kubebindv1alpha2.GroupResource{Group: m.Group, Resource: kb.Resource},
				Versions:      kb.Versions,
			}},
			PermissionClaims:   kb.spec.PermissionClaims,
			SchemaUpdatePolicy: kubebindv1alpha2.SchemaUpdatePolicy(kb.spec.SchemaUpdatePolicy),
		},
	}
}
