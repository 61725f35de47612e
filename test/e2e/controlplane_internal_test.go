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

// TestControlPlaneComposesInternalValkey proves the internal example of each line on its real
// control plane: examples/internal/v2/valkey.yaml on v2, examples/internal/v1/valkey.yaml (a
// provider-kubernetes Object wrapping the operator's CR) on 1.x. With the Valkey operator's CRD
// installed (no operator runs) and the ClusterRole generate writes beside the package applied,
// Crossplane composes a ValkeyInstance into the operator's Valkey CR with the plan's values (on 1.x
// provider-kubernetes creates it from the Object, as its service account, which the file binds to
// the CR's kind);
// its status comes back once the test sets the CR's status.ready as the operator would (on v2 the
// declared readiness check waits for it); a plan upgrade changes the same CR in place; a downgrade
// is refused by the API server with the generated CEL rule's message.
func TestControlPlaneComposesInternalValkey(t *testing.T) {
	forEachLine(t, testComposesInternalValkey)
}

func testComposesInternalValkey(t *testing.T, p *platform) {
	began := time.Now()
	ctx := context.Background()
	phase := began
	lap := func(format string, args ...any) {
		t.Helper()
		now := time.Now()
		t.Logf("phase %-60s %6s (total %s)", fmt.Sprintf(format, args...), now.Sub(phase).Round(100*time.Millisecond), now.Sub(began).Round(100*time.Millisecond))
		phase = now
	}

	line := "v2"
	if p.v1() {
		line = "v1"
	}
	spec := filepath.Join(testtools.RepoRoot(t), "examples", "internal", line, "valkey.yaml")
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

	cp, kc := p.cp, p.cp.Client
	const ns = "internal-valkey"
	cp.Apply(t, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns},
	}})
	cp.WaitForCRDs(t, cp.ApplyFile(t, filepath.Join(testtools.RepoRoot(t), "examples", "internal", "crds", "hyperspike.io_valkeys.yaml"))...)
	service := ds.Spec.Service.Catalog[0]
	small, medium := offering(t, ds, "small"), offering(t, ds, "medium")
	// On 1.x the namespaced instance is the claim; its composite is Crossplane's.
	instance := namespacedInstance(out.API, "cache", ns, small.Name, service.Name)
	key := client.ObjectKeyFromObject(instance)
	// Left as found: the instance (and with it what it composed), then its API and the roles.
	deleteAfter(t, cp, []*unstructured.Unstructured{instance}, append([]*unstructured.Unstructured{out.XRD}, out.Compositions...))

	if p.v1() {
		// Crossplane composes provider-kubernetes Objects, which its role covers once the provider
		// is installed; the Valkey is created by provider-kubernetes, as its service account, which
		// crossplane-rbac.yaml binds to the kinds the Objects hold, as generate writes it.
		grant := pm.ProviderKubernetes
		if len(grant) == 0 {
			t.Fatalf("generate wrote no role for provider-kubernetes, whose Objects hold the Valkey")
		}
		if ok, _, err := cp.ServiceAccountMay(ctx, p.provider.ServiceAccount, "create", "hyperspike.io", "valkeys", ns); err != nil || ok {
			t.Fatalf("before the grant: may provider-kubernetes (%s) create valkeys.hyperspike.io? %v (%v); want no, or this test proves nothing of the grant", p.provider.ServiceAccount, ok, err)
		}
		deleteAfter(t, cp, append(grant, pm.ClusterRole))
		cp.Apply(t, append(grant, pm.ClusterRole)...)
		cp.WaitForServiceAccountMay(t, p.provider.ServiceAccount, "create", "hyperspike.io", "valkeys", ns)
		cp.WaitForCrossplaneMay(t, "create", "kubernetes.crossplane.io", "objects", "")
		lap("Valkey CRD established; provider-kubernetes granted valkeys; generated ClusterRole %s aggregated", pm.ClusterRole.GetName())
	} else {
		// Crossplane's chart role does not cover the operator's group: without the generated role
		// the Valkey could not be composed.
		if ok, _, err := cp.CrossplaneMay(ctx, "create", "hyperspike.io", "valkeys", ns); err != nil || ok {
			t.Fatalf("before the generated ClusterRole: Crossplane may create valkeys.hyperspike.io = %v (%v); want false, or this test proves nothing of the role", ok, err)
		}
		deleteAfter(t, cp, []*unstructured.Unstructured{pm.ClusterRole})
		cp.Apply(t, pm.ClusterRole)
		// Only the generated role lets Crossplane manage the operator's CR and the NetworkPolicy.
		cp.WaitForCrossplaneMay(t, "create", "hyperspike.io", "valkeys", ns)
		cp.WaitForCrossplaneMay(t, "create", "networking.k8s.io", "networkpolicies", ns)
		lap("Valkey CRD established, generated ClusterRole %s aggregated", pm.ClusterRole.GetName())
	}

	// The XRD and its Composition; the internal examples have no export template.
	cp.Apply(t, append([]*unstructured.Unstructured{out.XRD}, out.Compositions...)...)
	cp.WaitForXRD(t, out.XRD)
	lap("XRD %s established", out.XRD.GetName())

	if err := kc.Create(ctx, instance.DeepCopy()); err != nil {
		t.Fatalf("cannot create %s %s: %v", instance.GetKind(), key, err)
	}
	valkey := waitForValkey(t, p, instance, small)
	lap("Valkey %s composed for %s %s (plan %s)", valkey.GetName(), instance.GetKind(), key, small.Name)

	t.Run("ComposesValkeyOfPlan", func(t *testing.T) {
		assertPlanValues(t, valkey.Object, small, service)
		t.Logf("plan %s: %s", small.Name, describeValkey(valkey.Object))
		if p.v1() {
			return // The v1 example composes the Valkey alone.
		}
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(schema.GroupVersionKind{Group: "networking.k8s.io", Version: "v1", Kind: "NetworkPolicyList"})
		if err := kc.List(ctx, l, client.InNamespace(key.Namespace), client.MatchingLabels{"crossplane.io/composite": key.Name}); err != nil {
			t.Fatal(err)
		}
		if len(l.Items) != 1 {
			t.Errorf("%d NetworkPolicies composed beside the Valkey, want 1", len(l.Items))
		}
	})

	t.Run("StatusFromTheValkey", func(t *testing.T) {
		// On v2 not ready while the Valkey's status.ready is unset: the check is the declared
		// MatchTrue. On 1.x the Object is Ready once it created the Valkey, and the Valkey's status
		// comes back through it.
		u := getObject(t, kc, instance.GroupVersionKind(), key)
		if s, msg := testtools.Condition(u, "Ready"); s == "True" && !p.v1() {
			t.Fatalf("%s %s is Ready before its Valkey reports status.ready (%s)", instance.GetKind(), key, msg)
		}
		// What the operator would do.
		v := getObject(t, kc, valkeyGVK, client.ObjectKeyFromObject(valkey))
		if err := unstructured.SetNestedField(v.Object, true, "status", "ready"); err != nil {
			t.Fatal(err)
		}
		if err := kc.Status().Update(ctx, v); err != nil {
			t.Fatalf("cannot set status.ready of Valkey %s: %v", v.GetName(), err)
		}
		cp.WaitForConditions(t, instance.GroupVersionKind(), key, "Ready")
		// The declared status: the Valkey's status.ready, shown in the VALKEY-READY column.
		cp.Eventually(t, instance.GetKind()+" "+key.String()+" to show status.managed.ready of its Valkey", composeTimeout, func(ctx context.Context) (bool, string) {
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(instance.GroupVersionKind())
			if err := kc.Get(ctx, key, u); err != nil {
				return false, err.Error()
			}
			if got := field(u, "status.managed.ready"); got != "true" {
				return false, "status.managed.ready = " + got
			}
			return true, ""
		})
		lap("%s %s Ready, status.managed.ready from the Valkey", instance.GetKind(), key)
	})

	t.Run("PlanUpgradeInPlace", func(t *testing.T) {
		updatePlan(t, kc, key, instance.GroupVersionKind(), medium.Name, "")
		got := waitForValkey(t, p, instance, medium)
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
		updatePlan(t, kc, key, instance.GroupVersionKind(), small.Name, generator.MsgNoDownsizing)
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

// waitForValkey waits until the one Valkey of the instance exists with the plan's memory: in the
// instance's namespace, composed by Crossplane with its composite's label (v2) or created by
// provider-kubernetes from the Object, named after the claim (1.x).
func waitForValkey(t *testing.T, p *platform, instance *unstructured.Unstructured, plan v1alpha1.Offering) *unstructured.Unstructured {
	t.Helper()
	want := string(plan.Values["memory"].Raw)
	var got *unstructured.Unstructured
	p.cp.Eventually(t, "a Valkey of plan "+plan.Name+" for "+instance.GetName(), composeTimeout, func(ctx context.Context) (bool, string) {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(valkeyGVK.GroupVersion().WithKind("ValkeyList"))
		opts := []client.ListOption{client.InNamespace(instance.GetNamespace())}
		if !p.v1() {
			opts = append(opts, client.MatchingLabels{"crossplane.io/composite": instance.GetName()})
		}
		if err := p.cp.Client.List(ctx, l, opts...); err != nil {
			return false, err.Error()
		}
		switch len(l.Items) {
		case 0:
			return false, "no Valkey yet; " + instance.GetKind() + ": " + claimState(ctx, p.cp.Client, instance)
		case 1:
		default:
			return false, fmt.Sprintf("%d Valkeys, want 1", len(l.Items))
		}
		if p.v1() && l.Items[0].GetName() != instance.GetName() {
			return false, "Valkey " + l.Items[0].GetName() + ", want one named after the claim"
		}
		if m := field(&l.Items[0], "spec.resources.requests.memory"); fmt.Sprintf("%q", m) != want {
			return false, "memory is " + m + ", want " + want
		}
		got = &l.Items[0]
		return true, ""
	})
	return got
}
