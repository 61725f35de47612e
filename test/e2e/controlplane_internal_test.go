package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/pkgmeta"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

var valkeyGVK = schema.GroupVersionKind{Group: "hyperspike.io", Version: "v1", Kind: "Valkey"}

// TestControlPlaneComposesInternalValkey proves the v2 internal example (examples/internal/v2/
// valkey.yaml) on the real control plane: with the Valkey operator's CRD installed (no operator
// runs) and the ClusterRole generate writes beside the package applied, Crossplane composes a
// namespaced ValkeyInstance into the operator's Valkey CR with the plan's values; the instance
// becomes Ready from the declared readiness check once the test sets the CR's status.ready as the
// operator would; a plan upgrade changes the same CR in place; a downgrade is refused by the API
// server with the generated CEL rule's message.
func TestControlPlaneComposesInternalValkey(t *testing.T) {
	skipControlPlaneIfShort(t)
	began := time.Now()
	ctx := context.Background()
	phase := began
	lap := func(format string, args ...any) {
		t.Helper()
		now := time.Now()
		t.Logf("phase %-60s %6s (total %s)", fmt.Sprintf(format, args...), now.Sub(phase).Round(100*time.Millisecond), now.Sub(began).Round(100*time.Millisecond))
		phase = now
	}

	spec := filepath.Join(testtools.RepoRoot(t), "examples", "internal", "v2", "valkey.yaml")
	ds := testtools.ReadDataService(t, spec)
	out, err := generator.Generate(ds, inputv1beta1.Defaults{})
	if err != nil {
		t.Fatalf("generate %s: %v", spec, err)
	}
	// What generate writes beside the package as crossplane-rbac.yaml.
	pm, err := pkgmeta.Package(ds.GetName(), "", []*generator.Output{out})
	if err != nil {
		t.Fatalf("package meta of %s: %v", spec, err)
	}
	if pm.ClusterRole == nil {
		t.Fatalf("generate wrote no ClusterRole for the kinds %s composes", spec)
	}

	cp := testtools.StartControlPlane(t)
	kc := cp.Client
	lap("control plane started")

	cp.WaitForCRDs(t, cp.ApplyFile(t, filepath.Join(testtools.RepoRoot(t), "test", "e2e", "testdata", "valkey-crd.yaml"))...)
	// Crossplane's chart role does not cover the operator's group: without the generated role the
	// Valkey could not be composed.
	if ok, _, err := cp.CrossplaneMay(ctx, "create", "hyperspike.io", "valkeys", "team-a"); err != nil || ok {
		t.Fatalf("before the generated ClusterRole: Crossplane may create valkeys.hyperspike.io = %v (%v); want false, or this test proves nothing of the role", ok, err)
	}
	cp.Apply(t, pm.ClusterRole)
	// Only the generated role lets Crossplane manage the operator's CR and the NetworkPolicy.
	cp.WaitForCrossplaneMay(t, "create", "hyperspike.io", "valkeys", "team-a")
	cp.WaitForCrossplaneMay(t, "create", "networking.k8s.io", "networkpolicies", "team-a")
	lap("Valkey CRD established, generated ClusterRole %s aggregated", pm.ClusterRole.GetName())

	lap("%s installed", installPatchAndTransform(t, cp))

	// The XRD and its Composition; the v2 example has no export template.
	cp.Apply(t, append([]*unstructured.Unstructured{out.XRD}, out.Compositions...)...)
	cp.WaitForXRD(t, out.XRD)
	lap("XRD %s established", out.XRD.GetName())

	cp.Apply(t, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": "team-a"},
	}})
	service := ds.Spec.Service.Catalog[0]
	small, medium := offering(t, ds, "small"), offering(t, ds, "medium")
	xr := internalInstance(ds, out.API, small.Name, service.Name)
	xrKey := client.ObjectKeyFromObject(xr)
	if err := kc.Create(ctx, xr.DeepCopy()); err != nil {
		t.Fatalf("cannot create %s %s: %v", xr.GetKind(), xrKey, err)
	}
	valkey := waitForValkey(t, cp, xr, small)
	lap("Valkey %s composed for %s %s (plan %s)", valkey.GetName(), xr.GetKind(), xrKey, small.Name)

	t.Run("ComposesValkeyOfPlan", func(t *testing.T) {
		assertPlanValues(t, valkey.Object, small, service)
		t.Logf("plan %s: %s", small.Name, describeValkey(valkey.Object))
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicyList"})
		if err := kc.List(ctx, l, client.InNamespace(xrKey.Namespace), client.MatchingLabels{"crossplane.io/composite": xrKey.Name}); err != nil {
			t.Fatal(err)
		}
		if len(l.Items) != 1 {
			t.Errorf("%d NetworkPolicies composed beside the Valkey, want 1", len(l.Items))
		}
	})

	t.Run("ReadyFromReadinessCheck", func(t *testing.T) {
		// Not ready while the Valkey's status.ready is unset: the check is the declared MatchTrue.
		u := getObject(t, kc, xr.GroupVersionKind(), xrKey)
		if s, msg := testtools.Condition(u, "Ready"); s == "True" {
			t.Fatalf("%s %s is Ready before its Valkey reports status.ready (%s)", xr.GetKind(), xrKey, msg)
		}
		// What the operator would do.
		v := getObject(t, kc, valkeyGVK, client.ObjectKeyFromObject(valkey))
		if err := unstructured.SetNestedField(v.Object, true, "status", "ready"); err != nil {
			t.Fatal(err)
		}
		if err := kc.Status().Update(ctx, v); err != nil {
			t.Fatalf("cannot set status.ready of Valkey %s: %v", v.GetName(), err)
		}
		cp.WaitForConditions(t, xr.GroupVersionKind(), xrKey, "Ready")
		// The declared status: the Valkey's status.ready, shown in the VALKEY-READY column.
		if got := field(getObject(t, kc, xr.GroupVersionKind(), xrKey), "status.managed.ready"); got != "true" {
			t.Errorf("%s %s: status.managed.ready = %q, want \"true\"", xr.GetKind(), xrKey, got)
		}
		lap("%s %s Ready after status.ready was set", xr.GetKind(), xrKey)
	})

	t.Run("PlanUpgradeInPlace", func(t *testing.T) {
		updatePlan(t, kc, xrKey, xr.GroupVersionKind(), medium.Name, "")
		got := waitForValkey(t, cp, xr, medium)
		if got.GetName() != valkey.GetName() {
			t.Errorf("plan %s → %s: the composed Valkey is %q, want the existing %q", small.Name, medium.Name, got.GetName(), valkey.GetName())
		}
		if got.GetUID() != valkey.GetUID() {
			t.Errorf("plan %s → %s: Valkey %s was replaced (uid %s, was %s)", small.Name, medium.Name, got.GetName(), got.GetUID(), valkey.GetUID())
		}
		assertPlanValues(t, got.Object, medium, service)
		lap("plan %s → %s: Valkey %s updated in place, now %s", small.Name, medium.Name, got.GetName(), describeValkey(got.Object))
	})

	t.Run("APIServerRefusesDowngrade", func(t *testing.T) {
		updatePlan(t, kc, xrKey, xr.GroupVersionKind(), small.Name, generator.MsgNoDownsizing)
		lap("plan %s → %s refused by the API server", medium.Name, small.Name)
	})

	t.Logf("total test time %s", time.Since(began).Round(100*time.Millisecond))
}

func offering(t *testing.T, ds *v1alpha1.DataService, name string) v1alpha1.Offering {
	t.Helper()
	for _, o := range ds.Spec.Plan.Catalog {
		if o.Name == name {
			return o
		}
	}
	t.Fatalf("DataService %s has no plan %s", ds.GetName(), name)
	return v1alpha1.Offering{}
}

func getObject(t *testing.T, kc client.Client, gvk schema.GroupVersionKind, key client.ObjectKey) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	if err := kc.Get(context.Background(), key, u); err != nil {
		t.Fatalf("cannot get %s %s: %v", gvk.Kind, key, err)
	}
	return u
}

// waitForValkey waits until Crossplane has composed, in the instance's namespace, the one Valkey of
// the instance with the plan's memory and replicas.
func waitForValkey(t *testing.T, cp *testtools.ControlPlane, xr *unstructured.Unstructured, plan v1alpha1.Offering) *unstructured.Unstructured {
	t.Helper()
	want := string(plan.Values["memory"].Raw)
	var got *unstructured.Unstructured
	cp.Eventually(t, "Crossplane to compose a Valkey of plan "+plan.Name+" for "+xr.GetName(), composeTimeout, func(ctx context.Context) (bool, string) {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(valkeyGVK.GroupVersion().WithKind("ValkeyList"))
		if err := cp.Client.List(ctx, l, client.InNamespace(xr.GetNamespace()), client.MatchingLabels{"crossplane.io/composite": xr.GetName()}); err != nil {
			return false, err.Error()
		}
		switch len(l.Items) {
		case 0:
			return false, "no Valkey yet; " + xr.GetKind() + ": " + claimState(ctx, cp.Client, xr)
		case 1:
		default:
			return false, fmt.Sprintf("%d Valkeys, want 1", len(l.Items))
		}
		if m := field(&l.Items[0], "spec.resources.requests.memory"); fmt.Sprintf("%q", m) != want {
			return false, "memory is " + m + ", want " + want
		}
		got = &l.Items[0]
		return true, ""
	})
	return got
}
