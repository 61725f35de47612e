package e2e

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// What the tests that bind the generated APIs into an app cluster (TestKlutchLifecycle, TestWebBind)
// share: the provider's part, which no provider plays on the test's control plane.

// setServiceInstanceState does the provider's part: the state it observed of the ServiceInstance.
func setServiceInstanceState(ctx context.Context, t *testing.T, kc client.Client, si *unstructured.Unstructured, state string) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		u := get(ctx, t, kc, serviceInstanceGVK, client.ObjectKeyFromObject(si))
		_ = unstructured.SetNestedField(u.Object, state, "status", "atProvider", "state")
		_ = unstructured.SetNestedField(u.Object, "2026-12-01T00:00:00Z", "status", "atProvider", "provisionedAt")
		return kc.Status().Update(ctx, u)
	})
	if err != nil {
		t.Fatalf("cannot set the status of ServiceInstance %s: %v", si.GetName(), err)
	}
}

// waitForManagedState waits until the claim on the app cluster shows the provider's state in
// status.managed.state, which klutch-bind carries back from the control plane.
func waitForManagedState(t *testing.T, app *testtools.ControlPlane, claim *unstructured.Unstructured, state string) {
	t.Helper()
	app.Eventually(t, "status.managed.state "+state+" of the ServiceInstance to reach "+claim.GetKind()+" "+objectKey(claim)+" on the app cluster", bindTimeout, func(ctx context.Context) (bool, string) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(claim.GroupVersionKind())
		if err := app.Client.Get(ctx, client.ObjectKeyFromObject(claim), u); err != nil {
			return false, err.Error()
		}
		if s := field(u, "status.managed.state"); s != state {
			return false, "status.managed.state is " + s
		}
		return true, ""
	})
}

// provideCredentials does the provider's part for a ServiceBinding claim: it writes the credentials
// Secret where the Composition points it, <claim>-creds beside the claim on the control plane (in
// the namespace klutch-bind maps the app namespace to), and waits until it has reached the app
// cluster beside the claim there. It returns the Secret's name.
func provideCredentials(t *testing.T, cp, app *testtools.ControlPlane, cpBinding *unstructured.Unstructured, appNS string) string {
	t.Helper()
	creds := cpBinding.GetName() + "-creds"
	cp.CreateSecret(t, cpBinding.GetNamespace(), creds, map[string][]byte{"username": []byte("app"), "password": []byte("s3cret")})
	app.Eventually(t, "Secret "+creds+" to reach the app cluster next to the ServiceBinding claim", bindTimeout, func(ctx context.Context) (bool, string) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(secretGVK)
		if err := app.Client.Get(ctx, client.ObjectKey{Namespace: appNS, Name: creds}, u); err != nil {
			return false, err.Error()
		}
		if field(u, "data.password") == "" {
			return false, "no password"
		}
		return true, ""
	})
	return creds
}
