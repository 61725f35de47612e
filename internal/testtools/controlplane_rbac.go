package testtools

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Crossplane core runs as the service account its Helm chart creates, holding only the chart's
// ClusterRoles and what Crossplane's RBAC manager and the test add, never as an admin: what it may do
// here is what it may do on a control plane installed with the chart, so a missing rule in
// examples/rbac.yaml fails the tests instead of hiding behind system:masters.
const (
	CrossplaneServiceAccount = "crossplane"
	crossplaneUser           = "system:serviceaccount:" + CrossplaneNamespace + ":" + CrossplaneServiceAccount
	// crossplaneRole is the chart's aggregated ClusterRole, bound to the service account.
	crossplaneRole = "crossplane"
	// aggregateToCrossplane is the label that aggregates a ClusterRole into crossplaneRole.
	aggregateToCrossplane = "rbac.crossplane.io/aggregate-to-crossplane"
)

// crossplaneGroups are the groups of Crossplane's service account, as the API server gives them to a
// service account token.
var crossplaneGroups = []string{"system:serviceaccounts", "system:serviceaccounts:" + CrossplaneNamespace, "system:authenticated"}

// crossplaneChartRoles reads the ClusterRoles of Crossplane's Helm chart (cluster/charts/crossplane/
// templates/clusterrole.yaml of its module) as the chart renders them with the RBAC manager deployed,
// its default: the aggregated "crossplane" role and the rules aggregated into it. The template holds
// only the release name and label helpers, so dropping the helper lines renders it; anything else
// left unrendered fails the test rather than granting something else.
func crossplaneChartRoles(t testing.TB, version string) []*unstructured.Unstructured {
	t.Helper()
	path := filepath.Join(ModuleDir(t, mustCoreRelease(t, version).module(), version), "cluster", "charts", "crossplane", "templates", "clusterrole.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("cannot read Crossplane's chart ClusterRoles: %v", err)
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		switch s := strings.TrimSpace(l); {
		case s == `{{- include "crossplane.labels" . | indent 4 }}`, s == "{{- if .Values.rbacManager.deploy }}", s == "{{- end }}":
			continue
		}
		out = append(out, strings.ReplaceAll(l, `{{ template "crossplane.name" . }}`, crossplaneRole))
	}
	rendered := strings.Join(out, "\n")
	if strings.Contains(rendered, "{{") {
		t.Fatalf("%s holds template directives this test cannot render; render it by hand and update crossplaneChartRoles:\n%s", path, rendered)
	}
	roles := decodeObjects(t, path+" (rendered)", []byte(rendered))
	if len(roles) != 2 || roles[0].GetName() != crossplaneRole {
		t.Fatalf("%s: want the aggregated ClusterRole %q and its system rules, got %d objects", path, crossplaneRole, len(roles))
	}
	return roles
}

// grantCrossplaneChartRBAC applies the chart's ClusterRoles and binds the aggregated one to Crossplane's
// service account, as the chart's clusterrolebinding.yaml does, then waits for kube-controller-manager
// to aggregate the rules.
func (cp *ControlPlane) grantCrossplaneChartRBAC(t testing.TB, version string) {
	t.Helper()
	objs := crossplaneChartRoles(t, version)
	binding := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind":       "ClusterRoleBinding",
		"metadata":   map[string]any{"name": crossplaneRole},
		"roleRef":    map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": crossplaneRole},
		"subjects": []any{map[string]any{
			"kind": "ServiceAccount", "name": CrossplaneServiceAccount, "namespace": CrossplaneNamespace,
		}},
	}}
	cp.Apply(t, append(objs, binding)...)
	cp.WaitForCrossplaneMay(t, "create", "apiextensions.k8s.io", "customresourcedefinitions", "")
	cp.run.lap(t, "Crossplane's service account holds the chart's ClusterRoles")
}

// GrantCrossplane aggregates rules into Crossplane's role under a ClusterRole of its own, as a provider
// package's revision gets them from the RBAC manager; tests use it for managed resources whose CRDs
// they apply without a provider package.
func (cp *ControlPlane) GrantCrossplane(t testing.TB, name string, groups ...string) {
	t.Helper()
	g := make([]any, len(groups))
	for i, s := range groups {
		g[i] = s
	}
	cp.Apply(t, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "rbac.authorization.k8s.io/v1",
		"kind":       "ClusterRole",
		"metadata": map[string]any{
			"name":   name,
			"labels": map[string]any{aggregateToCrossplane: "true"},
		},
		"rules": []any{map[string]any{"apiGroups": g, "resources": []any{"*"}, "verbs": []any{"*"}}},
	}})
}

// CrossplaneMay asks the API server (SubjectAccessReview) whether Crossplane's service account may do
// verb on a resource; namespace "" means cluster-wide.
func (cp *ControlPlane) CrossplaneMay(ctx context.Context, verb, group, resource, namespace string) (bool, string, error) {
	return cp.userMay(ctx, crossplaneUser, crossplaneGroups, verb, group, resource, namespace)
}

// userMay asks the API server (SubjectAccessReview) whether a user of groups may do verb on a
// resource; namespace "" means cluster-wide.
func (cp *ControlPlane) userMay(ctx context.Context, user string, groups []string, verb, group, resource, namespace string) (bool, string, error) {
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   user,
		Groups: groups,
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Verb: verb, Group: group, Resource: resource, Namespace: namespace,
		},
	}}
	if err := cp.Client.Create(ctx, sar); err != nil {
		return false, "", err
	}
	return sar.Status.Allowed, sar.Status.Reason, nil
}

// mayCheck is userMay as an Eventually check.
func (cp *ControlPlane) mayCheck(ctx context.Context, user string, groups []string, verb, group, resource, namespace string) (bool, string) {
	ok, reason, err := cp.userMay(ctx, user, groups, verb, group, resource, namespace)
	if err != nil {
		return false, err.Error()
	}
	return ok, "not allowed yet: " + reason
}

// WaitForCrossplaneMay waits until Crossplane's service account may do verb on a resource: RBAC
// aggregation is kube-controller-manager's, asynchronous.
func (cp *ControlPlane) WaitForCrossplaneMay(t testing.TB, verb, group, resource, namespace string) {
	t.Helper()
	what := crossplaneUser + " to be allowed to " + verb + " " + resource + "." + group
	cp.Eventually(t, what, time.Minute, func(ctx context.Context) (bool, string) {
		ok, reason, err := cp.CrossplaneMay(ctx, verb, group, resource, namespace)
		if err != nil {
			return false, err.Error()
		}
		return ok, "not allowed yet: " + reason
	})
}

// startRBACManager starts Crossplane's RBAC manager, which grants Crossplane the composite and claim
// types of every XRD and binds providers' ServiceAccounts to the roles their packages ask for. It
// runs with the admin's credentials: its own chart role lets it escalate and bind, which is not
// under test.
//
// It serves metrics on :8080 of every interface, which no flag changes (controller-runtime's
// default), as provider-kubernetes and klutch-bind's konnector do: it runs in a network namespace of
// its own, with the API server forwarded into it. It is up once it serves there: v1 logs nothing of
// its controllers (its --debug logger comes after a no-op one, which controller-runtime keeps).
func (cp *ControlPlane) startRBACManager(t testing.TB) {
	t.Helper()
	n := newIsolatedNet(t, cp.run.owner, "crossplane-rbac-manager")
	n.forwardIn(t, cp.apiAddr)
	env := []string{"KUBECONFIG=" + cp.Kubeconfig, "POD_NAMESPACE=" + CrossplaneNamespace}
	p := cp.run.startIn(t, n, "crossplane-rbac-manager", env, cp.crossplaneBin, "--debug", "rbac", "start")
	cp.run.owner.Cleanup(func() { p.stop(processGrace) })
	cp.rbacManager = p
	cp.run.waitFor(t, "crossplane's RBAC manager to serve metrics on :8080 in its network namespace", p, startTimeout, func() (bool, string) {
		return n.listening("127.0.0.1:8080")
	})
	cp.run.lap(t, "crossplane RBAC manager started")
}

// ServiceAccountMay asks the API server whether the ServiceAccount sa of CrossplaneNamespace (a
// provider's identity) may do verb on a resource; namespace "" means cluster-wide.
func (cp *ControlPlane) ServiceAccountMay(ctx context.Context, sa, verb, group, resource, namespace string) (bool, string, error) {
	user, groups := serviceAccountUser(sa)
	return cp.userMay(ctx, user, groups, verb, group, resource, namespace)
}

// WaitForServiceAccountMay waits until the ServiceAccount sa of CrossplaneNamespace may do verb on a
// resource.
func (cp *ControlPlane) WaitForServiceAccountMay(t testing.TB, sa, verb, group, resource, namespace string) {
	t.Helper()
	user, groups := serviceAccountUser(sa)
	cp.Eventually(t, user+" to be allowed to "+verb+" "+resource+"."+group, time.Minute, func(ctx context.Context) (bool, string) {
		return cp.mayCheck(ctx, user, groups, verb, group, resource, namespace)
	})
}

// serviceAccountUser is the user and groups the API server gives a token of a ServiceAccount of
// CrossplaneNamespace.
func serviceAccountUser(sa string) (string, []string) {
	return "system:serviceaccount:" + CrossplaneNamespace + ":" + sa, crossplaneGroups
}
