package function

import (
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"

	bindv1alpha1 "github.com/function-dataservice/function-dataservice/apis/bind/v1alpha1"
	kubebindv1alpha2 "github.com/function-dataservice/function-dataservice/apis/kubebind/v1alpha2"
	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// Names of the composed resources in the pipeline. They are stable, so Crossplane keeps updating the
// same objects run after run, and a Composition that a DataService no longer generates is no longer
// desired, so Crossplane deletes it.
const (
	nameXRD              resource.Name = "xrd"
	nameExportTemplate   resource.Name = "export-template"
	nameKubeBindTemplate resource.Name = "kubebind-export-template"
)

// Kinds the function treats by name.
var (
	xrdKind            = schema.GroupKind{Group: "apiextensions.crossplane.io", Kind: "CompositeResourceDefinition"}
	compositionKind    = schema.GroupKind{Group: "apiextensions.crossplane.io", Kind: "Composition"}
	exportTemplateKind = bindv1alpha1.GroupVersion.WithKind(bindv1alpha1.APIServiceExportTemplateKind).GroupKind()
	kubeBindKind       = kubebindv1alpha2.GroupVersion.WithKind(kubebindv1alpha2.APIServiceExportTemplateKind).GroupKind()
)

// composedName names the composed resource of a generated object: xrd, composition-<name>,
// export-template (klutch-bind's), kubebind-export-template (upstream kube-bind's), and
// <kind>-<name> for any other object the generator may add.
func composedName(u *unstructured.Unstructured) resource.Name {
	switch gk := u.GroupVersionKind().GroupKind(); gk {
	case xrdKind:
		return nameXRD
	case compositionKind:
		return resource.Name("composition-" + u.GetName())
	case exportTemplateKind:
		return nameExportTemplate
	case kubeBindKind:
		return nameKubeBindTemplate
	default:
		return resource.Name(strings.ToLower(gk.Kind) + "-" + u.GetName())
	}
}

// composedResources returns every generated object as a desired composed resource, each with its
// readiness judged from what Crossplane observed.
func composedResources(out *generator.Output, observed map[resource.Name]resource.ObservedComposed) (map[resource.Name]*resource.DesiredComposed, error) {
	dcds := map[resource.Name]*resource.DesiredComposed{}
	for _, u := range out.Objects() {
		name := composedName(u)
		if _, dup := dcds[name]; dup {
			return nil, errors.Errorf("two generated objects would both be composed as %q", name)
		}
		cd, err := composed.From(u)
		if err != nil {
			return nil, errors.Wrapf(err, "cannot convert %s %q to a composed resource", u.GetKind(), u.GetName())
		}
		dcd := &resource.DesiredComposed{Resource: cd, Ready: resource.ReadyFalse}
		if o, ok := observed[name]; ok && isReady(u, o) {
			dcd.Ready = resource.ReadyTrue
		}
		dcds[name] = dcd
	}
	return dcds, nil
}
