package function

import (
	"context"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/response"

	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// safeSpec is cacheSpec's API with one composition, into which the cases put what they test.
func safeSpec(compositionExtra, specExtra string) string {
	return `{"group": "example.org", "kind": "CacheInstance", ` + specExtra + `
		"compositions": [{"name": "cache", "plans": ["cache-small"], "backend": {"apiVersion": "example.org/v1", "kind": "Cache"}` + compositionExtra + `}]}`
}

// composedCache is the response that composes out, the output of a DataService named cache of
// cacheSpec's API, with results.
func composedCache(t *testing.T, out *generator.Output, results ...*fnv1.Result) *fnv1.RunFunctionResponse {
	return &fnv1.RunFunctionResponse{
		Meta:    &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
		Results: results,
		Desired: composedDirectly(t, out),
	}
}

// TestRunFunctionGrantsClaimsAndExportsNoMoreThanNeeded: the function refuses what generate refuses
// (a Fatal result naming each field) and reports what generate reports (Warning results): the
// grants the API needs, privilege-bearing kinds only by opt-in, narrow permission claims, autoAdopt,
// and an export of the API's own resource in a group of its own.
func TestRunFunctionGrantsClaimsAndExportsNoMoreThanNeeded(t *testing.T) {
	fatal := func(msg string) *fnv1.RunFunctionResponse {
		return &fnv1.RunFunctionResponse{
			Meta:    &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
			Results: []*fnv1.Result{{Severity: fnv1.Severity_SEVERITY_FATAL, Message: msg, Target: fnv1.Target_TARGET_COMPOSITE.Enum()}},
		}
	}
	warning := func(msg string) *fnv1.Result {
		return &fnv1.Result{Severity: fnv1.Severity_SEVERITY_WARNING, Message: msg, Target: fnv1.Target_TARGET_COMPOSITE.Enum()}
	}
	const grantCache = "grants: Crossplane composes 1 kind beyond the API's own and needs get, list, watch, create, update, patch, delete on each: caches.example.org"

	// A cluster-scoped kind: cacheSpec's API is for Crossplane v1, whose composites compose a
	// namespaced kind (a RoleBinding) only inside a provider-kubernetes Object.
	roleBinding := safeSpec(`, "resources": [{"name": "reader", "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole"}]`,
		`"allowPrivilegeEscalation": ["clusterroles.rbac.authorization.k8s.io"],`)
	withRoleBinding := generate(t, "cache", roleBinding, inputv1beta1.Defaults{})
	adopt := safeSpec("", `"export": {"permissionClaims": [{"group": "", "resource": "configmaps", "version": "v1", "selector": {"owner": "Consumer"}, "autoAdopt": true}]},`)
	withAdopt := generate(t, "cache", adopt, inputv1beta1.Defaults{})

	cases := map[string]struct {
		reason string
		spec   string
		want   *fnv1.RunFunctionResponse
		// crds are the CRDs the function asks for beside the Cache's.
		crds []string
	}{
		"PrivilegeBearingKindIsFatal": {
			reason: "A ClusterRoleBinding composed with Crossplane's service account is refused unless the spec opts in by name.",
			spec:   safeSpec(`, "resources": [{"name": "admin", "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding"}]`, ""),
			want: fatal(`DataService "cache" is invalid (1 errors): spec.compositions[0].resources[0].kind: Forbidden: ClusterRoleBinding (clusterrolebindings.rbac.authorization.k8s.io) bears privilege: ` +
				`a ClusterRoleBinding gives any subject a cluster role's permissions, and Crossplane would compose it with its own service account: compose something else, or opt in with spec.allowPrivilegeEscalation: [clusterrolebindings.rbac.authorization.k8s.io]`),
		},
		"OptedInPrivilegeIsComposedAndEveryGrantIsAWarning": {
			reason: "With the opt-in the kind is composed, and a warning lists every grant the API needs, the privilege-bearing one marked.",
			spec:   roleBinding,
			want: composedCache(t, withRoleBinding, warning("grants: Crossplane composes 2 kinds beyond the API's own and needs get, list, watch, create, update, patch, delete on each: "+
				"caches.example.org, clusterroles.rbac.authorization.k8s.io (privilege-bearing, allowed by spec.allowPrivilegeEscalation)")),
		},
		"ProviderKubernetesObjectIsJudgedByItsManifest": {
			reason: "An Object creating a ServiceAccount bears the ServiceAccount's privilege, and a claim may not choose the Object's kind.",
			crds:   []string{"objects.kubernetes.crossplane.io"},
			spec: safeSpec(`, "resources": [{"name": "sa", "apiVersion": "kubernetes.crossplane.io/v1alpha2", "kind": "Object",
				"base": {"spec": {"forProvider": {"manifest": {"apiVersion": "v1", "kind": "ServiceAccount"}}}},
				"fields": [{"from": "spec.plan", "to": "kind"}]}]`, ""),
			want: fatal(`DataService "cache" is invalid (2 errors): ` +
				`spec.compositions[0].resources[0].base.spec.forProvider.manifest.kind: Forbidden: ServiceAccount (serviceaccounts) bears privilege: a ServiceAccount's tokens act with its rights, and provider-kubernetes would create it with its service account: compose something else, or opt in with spec.allowPrivilegeEscalation: [serviceaccounts]; ` +
				`spec.compositions[0].resources[0].fields[0].to: Forbidden: kind is fixed by the spec: a claim may not choose what kind is composed (Crossplane's grants are made for the kinds the spec names); set it in base`),
		},
		"ClaimOnEverySecretIsFatal": {
			reason: "A claim on Secrets needs a narrowing selector or the opt-in.",
			spec:   safeSpec("", `"export": {"permissionClaims": [{"group": "", "resource": "secrets", "version": "v1", "selector": {}}]},`),
			want: fatal(`DataService "cache" is invalid (1 errors): spec.export.permissionClaims[0].selector: Forbidden: the claim selects every object of secrets in the bound namespaces, which the binding syncs between the app cluster and the control plane: ` +
				`narrow it with owner, names, namespaces or labelSelectors, or opt in with spec.export.allowClaimsOnAllObjects: [secrets]`),
		},
		"WildcardClusterRBACAndDuplicateClaimsAreFatal": {
			reason: "Wildcards, cluster-scoped RBAC kinds and duplicates are refused, each at its field.",
			spec: safeSpec("", `"export": {"permissionClaims": [
				{"group": "", "resource": "pods", "version": "*"},
				{"group": "rbac.authorization.k8s.io", "resource": "clusterroles", "version": "v1"},
				{"group": "", "resource": "services", "version": "v1"},
				{"group": "", "resource": "services", "version": "v1"}]},`),
			want: fatal(`DataService "cache" is invalid (3 errors): ` +
				`spec.export.permissionClaims[0].version: Invalid value: "*": wildcards are refused: a claim names one group, resource and version, e.g. group: "", resource: secrets, version: v1; ` +
				`spec.export.permissionClaims[1].resource: Forbidden: clusterroles.rbac.authorization.k8s.io acts on a whole cluster (a ClusterRole grants permissions cluster-wide): a claim on it would let one cluster manage it in the other; no claim may name it; ` +
				`spec.export.permissionClaims[3].resource: Duplicate value: "services"`),
		},
		"OwnerTypoIsFatalAsKlutchBindsCRDMakesIt": {
			reason: "What klutch-bind's CRD refuses, the function refuses, at the spec's field.",
			spec:   safeSpec("", `"export": {"permissionClaims": [{"group": "", "resource": "secrets", "version": "v1", "selector": {"owner": "Provder"}}]},`),
			want:   fatal(`DataService "cache" is invalid (1 errors): spec.export.permissionClaims[0].selector.owner: Unsupported value: "Provder": supported values: "Provider", "Consumer"`),
		},
		"KubeBindClaimRefusedByKubeBindsCRDIsFatal": {
			reason: "kube-bind's CRD judges its template; the error names the spec's field.",
			spec:   safeSpec("", `"export": {"kubeBind": {"permissionClaims": [{"group": "", "resource": "Widgets", "selector": {"namedResources": [{"name": "w"}]}}]}},`),
			want: fatal(`DataService "cache" is invalid (1 errors): spec.export.kubeBind.permissionClaims[0].resource: Invalid value: "Widgets": spec.permissionClaims[0].resource in body should match '^[a-z][-a-z0-9]*[a-z0-9]$' ` +
				`(refused by the CRD of the APIServiceExportTemplate "cacheinstances.example.org" (kube-bind.io/v1alpha2) generated from it)`),
		},
		"AutoAdoptIsAWarning": {
			reason: "autoAdopt is reported beside the grants, and composed.",
			spec:   adopt,
			want: composedCache(t, withAdopt, warning(grantCache), warning("spec.export.permissionClaims[0].autoAdopt: every configmaps an app developer creates that the claim selects is adopted: "+
				"the provider (the control plane) becomes its owner and controls it from then on")),
		},
		"ExportOfAnotherResourceIsFatal": {
			reason: "A template selecting Crossplane's compositions would publish an API the DataService does not own.",
			spec:   safeSpec("", `"export": {"resource": "compositions"},`),
			want:   fatal(`DataService "cache" is invalid (1 errors): spec.export.resource: Unsupported value: "compositions": supported values: "cacheinstances", "xcacheinstances"`),
		},
		"CrossplanesGroupIsFatal": {
			reason: "An API in Crossplane's groups (an XRD named providers.pkg.crossplane.io) is refused.",
			spec: `{"crossplaneVersion": "v2", "group": "pkg.crossplane.io", "kind": "Provider",
				"compositions": [{"name": "p", "backend": {"apiVersion": "example.org/v1", "kind": "Cache"}}]}`,
			want: fatal(`DataService "cache" is invalid (1 errors): spec.group: Forbidden: pkg.crossplane.io is reserved for Crossplane (*.crossplane.io): an API of this group could take the name of one of its own; choose a group of your own, e.g. example.com`),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := New(logging.NewNopLogger())
			req := &fnv1.RunFunctionRequest{Meta: onV22(""), Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "cache", tc.spec)}}}
			// Every spec composes example.org/v1 Cache: the function asks for its CRD.
			want := proto.CloneOf(tc.want)
			want.Requirements = askCRDs(nil, append([]string{"caches.example.org"}, tc.crds...)...)
			// Twice: the second call is answered from the function's replays and caches.
			for _, call := range []string{"first call", "second call"} {
				rsp, err := f.RunFunction(context.Background(), req)
				if err != nil {
					t.Fatalf("%s\n%s: %v", tc.reason, call, err)
				}
				if diff := cmp.Diff(want, rsp, protocmp.Transform()); diff != "" {
					t.Errorf("%s\nf.RunFunction(...), %s: -want rsp, +got rsp:\n%s", tc.reason, call, diff)
				}
			}
		})
	}
}
