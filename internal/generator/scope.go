package generator

import (
	"bytes"
	_ "embed"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	bindv1alpha1 "github.com/function-dataservice/function-dataservice/apis/bind/v1alpha1"
	kubebindv1alpha2 "github.com/function-dataservice/function-dataservice/apis/kubebind/v1alpha2"
	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// The scopes of kinds, and the rule of the Crossplane lines that depends on them: on Crossplane 1.x
// a cluster-scoped composite cannot compose a namespaced resource (xpline.Line.NamespacedRefs).

// ProviderKubernetesObject is provider-kubernetes' Object (v0.18.0 serves v1alpha2, its storage
// version, and v1alpha1), the cluster-scoped managed resource that creates the Kubernetes object
// its spec.forProvider.manifest holds: how a composite of Crossplane 1.x composes a namespaced one.
var ProviderKubernetesObject = schema.GroupVersionKind{Group: "kubernetes.crossplane.io", Version: "v1alpha2", Kind: "Object"}

// Scopes map kinds to their scope (extv1.NamespaceScoped or extv1.ClusterScoped).
type Scopes map[schema.GroupKind]extv1.ResourceScope

//go:embed scopes.yaml
var builtinScopesYAML []byte

// BuiltinScopesFile is the file of the generator package that holds the scopes of Kubernetes'
// built-in kinds, embedded; the test that compares it with a kube-apiserver's discovery writes it.
const BuiltinScopesFile = "scopes.yaml"

// knownScopes are the scopes known without a cluster, parsed once: Kubernetes' built-in kinds
// (scopes.yaml) and the kinds this project generates or composes, which no cluster serves built in.
var knownScopes = sync.OnceValue(func() Scopes {
	s, err := ParseScopes(builtinScopesYAML)
	if err != nil {
		panic(fmt.Sprintf("embedded %s: %v", BuiltinScopesFile, err)) // a test reads it too
	}
	maps.Copy(s, Scopes{
		bindv1alpha1.GroupVersion.WithKind(bindv1alpha1.APIServiceExportTemplateKind).GroupKind():         extv1.NamespaceScoped,
		kubebindv1alpha2.GroupVersion.WithKind(kubebindv1alpha2.APIServiceExportTemplateKind).GroupKind(): extv1.ClusterScoped,
		v1alpha1.DataServiceGroupVersionKind.GroupKind():                                                  extv1.ClusterScoped,
		{Group: xpline.XRDGroup, Kind: "CompositeResourceDefinition"}:                                     extv1.ClusterScoped,
		{Group: xpline.XRDGroup, Kind: "Composition"}:                                                     extv1.ClusterScoped,
		ProviderKubernetesObject.GroupKind():                                                              extv1.ClusterScoped,
	})
	return s
})

// ScopeOf returns the scope of a kind, false when it is not known: the one place a kind's scope is
// looked up. It knows Kubernetes' built-in kinds and this project's own; more are what the caller
// knows besides (the CRDs it was given: `generate --crd`, issue 26, passes theirs). A kind nobody
// knows, such as an operator's CRD that was not given, is not judged.
func ScopeOf(gvk schema.GroupVersionKind, more ...Scopes) (extv1.ResourceScope, bool) {
	gk := gvk.GroupKind()
	for _, s := range more {
		if scope, ok := s[gk]; ok {
			return scope, true
		}
	}
	scope, ok := knownScopes()[gk]
	return scope, ok
}

// scopeTable is the format of scopes.yaml: kinds by scope, then by API group ("" is core).
type scopeTable struct {
	Namespaced map[string][]string `json:"namespaced"`
	Cluster    map[string][]string `json:"cluster"`
}

// ParseScopes reads a table of scopes in the format of scopes.yaml.
func ParseScopes(data []byte) (Scopes, error) {
	var t scopeTable
	if err := yaml.UnmarshalStrict(data, &t); err != nil {
		return nil, err
	}
	s := Scopes{}
	for scope, groups := range map[extv1.ResourceScope]map[string][]string{extv1.NamespaceScoped: t.Namespaced, extv1.ClusterScoped: t.Cluster} {
		for g, kinds := range groups {
			for _, k := range kinds {
				gk := schema.GroupKind{Group: g, Kind: k}
				if prev, dup := s[gk]; dup {
					return nil, fmt.Errorf("%s is listed twice (%s and %s)", gk, prev, scope)
				}
				s[gk] = scope
			}
		}
	}
	return s, nil
}

// BuiltinScopes returns the embedded scopes.yaml as it is.
func BuiltinScopes() []byte { return slices.Clone(builtinScopesYAML) }

// FormatBuiltinScopes writes the scopes of kube-apiserver's built-in kinds as scopes.yaml holds
// them, kinds sorted, for the version of kube-apiserver named.
func FormatBuiltinScopes(s Scopes, kubeAPIServer string) []byte {
	t := scopeTable{Namespaced: map[string][]string{}, Cluster: map[string][]string{}}
	for gk, scope := range s {
		m := t.Cluster
		if scope == extv1.NamespaceScoped {
			m = t.Namespaced
		}
		m[gk.Group] = append(m[gk.Group], gk.Kind)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `# The scopes of the kinds kube-apiserver %s serves built in, by API group ("" is the core
# group), as its discovery reports them with its default API groups (subresources left out).
# Written by TestBuiltinScopesAreKubeAPIServers (test/e2e), which compares them with a running
# kube-apiserver: regenerate with
#   go test ./test/e2e -run TestBuiltinScopesAreKubeAPIServers -update
`, kubeAPIServer)
	for _, part := range []struct {
		name   string
		groups map[string][]string
	}{{"namespaced", t.Namespaced}, {"cluster", t.Cluster}} {
		b.WriteString(part.name + ":\n")
		for _, g := range slices.Sorted(maps.Keys(part.groups)) {
			kinds := slices.Clone(part.groups[g])
			slices.Sort(kinds)
			name := g
			if g == "" {
				name = `""`
			}
			fmt.Fprintf(&b, "  %s: [%s]\n", name, strings.Join(kinds, ", "))
		}
	}
	return b.Bytes()
}

// validateComposedScopes refuses what the line's composites cannot compose. An API of line v1 runs
// on Crossplane 1.x, where its composites are cluster-scoped and a composite that composes a
// namespaced resource composes nothing at all (xpline.Line.NamespacedRefs): every backend and
// further resource whose kind is known to be namespaced is an error naming the fix.
func (m *model) validateComposedScopes() field.ErrorList {
	if m.Line.NamespacedRefs {
		return nil
	}
	var errs field.ErrorList
	check := func(p *field.Path, apiVersion, kind string) {
		gv, err := schema.ParseGroupVersion(apiVersion)
		if err != nil || kind == "" {
			return // validateBackend and validateResources report it
		}
		if scope, ok := ScopeOf(gv.WithKind(kind), Scopes(m.crds.Scopes())); !ok || scope != extv1.NamespaceScoped {
			return
		}
		errs = append(errs, field.Forbidden(p, fmt.Sprintf("%s (%s) is namespaced, and an API of Crossplane line %s runs on Crossplane 1.x, "+
			"which cannot compose a namespaced resource from a cluster-scoped composite (its spec.resourceRefs hold no namespace, so the composite would compose nothing at all): "+
			"compose it inside a provider-kubernetes Object (apiVersion: %s, kind: %s, the %s under base.spec.forProvider.manifest, providerConfig: {name: kubernetes-provider}) as examples/internal/v1/valkey.yaml does, "+
			"or generate the API for Crossplane v2 (spec.crossplaneVersion: v2)",
			kind, apiVersion, m.Line.Name, ProviderKubernetesObject.GroupVersion(), ProviderKubernetesObject.Kind, kind)))
	}
	for i, rc := range m.compositions {
		cp := specPath.Child("compositions").Index(i)
		if rb := rc.backend; rb != nil {
			check(cp.Child("backend"), rb.spec.APIVersion, rb.spec.Kind)
		}
		for j, r := range rc.resources {
			check(cp.Child("resources").Index(j), r.spec.APIVersion, r.spec.Kind)
		}
	}
	return errs
}
