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
	objectKind         = generator.ProviderKubernetesObject.GroupKind()
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

// composedObject is a generated object as it is composed: under its composed resource name, on
// Crossplane 1.x a namespaced one inside a provider-kubernetes Object (object.go).
type composedObject struct {
	name resource.Name
	// obj is what is composed: the generated object, or the Object that holds it.
	obj *unstructured.Unstructured
}

// toCompose lists what the generated objects of the DataService xr are composed as on the control
// plane cp.
func toCompose(out *generator.Output, cp controlPlane, xr string) ([]composedObject, error) {
	objs := out.Objects()
	list := make([]composedObject, 0, len(objs))
	seen := make(map[resource.Name]bool, len(objs))
	for _, u := range objs {
		c := composedObject{name: composedName(u), obj: u}
		// A generated object is namespaced exactly when it carries its namespace.
		if !cp.line.NamespacedRefs && u.GetNamespace() != "" {
			c.obj = wrapInObject(u, xr, c.name, cp.providerConfig)
			c.name += objectSuffix
		}
		if seen[c.name] {
			return nil, errors.Errorf("two generated objects would both be composed as %q", c.name)
		}
		seen[c.name] = true
		list = append(list, c)
	}
	return list, nil
}

// composedResources returns what is composed as desired composed resources, each with its
// readiness judged from what Crossplane observed.
func composedResources(list []composedObject, observed map[resource.Name]resource.ObservedComposed) (map[resource.Name]*resource.DesiredComposed, error) {
	dcds := make(map[resource.Name]*resource.DesiredComposed, len(list))
	for _, c := range list {
		cd, err := composed.From(c.obj)
		if err != nil {
			return nil, errors.Wrapf(err, "cannot convert %s %q to a composed resource", c.obj.GetKind(), c.obj.GetName())
		}
		dcd := &resource.DesiredComposed{Resource: cd, Ready: resource.ReadyFalse}
		if o, ok := observed[c.name]; ok && isReady(c.obj, o) {
			dcd.Ready = resource.ReadyTrue
		}
		dcds[c.name] = dcd
	}
	return dcds, nil
}
