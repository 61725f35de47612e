package e2e

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"

	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

var updateScopes = flag.Bool("update", false, "rewrite internal/generator/"+generator.BuiltinScopesFile+" from a running kube-apiserver's discovery")

// TestBuiltinScopesAreKubeAPIServers starts kube-apiserver (the release the control-plane tests run)
// and compares the scope of every kind its discovery lists with the generator's table of built-in
// kinds (internal/generator/scopes.yaml), which decides what an API for Crossplane 1.x may compose
// directly. -update rewrites the table.
func TestBuiltinScopesAreKubeAPIServers(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: starts etcd and kube-apiserver; run without -short (make test)")
	}
	cluster := testtools.StartAppCluster(t)
	dc, err := discovery.NewDiscoveryClientForConfig(cluster.Config)
	if err != nil {
		t.Fatal(err)
	}
	_, lists, err := dc.ServerGroupsAndResources()
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	scopes := generator.Scopes{}
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range l.APIResources {
			if strings.Contains(r.Name, "/") {
				continue // a subresource
			}
			scope := extv1.ClusterScoped
			if r.Namespaced {
				scope = extv1.NamespaceScoped
			}
			gk := schema.GroupKind{Group: gv.Group, Kind: r.Kind}
			if prev, ok := scopes[gk]; ok && prev != scope {
				t.Fatalf("%s is %s in one version and %s in another", gk, prev, scope)
			}
			scopes[gk] = scope
		}
	}
	got := generator.FormatBuiltinScopes(scopes, testtools.Kubernetes)
	file := filepath.Join(testtools.RepoRoot(t), "internal", "generator", generator.BuiltinScopesFile)
	if *updateScopes {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: %d kinds", file, len(scopes))
		return
	}
	if diff := cmp.Diff(string(generator.BuiltinScopes()), string(got)); diff != "" {
		t.Errorf("%s differs from kube-apiserver %s's discovery (-file +discovered); rerun with -update:\n%s", file, testtools.Kubernetes, diff)
	}
}
