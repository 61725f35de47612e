// Package e2e runs the project against the real tools: the crossplane CLIs (render, validate, xpkg)
// and a real control plane (etcd, kube-apiserver and Crossplane core on 127.0.0.1), built from the
// Go module proxy by internal/testtools.
package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/reference"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

const patchAndTransform = "function-patch-and-transform"

// composeTimeout bounds how long Crossplane gets to compose, or recompose, a claim.
const composeTimeout = 2 * time.Minute

var serviceInstanceGVK = schema.GroupVersionKind{Group: "dataservices.anynines.com", Version: "v1", Kind: "ServiceInstance"}

// TestControlPlaneComposesGeneratedMongoDBAPI proves the control plane of each Crossplane line the
// other control-plane tests run on: a Klutch-like control plane (kube-apiserver, Crossplane core,
// Klutch's CRDs) serves the API generated for examples/klutch/mongodb.yaml, enforces its CEL rules,
// and composes a claim of it into a provider-anynines ServiceInstance through
// function-patch-and-transform, installed as a Function Crossplane pulls from a loopback registry
// and served over mTLS by a local process.
func TestControlPlaneComposesGeneratedMongoDBAPI(t *testing.T) {
	forEachLine(t, testComposesGeneratedMongoDBAPI)
}

func testComposesGeneratedMongoDBAPI(t *testing.T, p *platform) {
	began := time.Now()
	ctx := context.Background()
	cp, kc := p.cp, p.cp.Client

	installKlutchCRDs(t, cp)
	cp.Lap(t, "Klutch CRDs established")

	// The generated API, applied directly (the install test composes it through our function),
	// without its export template: nothing here exports it. A claim of a namespace of its own.
	out := generateExample(t, "examples/klutch/mongodb.yaml")
	api := append([]*unstructured.Unstructured{out.XRD}, out.Compositions...)
	claim := readClaim(t)
	claim.SetNamespace("generated-mongodb")
	claimKey := client.ObjectKeyFromObject(claim)
	deleteAfter(t, cp, []*unstructured.Unstructured{claim}, api)
	cp.Apply(t, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": claim.GetNamespace()},
	}})
	cp.Apply(t, api...)
	cp.WaitForXRD(t, out.XRD)
	// Its garbage collector discovers types on start (then every 30s): start it once they exist.
	cp.StartControllerManager(t)

	t.Run("APIServerRejectsUnknownPlan", func(t *testing.T) {
		bad := claim.DeepCopy()
		bad.SetName("bad-plan")
		setPlan(t, bad, "mongodbsspl-single-huge")
		err := kc.Create(ctx, bad)
		if err == nil {
			t.Fatalf("the API server accepted plan mongodbsspl-single-huge; want it rejected by the generated enum")
		}
		for _, want := range []string{`spec.plan: Unsupported value: "mongodbsspl-single-huge"`, `"mongodbsspl-single-nano-ssl"`} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("creating a claim with an unknown plan: got error %q, want it to contain %q", err, want)
			}
		}
	})

	if err := kc.Create(ctx, claim.DeepCopy()); err != nil {
		t.Fatalf("cannot create the example claim %s: %v", claimKey, err)
	}
	si := waitForServiceInstance(t, cp, claim, "mongodbsspl-single-nano-ssl")
	cp.Lap(t, "ServiceInstance %s composed from claim %s", si.GetName(), claimKey)

	t.Run("ComposesServiceInstance", func(t *testing.T) {
		want := map[string]string{
			"spec.forProvider.serviceName":                  "a9s-mongodb50",
			"spec.forProvider.planName":                     "mongodbsspl-single-nano-ssl",
			"spec.forProvider.acceptsIncomplete":            "true",
			"spec.forProvider.organizationGuid":             "a1d46b5c-b639-4f43-85c7-e9a0e5f01f75",
			"spec.providerConfigRef.name":                   "mongodb-service-broker",
			"metadata.labels.crossplane.io/claim-name":      claim.GetName(),
			"metadata.labels.crossplane.io/claim-namespace": claim.GetNamespace(),
		}
		for path, v := range want {
			if got := field(si, path); got != v {
				t.Errorf("ServiceInstance %s: %s = %q, want %q", si.GetName(), path, got, v)
			}
		}
		if field(si, "metadata.labels.crossplane.io/composite") == "" {
			t.Errorf("ServiceInstance %s has no crossplane.io/composite label", si.GetName())
		}
	})

	t.Run("APIServerEnforcesPlanTransitions", func(t *testing.T) {
		// Upsizing is allowed, and Crossplane carries it to the ServiceInstance.
		updatePlan(t, kc, claimKey, claim.GroupVersionKind(), "mongodbsspl-single-small-ssl", "")
		waitForServiceInstance(t, cp, claim, "mongodbsspl-single-small-ssl")
		// The generated rules, as the API server reports them.
		updatePlan(t, kc, claimKey, claim.GroupVersionKind(), "mongodbsspl-single-nano-ssl",
			"Transition from bigger to smaller plan size is not supported.")
		updatePlan(t, kc, claimKey, claim.GroupVersionKind(), "mongodbsspl-single-small",
			"Plan migrations not possible from Non-SSL to SSL and SSL to Non-SSL")
		updatePlan(t, kc, claimKey, claim.GroupVersionKind(), "mongodbsspl-replica-small-ssl", "")
		updatePlan(t, kc, claimKey, claim.GroupVersionKind(), "mongodbsspl-single-small-ssl",
			"Migration from replicated to single Data Service Instance is not supported.")
	})

	t.Run("DeletingClaimDeletesComposedResources", func(t *testing.T) {
		// The claim's composite is deleted in the foreground (the generated defaultCompositeDeletePolicy):
		// kube-controller-manager's garbage collector removes the ServiceInstance it owns first.
		xr := &unstructured.Unstructured{}
		xr.SetGroupVersionKind(schema.GroupVersionKind{Group: "anynines.com", Version: "v1", Kind: "XMongodbInstance"})
		xr.SetName(si.GetLabels()["crossplane.io/composite"])
		if err := kc.Delete(ctx, claim.DeepCopy()); err != nil {
			t.Fatalf("cannot delete claim %s: %v", claimKey, err)
		}
		cp.Eventually(t, "the claim, its composite and its ServiceInstance "+si.GetName()+" to be deleted", composeTimeout, func(ctx context.Context) (bool, string) {
			for _, o := range []*unstructured.Unstructured{claim, xr, si} {
				u := &unstructured.Unstructured{}
				u.SetGroupVersionKind(o.GroupVersionKind())
				err := kc.Get(ctx, client.ObjectKeyFromObject(o), u)
				if err == nil {
					return false, fmt.Sprintf("%s %s still exists (finalizers %v)", o.GetKind(), o.GetName(), u.GetFinalizers())
				}
				if !apierrors.IsNotFound(err) {
					return false, err.Error()
				}
			}
			return true, ""
		})
		cp.Lap(t, "claim and ServiceInstance deleted")
	})

	rss := cp.ResidentMemory()
	names := make([]string, 0, len(rss))
	var total int64
	for n, b := range rss {
		names = append(names, fmt.Sprintf("%s %d MiB", n, b>>20))
		total += b
	}
	sort.Strings(names)
	t.Logf("resident memory: %d MiB in all (%s)", total>>20, strings.Join(names, ", "))
	t.Logf("total test time %s", time.Since(began).Round(100*time.Millisecond))
}

func skipControlPlaneIfShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: builds and starts etcd, kube-apiserver and Crossplane core; run without -short")
	}
}

func generateExample(t *testing.T, rel string) *generator.Output {
	t.Helper()
	path := filepath.Join(testtools.RepoRoot(t), rel)
	out, err := generator.Generate(testtools.ReadDataService(t, path), inputv1beta1.Defaults{})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

func readClaim(t *testing.T) *unstructured.Unstructured {
	t.Helper()
	p := reference.PathOrSkip(t, "examples", "serviceinstance-claim.yaml")
	objs := testtools.ReadObjects(t, p)
	if len(objs) != 1 {
		t.Fatalf("%s: want one claim, got %d objects", p, len(objs))
	}
	return objs[0]
}

func setPlan(t *testing.T, u *unstructured.Unstructured, plan string) {
	t.Helper()
	if err := unstructured.SetNestedField(u.Object, plan, "spec", "plan"); err != nil {
		t.Fatal(err)
	}
}

// updatePlan changes the claim's plan; wantErr is "" when the API server must accept it, else part of
// the message it must reject it with.
func updatePlan(t *testing.T, kc client.Client, key client.ObjectKey, gvk schema.GroupVersionKind, plan, wantErr string) {
	t.Helper()
	var from string
	// Crossplane writes the object too (its status, its composite's references): read, modify,
	// write again on a conflict, which says nothing of the plan.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		if err := kc.Get(context.Background(), key, u); err != nil {
			t.Fatalf("cannot get claim %s: %v", key, err)
		}
		from, _, _ = unstructured.NestedString(u.Object, "spec", "plan")
		setPlan(t, u, plan)
		return kc.Update(context.Background(), u)
	})
	switch {
	case wantErr == "" && err != nil:
		t.Fatalf("plan %s -> %s: the API server rejected it: %v", from, plan, err)
	case wantErr != "" && err == nil:
		t.Fatalf("plan %s -> %s: the API server accepted it; want it rejected with %q", from, plan, wantErr)
	case wantErr != "" && !strings.Contains(err.Error(), wantErr):
		t.Fatalf("plan %s -> %s: got error %q, want it to contain %q", from, plan, err, wantErr)
	}
}

// waitForServiceInstance waits until Crossplane has composed the claim's ServiceInstance with plan.
func waitForServiceInstance(t *testing.T, cp *testtools.ControlPlane, claim *unstructured.Unstructured, plan string) *unstructured.Unstructured {
	t.Helper()
	var si *unstructured.Unstructured
	cp.Eventually(t, "Crossplane to compose a ServiceInstance with plan "+plan+" for claim "+claim.GetName(), composeTimeout, func(ctx context.Context) (bool, string) {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(serviceInstanceGVK.GroupVersion().WithKind("ServiceInstanceList"))
		if err := cp.Client.List(ctx, l, client.MatchingLabels{
			"crossplane.io/claim-name":      claim.GetName(),
			"crossplane.io/claim-namespace": claim.GetNamespace(),
		}); err != nil {
			return false, err.Error()
		}
		switch len(l.Items) {
		case 0:
			return false, "no ServiceInstance yet; claim: " + claimState(ctx, cp.Client, claim)
		case 1:
		default:
			return false, fmt.Sprintf("%d ServiceInstances, want 1", len(l.Items))
		}
		if got := field(&l.Items[0], "spec.forProvider.planName"); got != plan {
			return false, "planName is " + got
		}
		si = &l.Items[0]
		return true, ""
	})
	return si
}

func claimState(ctx context.Context, kc client.Client, claim *unstructured.Unstructured) string {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(claim.GroupVersionKind())
	if err := kc.Get(ctx, client.ObjectKeyFromObject(claim), u); err != nil {
		return err.Error()
	}
	s, msg := testtools.Condition(u, "Synced")
	return "Synced=" + s + " " + msg
}

// field returns the value at a dotted path as a string; a label path keeps the key's own dots
// ("metadata.labels.crossplane.io/claim-name").
func field(u *unstructured.Unstructured, path string) string {
	if k, ok := strings.CutPrefix(path, "metadata.labels."); ok {
		return u.GetLabels()[k]
	}
	v, ok, err := unstructured.NestedFieldNoCopy(u.Object, strings.Split(path, ".")...)
	if !ok || err != nil {
		return ""
	}
	return fmt.Sprint(v)
}

// installKlutchCRDs applies what a Klutch control plane has besides Crossplane: klutch-bind's
// APIServiceExportTemplate and provider-anynines' managed resources, whose ClusterRole stands in for
// the one Crossplane's RBAC manager would make for provider-anynines' package revision.
func installKlutchCRDs(t *testing.T, cp *testtools.ControlPlane) {
	t.Helper()
	for _, rel := range [][]string{
		{"bind", "example-backend.klutch.anynines.com_apiserviceexporttemplates.yaml"},
		{"provider-anynines", "dataservices.anynines.com_serviceinstances.yaml"},
		{"provider-anynines", "dataservices.anynines.com_servicebindings.yaml"},
	} {
		p := reference.PathOrSkip(t, rel...)
		cp.WaitForCRDs(t, cp.ApplyFile(t, p)...)
	}
	cp.GrantCrossplane(t, "crossplane:provider:provider-anynines:system", "dataservices.anynines.com")
	cp.WaitForCrossplaneMay(t, "create", "dataservices.anynines.com", "serviceinstances", "default")
}
