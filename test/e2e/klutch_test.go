package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// bindTimeout bounds how long klutch-bind gets to carry an API or an object between the clusters.
const bindTimeout = 2 * time.Minute

var (
	appClusterBindingGVK       = schema.GroupVersionKind{Group: "klutch.anynines.com", Version: "v1alpha1", Kind: "AppClusterBinding"}
	apiServiceExportGVK        = schema.GroupVersionKind{Group: "klutch.anynines.com", Version: "v1alpha1", Kind: "APIServiceExport"}
	apiServiceExportRequestGVK = schema.GroupVersionKind{Group: "klutch.anynines.com", Version: "v1alpha1", Kind: "APIServiceExportRequest"}
	apiServiceBindingGVK       = schema.GroupVersionKind{Group: "klutch.anynines.com", Version: "v1alpha1", Kind: "APIServiceBinding"}
	mongodbClaimGVK            = schema.GroupVersionKind{Group: "anynines.com", Version: "v1", Kind: "MongodbInstance"}
	bindingClaimGVK            = schema.GroupVersionKind{Group: "anynines.com", Version: "v1", Kind: "ServiceBinding"}
	secretGVK                  = schema.GroupVersionKind{Version: "v1", Kind: "Secret"}
)

// TestKlutchLifecycle walks Klutch's API lifecycle on real klutch-bind (example-backend in
// --control-plane-mode and the konnector, built from ../shared/third_party/klutch-bind) between the
// control plane of each Crossplane line (Crossplane core, our Function over mTLS, packages from a
// loopback registry, provider-kubernetes; see platformOf) and an app cluster (a second
// kube-apiserver):
//
//  1. the MongoDB and ServiceBinding DataServices are composed into XRDs, Compositions and export
//     templates (on Crossplane 1.x inside provider-kubernetes Objects): the templates klutch-bind
//     exports are the ones the function composed, not ones the test applied;
//  2. an AppClusterBinding exports both APIs: the backend creates the export requests and the
//     APIServiceExports, the konnector the bound CRDs on the app cluster, whose API server enforces
//     our enums and plan-change rules;
//  3. a MongodbInstance claim on the app cluster reaches the control plane, is composed into a
//     ServiceInstance, and the status the provider would set there comes back to the app cluster;
//  4. a ServiceBinding claim: the credentials Secret the provider would write beside it on the
//     control plane reaches the app cluster through the template's accepted permission claims;
//  5. a plan added to the MongoDB DataService reaches the app cluster's CRD without rebinding;
//  6. deleting the claim on the app cluster deletes it on the control plane.
//
// The konnector binds :8080 on every interface: it runs in a network namespace of its own.
func TestKlutchLifecycle(t *testing.T) {
	skipControlPlaneIfShort(t)
	kb := testtools.KlutchBindBinaries(t)
	forEachLine(t, func(t *testing.T, p *platform) { testKlutchLifecycle(t, p, kb) })
}

func testKlutchLifecycle(t *testing.T, p *platform, kb *testtools.KlutchBind) {
	ctx := context.Background()
	ph := newPhases(t)
	root := testtools.RepoRoot(t)
	cp, kc := p.cp, p.cp.Client
	installKlutchCRDs(t, cp)

	// Step 1: the DataServices composed.
	var dss []*unstructured.Unstructured
	wants := map[string]*generator.Output{}
	for _, f := range []string{"mongodb.yaml", "servicebinding.yaml"} {
		path := filepath.Join(root, "examples", "klutch", f)
		ds := testtools.ReadObjects(t, path)[0]
		dss = append(dss, ds)
		wants[ds.GetName()] = p.generate(t, path)
	}
	// Deleted when the test ends (the claims are deleted on the app cluster, step 6, or with the
	// XRDs), and with them what they composed: the line stays as the platform left it.
	var composed []*unstructured.Unstructured
	for _, ds := range dss {
		composed = append(composed, wants[ds.GetName()].Objects()...)
	}
	deleteAfter(t, cp, dss, composed)
	for _, ds := range dss {
		cp.Apply(t, ds)
	}
	for _, ds := range dss {
		cp.WaitForConditions(t, dataServiceGVK, client.ObjectKeyFromObject(ds), "Synced", "Ready")
	}
	cp.Lap(t, "DataServices %s and %s Ready", dss[0].GetName(), dss[1].GetName())
	for _, ds := range dss {
		cp.WaitForXRD(t, wants[ds.GetName()].XRD)
	}
	t.Run("ExportTemplatesAreTheComposed", func(t *testing.T) {
		for _, ds := range dss {
			checkComposed(ctx, t, p, ds.GetName(), wants[ds.GetName()])
		}
	})
	cp.StartControllerManager(t)
	ph.end("step 1: DataServices mongodb and servicebinding Ready; XRDs Offered; the export templates they composed in " + testtools.CrossplaneNamespace)

	// Step 2: bind both APIs into the app cluster.
	for _, f := range kb.CRDFiles(t) {
		cp.WaitForCRDs(t, cp.ApplyFile(t, f)...)
	}
	app := testtools.StartAppCluster(t)
	ac := app.Client
	cp.StartKlutchBackend(t, kb)
	const bindingNS, bindingName, kubeconfigSecret, kubeconfigKey = "default", "app-cluster", "app-cluster-kubeconfig", "kubeconfig"
	cp.CreateSecret(t, bindingNS, kubeconfigSecret, map[string][]byte{kubeconfigKey: app.SelfContainedKubeconfig(t)})
	acb := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{
			"kubeconfigSecretRef": map[string]any{"name": kubeconfigSecret, "key": kubeconfigKey, "namespace": bindingNS},
			"apiExports": []any{
				map[string]any{"group": "anynines.com", "resource": "mongodbinstances"},
				map[string]any{"group": "anynines.com", "resource": "servicebindings"},
			},
			"konnector": map[string]any{"deploy": false},
		},
	}}
	acb.SetGroupVersionKind(appClusterBindingGVK)
	acb.SetNamespace(bindingNS)
	acb.SetName(bindingName)
	if err := kc.Create(ctx, acb); err != nil {
		t.Fatalf("cannot create AppClusterBinding: %v", err)
	}
	// The backend names the binding root namespace after the AppClusterBinding.
	rootNS := "klutch-bind-" + bindingNS + "-" + bindingName
	for _, r := range []string{"mongodbinstances.anynines.com", "servicebindings.anynines.com"} {
		waitExists(t, cp, apiServiceExportGVK, client.ObjectKey{Namespace: rootNS, Name: r})
		waitExists(t, cp, apiServiceBindingGVK, client.ObjectKey{Namespace: rootNS, Name: r})
	}
	waitExists(t, cp, secretGVK, client.ObjectKey{Namespace: rootNS, Name: kubeconfigSecret})
	cp.Eventually(t, "the backend's two APIServiceExportRequests in "+rootNS, bindTimeout, func(ctx context.Context) (bool, string) {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(apiServiceExportRequestGVK.GroupVersion().WithKind("APIServiceExportRequestList"))
		if err := kc.List(ctx, l, client.InNamespace(rootNS)); err != nil {
			return false, err.Error()
		}
		return len(l.Items) == 2, fmt.Sprintf("%d APIServiceExportRequests", len(l.Items))
	})
	cp.Lap(t, "backend created the APIServiceExports and APIServiceBindings in %s", rootNS)
	// klutch-bind fault: in control-plane mode nothing accepts the template's permission claims,
	// and the konnector reads them only when it starts the syncer of an export. The test accepts them
	// on the APIServiceBinding, as an operator would, before the konnector starts.
	acceptPermissionClaims(ctx, t, kc, client.ObjectKey{Namespace: rootNS, Name: "servicebindings.anynines.com"})
	cp.StartKonnector(t, kb, app, rootNS, kubeconfigSecret, kubeconfigKey)
	// klutch-bind fault: the ClusterBinding's heartbeat check reports clock drift on a fresh
	// heartbeat; the APIServiceBindings' conditions say whether the APIs are bound.
	for _, r := range []string{"mongodbinstances.anynines.com", "servicebindings.anynines.com"} {
		cp.WaitForConditions(t, apiServiceBindingGVK, client.ObjectKey{Namespace: rootNS, Name: r}, "Ready", "Connected")
		app.WaitForConditions(t, crdGVK, client.ObjectKey{Name: r}, "Established")
	}
	appCRD := get(ctx, t, ac, crdGVK, client.ObjectKey{Name: "mongodbinstances.anynines.com"})
	t.Run("AppClusterCRDCarriesOurSchema", func(t *testing.T) {
		spec := claimSpecSchema(t, appCRD)
		for _, want := range []string{"mongodbsspl-single-nano-ssl", "mongodbsspl-replica-small-ssl"} {
			if !strings.Contains(fmt.Sprint(spec["properties"].(map[string]any)["plan"]), want) {
				t.Errorf("app cluster CRD: spec.plan has no enum value %s: %v", want, spec["properties"].(map[string]any)["plan"])
			}
		}
		if !strings.Contains(fmt.Sprint(spec["properties"].(map[string]any)["service"]), "a9s-mongodb50") {
			t.Errorf("app cluster CRD: spec.service has no enum value a9s-mongodb50")
		}
		props := spec["properties"].(map[string]any)
		for _, msg := range []string{"Transition from bigger to smaller plan size is not supported.", "Migration from replicated to single Data Service Instance is not supported."} {
			if !strings.Contains(fmt.Sprint(props["plan"].(map[string]any)["x-kubernetes-validations"]), msg) {
				t.Errorf("app cluster CRD: no CEL rule with message %q on spec.plan", msg)
			}
		}
		// The whole schema of plan and service is the control plane's, as Crossplane made it from our XRD.
		cpProps := claimSpecSchema(t, get(ctx, t, kc, crdGVK, client.ObjectKey{Name: "mongodbinstances.anynines.com"}))["properties"].(map[string]any)
		for _, f := range []string{"plan", "service"} {
			if diff := subsetDiff(plain(t, cpProps[f].(map[string]any)), plain(t, props[f].(map[string]any)), "spec."+f); len(diff) > 0 {
				t.Errorf("app cluster CRD differs from the control plane's:\n%s", strings.Join(diff, "\n"))
			}
		}
	})
	ph.end("step 2: AppClusterBinding reconciled; permission claims accepted; konnector bound both CRDs into the app cluster")

	// Step 3: a claim on the app cluster.
	const appNS = "team-a"
	app.CreateSecret(t, appNS, "placeholder", nil) // creates the namespace
	claim := readClaim(t)
	claim.SetNamespace(appNS)
	t.Run("AppClusterRejectsUnknownPlan", func(t *testing.T) {
		bad := claim.DeepCopy()
		bad.SetName("unknown-plan")
		setPlan(t, bad, newPlan)
		if err := ac.Create(ctx, bad); err == nil || !strings.Contains(err.Error(), `Unsupported value: "`+newPlan+`"`) {
			t.Errorf("app cluster: creating a claim with plan %s: got %v, want Unsupported value", newPlan, err)
		}
	})
	if err := ac.Create(ctx, claim.DeepCopy()); err != nil {
		t.Fatalf("cannot create claim %s on the app cluster: %v", objectKey(claim), err)
	}
	cpClaim := waitOnControlPlane(t, cp, mongodbClaimGVK, claim.GetName())
	cp.Lap(t, "claim %s of the app cluster is %s on the control plane", objectKey(claim), objectKey(cpClaim))
	si := waitForServiceInstance(t, cp, cpClaim, "mongodbsspl-single-nano-ssl")
	setServiceInstanceState(ctx, t, kc, si, "succeeded")
	waitForManagedState(t, app, claim, "succeeded")
	t.Run("AppClusterEnforcesPlanTransitions", func(t *testing.T) {
		updatePlan(t, ac, client.ObjectKeyFromObject(claim), mongodbClaimGVK, "mongodbsspl-single-small-ssl", "")
		waitForServiceInstance(t, cp, cpClaim, "mongodbsspl-single-small-ssl")
		updatePlan(t, ac, client.ObjectKeyFromObject(claim), mongodbClaimGVK, "mongodbsspl-single-nano-ssl",
			"Transition from bigger to smaller plan size is not supported.")
	})
	ph.end("step 3: claim synced to the control plane, composed, its status back on the app cluster; downgrade refused there")

	// Step 4: a ServiceBinding claim and its credentials.
	sb := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{
		"instanceRef":         claim.GetName(),
		"serviceInstanceType": "mongodb",
		"compositionRef":      map[string]any{"name": "a9s-servicebinding"},
	}}}
	sb.SetGroupVersionKind(bindingClaimGVK)
	sb.SetNamespace(appNS)
	sb.SetName("example-binding")
	if err := ac.Create(ctx, sb); err != nil {
		t.Fatalf("cannot create ServiceBinding claim on the app cluster: %v", err)
	}
	cpSB := waitOnControlPlane(t, cp, bindingClaimGVK, sb.GetName())
	creds := provideCredentials(t, cp, app, cpSB, appNS)
	ph.end("step 4: ServiceBinding claim on the control plane in " + cpSB.GetNamespace() + "; its Secret " + creds + " on the app cluster")

	// Step 5: the operator adds a plan.
	addPlan(ctx, t, kc, dss[0].GetName(), newPlan)
	app.Eventually(t, "plan "+newPlan+" to reach the app cluster's CRD", bindTimeout, func(ctx context.Context) (bool, string) {
		crd := get(ctx, t, ac, crdGVK, client.ObjectKey{Name: "mongodbinstances.anynines.com"})
		if p := fmt.Sprint(claimSpecSchema(t, crd)["properties"].(map[string]any)["plan"]); !strings.Contains(p, newPlan) {
			return false, "plan enum " + p
		}
		return true, ""
	})
	newClaim := claim.DeepCopy()
	newClaim.SetName("new-plan")
	setPlan(t, newClaim, newPlan)
	app.Eventually(t, "the app cluster to admit a claim with plan "+newPlan, bindTimeout, func(ctx context.Context) (bool, string) {
		if err := ac.Create(ctx, newClaim.DeepCopy()); err != nil && !apierrors.IsAlreadyExists(err) {
			return false, err.Error()
		}
		return true, ""
	})
	waitOnControlPlane(t, cp, mongodbClaimGVK, newClaim.GetName())
	if got := string(get(ctx, t, ac, crdGVK, client.ObjectKey{Name: "mongodbinstances.anynines.com"}).GetUID()); got != string(appCRD.GetUID()) {
		t.Errorf("the app cluster's CRD was replaced (uid %s, was %s); want it updated in place", got, appCRD.GetUID())
	}
	ph.end("step 5: plan " + newPlan + " on the app cluster's CRD without rebinding; a claim with it admitted and synced")

	// Step 6: delete on the app cluster.
	for _, c := range []*unstructured.Unstructured{claim, newClaim, sb} {
		if err := ac.Delete(ctx, c.DeepCopy()); err != nil {
			t.Fatalf("cannot delete claim %s on the app cluster: %v", objectKey(c), err)
		}
	}
	waitGone(t, cp, "the claims on the control plane and the ServiceInstance", []*unstructured.Unstructured{cpClaim, cpSB, si})
	ph.end("step 6: claims deleted on the app cluster are gone from the control plane, with their ServiceInstance")
}

// acceptPermissionClaims sets every permission claim of the APIServiceExport on its
// APIServiceBinding, Accepted, for every name and namespace.
func acceptPermissionClaims(ctx context.Context, t *testing.T, kc client.Client, key client.ObjectKey) {
	t.Helper()
	export := get(ctx, t, kc, apiServiceExportGVK, key)
	claims, _, _ := unstructured.NestedSlice(export.Object, "spec", "permissionClaims")
	if len(claims) == 0 {
		t.Fatalf("APIServiceExport %s carries no permission claims; the template of DataService servicebinding has two", key)
	}
	for _, c := range claims {
		m := c.(map[string]any)
		m["state"] = "Accepted"
		m["required"] = false
		sel, _ := m["selector"].(map[string]any)
		if sel == nil {
			sel = map[string]any{}
		}
		sel["names"] = []any{"*"}
		sel["namespaces"] = []any{"*"}
		m["selector"] = sel
	}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		b := get(ctx, t, kc, apiServiceBindingGVK, key)
		if err := unstructured.SetNestedSlice(b.Object, claims, "spec", "permissionClaims"); err != nil {
			return err
		}
		return kc.Update(ctx, b)
	})
	if err != nil {
		t.Fatalf("cannot accept the permission claims on APIServiceBinding %s: %v", key, err)
	}
}

// waitExists waits until an object exists on cp.
func waitExists(t *testing.T, cp *testtools.ControlPlane, gvk schema.GroupVersionKind, key client.ObjectKey) {
	t.Helper()
	cp.Eventually(t, gvk.Kind+" "+key.String()+" to exist", bindTimeout, func(ctx context.Context) (bool, string) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		if err := cp.Client.Get(ctx, key, u); err != nil {
			return false, err.Error()
		}
		return true, ""
	})
}

// waitOnControlPlane waits until the one object of kind gvk named name (in whatever namespace
// klutch-bind maps the app namespace to) exists on the control plane.
func waitOnControlPlane(t *testing.T, cp *testtools.ControlPlane, gvk schema.GroupVersionKind, name string) *unstructured.Unstructured {
	t.Helper()
	var got *unstructured.Unstructured
	cp.Eventually(t, gvk.Kind+" "+name+" to reach the control plane", bindTimeout, func(ctx context.Context) (bool, string) {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err := cp.Client.List(ctx, l); err != nil {
			return false, err.Error()
		}
		var names []string
		for i := range l.Items {
			names = append(names, objectKey(&l.Items[i]))
			if l.Items[i].GetName() == name {
				got = &l.Items[i]
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d %s: %v", len(l.Items), gvk.Kind, names)
	})
	return got
}

// claimSpecSchema returns the openAPIV3Schema of spec of a CRD's first version.
func claimSpecSchema(t *testing.T, crd *unstructured.Unstructured) map[string]any {
	t.Helper()
	vs, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	if len(vs) == 0 {
		t.Fatalf("CRD %s has no versions", crd.GetName())
	}
	spec, ok, _ := unstructured.NestedMap(vs[0].(map[string]any), "schema", "openAPIV3Schema", "properties", "spec")
	if !ok {
		t.Fatalf("CRD %s has no spec schema", crd.GetName())
	}
	return spec
}
