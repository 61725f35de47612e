package generator

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	bindv1alpha1 "github.com/function-dataservice/function-dataservice/apis/bind/v1alpha1"
)

// buildExportTemplate selects the API for klutch-bind. klutch-bind matches a template to a CRD by
// group and plural, and app developers create claims on Crossplane v1, so the selected resource is
// the claim plural there and the composite plural on v2.
func buildExportTemplate(m *model) *bindv1alpha1.APIServiceExportTemplate {
	e := m.export
	return &bindv1alpha1.APIServiceExportTemplate{
		TypeMeta:   metav1.TypeMeta{APIVersion: bindv1alpha1.GroupVersion.String(), Kind: bindv1alpha1.APIServiceExportTemplateKind},
		ObjectMeta: metav1.ObjectMeta{Name: e.name, Namespace: e.namespace},
		Spec: bindv1alpha1.APIServiceExportTemplateSpec{
			APIServiceSelector: bindv1alpha1.APIServiceSelector{
				GroupResource: bindv1alpha1.GroupResource{Group: m.group, Resource: e.resource},
				Version:       e.spec.Version,
			},
			PermissionClaims: e.spec.PermissionClaims,
		},
	}
}
