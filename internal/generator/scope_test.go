package generator_test

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
)

func TestScopeOf(t *testing.T) {
	gvk := func(apiVersion, kind string) schema.GroupVersionKind {
		return schema.FromAPIVersionAndKind(apiVersion, kind)
	}
	operator := schema.GroupKind{Group: "hyperspike.io", Kind: "Valkey"}
	cases := map[string]struct {
		reason string
		gvk    schema.GroupVersionKind
		more   []generator.Scopes
		want   extv1.ResourceScope
		known  bool
	}{
		"CoreNamespaced":     {"A ConfigMap lives in a namespace.", gvk("v1", "ConfigMap"), nil, extv1.NamespaceScoped, true},
		"CoreCluster":        {"A Namespace does not.", gvk("v1", "Namespace"), nil, extv1.ClusterScoped, true},
		"GroupNamespaced":    {"Built-in kinds of a group, any version.", gvk("networking.k8s.io/v1beta1", "NetworkPolicy"), nil, extv1.NamespaceScoped, true},
		"KlutchBind":         {"klutch-bind's template is namespaced.", gvk("example-backend.klutch.anynines.com/v1alpha1", "APIServiceExportTemplate"), nil, extv1.NamespaceScoped, true},
		"KubeBind":           {"kube-bind's v1alpha2 template is cluster-scoped.", gvk("kube-bind.io/v1alpha2", "APIServiceExportTemplate"), nil, extv1.ClusterScoped, true},
		"ProviderKubernetes": {"provider-kubernetes' Object, any version.", gvk("kubernetes.crossplane.io/v1alpha1", "Object"), nil, extv1.ClusterScoped, true},
		"XRD":                {"Crossplane's XRDs.", gvk("apiextensions.crossplane.io/v2", "CompositeResourceDefinition"), nil, extv1.ClusterScoped, true},
		"OperatorUnknown":    {"An operator's kind is not known without its CRD.", gvk("hyperspike.io/v1", "Valkey"), nil, "", false},
		"OperatorGiven":      {"What the caller knows besides (its CRDs) is known.", gvk("hyperspike.io/v1", "Valkey"), []generator.Scopes{{operator: extv1.NamespaceScoped}}, extv1.NamespaceScoped, true},
		"SameNameElsewhere":  {"A kind is known by group and kind: a Pod of another group is not a Pod.", gvk("example.org/v1", "Pod"), nil, "", false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, known := generator.ScopeOf(tc.gvk, tc.more...)
			if got != tc.want || known != tc.known {
				t.Errorf("%s\nScopeOf(%s): want %q, %t; got %q, %t", tc.reason, tc.gvk, tc.want, tc.known, got, known)
			}
		})
	}
}

// TestBuiltinScopesFileIsFormatted: scopes.yaml reads, and writes back as it is, so that the test
// comparing it with a kube-apiserver (test/e2e) compares bytes.
func TestBuiltinScopesFileIsFormatted(t *testing.T) {
	s, err := generator.ParseScopes(generator.BuiltinScopes())
	if err != nil {
		t.Fatalf("%s: %v", generator.BuiltinScopesFile, err)
	}
	header := strings.SplitN(string(generator.BuiltinScopes()), "\n", 2)[0]
	version := strings.Fields(strings.TrimPrefix(header, "# The scopes of the kinds kube-apiserver "))[0]
	if diff := cmp.Diff(string(generator.BuiltinScopes()), string(generator.FormatBuiltinScopes(s, version))); diff != "" {
		t.Errorf("%s is not as FormatBuiltinScopes writes it (-file +formatted):\n%s", generator.BuiltinScopesFile, diff)
	}
	if _, err := generator.ParseScopes([]byte("namespaced: {\"\": [Pod]}\ncluster: {\"\": [Pod]}\n")); err == nil {
		t.Error("ParseScopes of a kind listed with both scopes: want an error")
	}
}

// TestNamespacedResourceOnV1IsRefused: an API of Crossplane line v1 runs on Crossplane 1.x, whose
// cluster-scoped composites cannot compose a namespaced resource. generate refuses a backend or a
// further resource of a kind known to be namespaced, with its field path, the line and the fix.
func TestNamespacedResourceOnV1IsRefused(t *testing.T) {
	const fix = "is namespaced, and an API of Crossplane line v1 runs on Crossplane 1.x, which cannot compose a namespaced resource from a cluster-scoped composite " +
		"(its spec.resourceRefs hold no namespace, so the composite would compose nothing at all): " +
		"compose it inside a provider-kubernetes Object (apiVersion: kubernetes.crossplane.io/v1alpha2, kind: Object, the %s under base.spec.forProvider.manifest, providerConfig: {name: kubernetes-provider}) " +
		"as examples/internal/v1/valkey.yaml does, or generate the API for Crossplane v2 (spec.crossplaneVersion: v2)"
	spec := func(line, backend, resource string) string {
		s := `{"crossplaneVersion": "` + line + `", "group": "example.org", "kind": "CacheInstance",
			"compositions": [{"name": "cache", "plans": ["small"], "backend": ` + backend
		if resource != "" {
			s += `, "resources": [` + resource + `]`
		}
		return s + `}]}`
	}
	const (
		object        = `{"apiVersion": "kubernetes.crossplane.io/v1alpha2", "kind": "Object", "base": {"spec": {"forProvider": {"manifest": {"apiVersion": "v1", "kind": "ConfigMap"}}}}}`
		configMap     = `{"apiVersion": "/v1", "kind": "ConfigMap"}`
		networkPolicy = `{"name": "policy", "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy"}`
		operatorCR    = `{"apiVersion": "hyperspike.io/v1", "kind": "Valkey"}`
		namespace     = `{"name": "ns", "apiVersion": "/v1", "kind": "Namespace"}`
	)
	cases := map[string]struct {
		reason string
		spec   string
		want   string // the whole error, "" for none
	}{
		"NamespacedBackend": {
			reason: "A ConfigMap backend composed by a cluster-scoped v1 composite.",
			spec:   spec("v1", configMap, ""),
			want:   `DataService "cache" is invalid (1 errors): spec.compositions[0].backend: Forbidden: ConfigMap (/v1) ` + strings.Replace(fix, "%s", "ConfigMap", 1),
		},
		"NamespacedResource": {
			reason: "A NetworkPolicy beside an Object backend: the Object is fine, the NetworkPolicy is not.",
			spec:   spec("v1", object, networkPolicy),
			want:   `DataService "cache" is invalid (1 errors): spec.compositions[0].resources[0]: Forbidden: NetworkPolicy (networking.k8s.io/v1) ` + strings.Replace(fix, "%s", "NetworkPolicy", 1),
		},
		"ObjectOnV1": {
			reason: "The fix: the namespaced object inside a provider-kubernetes Object.",
			spec:   spec("v1", object, namespace),
		},
		"UnknownKindOnV1": {
			reason: "An operator's kind whose CRD was not given is not judged.",
			spec:   spec("v1", operatorCR, ""),
		},
		"NamespacedOnV2": {
			reason: "Crossplane v2 records namespaces in resourceRefs: v2 APIs compose namespaced resources.",
			spec:   spec("v2", configMap, networkPolicy),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ds := &v1alpha1.DataService{}
			ds.Name = "cache"
			if err := json.Unmarshal([]byte(tc.spec), &ds.Spec); err != nil {
				t.Fatal(err)
			}
			_, err := generator.Generate(ds, inputv1beta1.Defaults{})
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("%s\nGenerate(...):\nwant error %q\ngot        %q", tc.reason, tc.want, got)
			}
		})
	}
}

// TestEveryExampleGenerates generates every DataService under examples/, at any depth, with the
// defaults of the platform Composition: the scope rule refuses none of them.
func TestEveryExampleGenerates(t *testing.T) {
	root := filepath.Join("..", "..", "examples")
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".yaml" {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		ds, err := v1alpha1.Decode(data)
		if err != nil {
			return nil // not a DataService
		}
		n++
		if _, err := generator.Generate(ds, inputv1beta1.Defaults{}); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Errorf("found only %d example DataServices under %s", n, root)
	}
}
