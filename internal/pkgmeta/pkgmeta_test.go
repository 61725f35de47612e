package pkgmeta_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/pkgmeta"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// composeVerbs are the verbs the ClusterRole grants on every composed kind: never "*".
var composeVerbs = []any{"get", "list", "watch", "create", "update", "patch", "delete"}

// TestPackage asserts the meta of a package of generated APIs: the functions its Compositions
// pipe to as dependsOn, the Crossplane its XRDs need, and the ClusterRole that lets Crossplane
// manage what they compose.
func TestPackage(t *testing.T) {
	cases := map[string]struct {
		specs      []string
		constraint string
		defaults   inputv1beta1.Defaults
		version    string
		rules      []any // the ClusterRole's rules, nil for none
		note, err  string
	}{
		"V1KlutchMongoDB": {
			specs: []string{"klutch/mongodb.yaml"}, version: ">=v1.17.1",
			rules: []any{map[string]any{"apiGroups": []any{"dataservices.anynines.com"}, "resources": []any{"serviceinstances"}, "verbs": composeVerbs}},
		},
		"V2InternalValkey": {
			specs: []string{"internal/v2/valkey.yaml"}, version: ">=v2.0.0",
			rules: []any{
				map[string]any{"apiGroups": []any{"hyperspike.io"}, "resources": []any{"valkeys"}, "verbs": composeVerbs},
				map[string]any{"apiGroups": []any{"networking.k8s.io"}, "resources": []any{"networkpolicies"}, "verbs": composeVerbs},
			},
		},
		"V1AndV2NeedV2": {specs: []string{"klutch/mongodb.yaml", "internal/v2/valkey.yaml"}, version: ">=v2.0.0"},
		"V2RefusesV1Constraint": {
			specs: []string{"internal/v2/valkey.yaml"}, constraint: ">=v1.17.1",
			err: "cannot install the package's apiextensions.crossplane.io/v2 XRDs",
		},
		"UnknownFunctionSaid": {
			specs: []string{"internal/v2/valkey.yaml"}, defaults: inputv1beta1.Defaults{PatchAndTransform: "my-pt"}, version: ">=v2.0.0",
			note: "no dependsOn for Function my-pt",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var outs []*generator.Output
			for _, s := range tc.specs {
				out, err := generator.Generate(testtools.ReadDataService(t, filepath.Join("..", "..", "examples", s)), tc.defaults)
				if err != nil {
					t.Fatal(err)
				}
				outs = append(outs, out)
			}
			pm, err := pkgmeta.Package("platform", tc.constraint, outs)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("want error containing %q, got %v", tc.err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if v, _, _ := unstructured.NestedString(pm.Meta.Object, "spec", "crossplane", "version"); v != tc.version {
				t.Errorf("crossplane version: want %s, got %s", tc.version, v)
			}
			deps, _, _ := unstructured.NestedSlice(pm.Meta.Object, "spec", "dependsOn")
			if tc.note == "" {
				want := []any{map[string]any{"function": "xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform", "version": ">=v0.10.7"}}
				if diff := cmp.Diff(want, deps); diff != "" {
					t.Errorf("dependsOn: -want +got:\n%s", diff)
				}
			} else if !strings.Contains(strings.Join(pm.Notes, "\n"), tc.note) {
				t.Errorf("want a note containing %q, got %v", tc.note, pm.Notes)
			}
			if tc.rules != nil {
				got, _, _ := unstructured.NestedSlice(pm.ClusterRole.Object, "rules")
				if diff := cmp.Diff(tc.rules, got); diff != "" {
					t.Errorf("ClusterRole rules: -want +got:\n%s", diff)
				}
				if l := pm.ClusterRole.GetLabels()[pkgmeta.AggregateToCrossplane]; l != "true" {
					t.Errorf("ClusterRole is not aggregated to Crossplane's: labels %v", pm.ClusterRole.GetLabels())
				}
			}
		})
	}
}

// TestPackageGrantsProviderKubernetesWhatItsObjectsHold: on Crossplane 1.x an operator's CR is
// created by provider-kubernetes from an Object, as its service account: the package binds that
// account to exactly the kinds its Objects hold. A package that composes no Object binds nothing.
func TestPackageGrantsProviderKubernetesWhatItsObjectsHold(t *testing.T) {
	gen := func(spec string) *generator.Output {
		out, err := generator.Generate(testtools.ReadDataService(t, filepath.Join("..", "..", "examples", spec)), inputv1beta1.Defaults{})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	pm, err := pkgmeta.Package("internal", "", []*generator.Output{gen("internal/v1/valkey.yaml"), gen("internal/v1/postgres.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	if len(pm.ProviderKubernetes) != 2 {
		t.Fatalf("want a ClusterRole and its binding for provider-kubernetes, got %d objects", len(pm.ProviderKubernetes))
	}
	role, binding := pm.ProviderKubernetes[0], pm.ProviderKubernetes[1]
	wantRules := []any{
		map[string]any{"apiGroups": []any{"hyperspike.io"}, "resources": []any{"valkeys"}, "verbs": composeVerbs},
		map[string]any{"apiGroups": []any{"postgresql.cnpg.io"}, "resources": []any{"clusters"}, "verbs": composeVerbs},
	}
	if diff := cmp.Diff(wantRules, role.Object["rules"]); diff != "" {
		t.Errorf("provider-kubernetes' rules: -want +got:\n%s", diff)
	}
	if _, aggregated := role.GetLabels()[pkgmeta.AggregateToCrossplane]; aggregated || role.GetName() != "provider-kubernetes:composite:internal" {
		t.Errorf("provider-kubernetes' ClusterRole %s is named or labelled as Crossplane's: %v", role.GetName(), role.GetLabels())
	}
	wantSubjects := []any{map[string]any{"kind": "ServiceAccount", "name": "provider-kubernetes", "namespace": "crossplane-system"}}
	if diff := cmp.Diff(wantSubjects, binding.Object["subjects"]); diff != "" || binding.GetKind() != "ClusterRoleBinding" {
		t.Errorf("the binding of %s: -want +got subjects:\n%s", binding.GetKind(), diff)
	}
	pm, err = pkgmeta.Package("valkey", "", []*generator.Output{gen("internal/v2/valkey.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	if len(pm.ProviderKubernetes) != 0 {
		t.Errorf("a package composing no Object binds provider-kubernetes: %v", pm.ProviderKubernetes)
	}
}
