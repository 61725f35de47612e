package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/pkgmeta"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// The live-change tests change a DataService that has instances, on the real control plane of
// each Crossplane line, through the installed function (function/live.go): removing a plan an
// instance uses is held back (the DataService says so, naming the instance; the XRD keeps
// offering the plan; the instance stays Ready and its composed resource keeps the plan's values);
// hiding the plan instead applies (the instance keeps working, a new instance on the plan is
// refused); the annotation dataservice.klutch.io/allow-breaking-changes applies the removal. They
// measure what the API server (kube-apiserver v1.34.2) does with an instance whose plan the XRD no
// longer offers, and run `dataservice check-compat --kubeconfig` against the same cluster.

// liveService is a data service the live-change tests change: a DataService whose API, names and
// Compositions are its own on the shared control plane, two plans of it and how its instances are
// made and composed.
type liveService struct {
	ds *v1alpha1.DataService
	// removed is the plan instance A has, which the change removes; kept is instance B's.
	removed, kept string
	// remove edits a DataService to drop removed; hide to hide it.
	remove, hide func(ds *v1alpha1.DataService)
	// instance is a new instance in ns on a plan.
	instance func(ns, name, plan string) *unstructured.Unstructured
	// composed waits until the instance's composed resource has the plan's values, and returns it.
	composed func(t *testing.T, p *platform, in *unstructured.Unstructured, plan string) *unstructured.Unstructured
	// ready makes the composed resource ready as its provider or operator would.
	ready func(t *testing.T, p *platform, composed *unstructured.Unstructured)
	// update changes a field of the instance other than its plan.
	update func(u *unstructured.Unstructured)
	// catalog says the plan's values come from a catalog the Composition maps: once the plan is
	// removed, its instances' composed resources cannot be rendered.
	catalog bool
}

// TestLiveChangeListedPlans changes Klutch's MongoDB (plans listed by its composition, passed to
// provider-anynines' ServiceInstance as they are).
func TestLiveChangeListedPlans(t *testing.T) {
	forEachLine(t, func(t *testing.T, p *platform) {
		installKlutchCRDs(t, p.cp)
		ds := liveDataService(t, filepath.Join(testtools.RepoRoot(t), "examples", "klutch", "mongodb.yaml"))
		const removed, kept = "mongodbsspl-single-big", "mongodbsspl-single-small"
		api := p.generateDS(t, ds).API
		testLiveChange(t, p, &liveService{
			ds: ds, removed: removed, kept: kept,
			remove: func(ds *v1alpha1.DataService) {
				c := &ds.Spec.Compositions[0]
				c.Plans = slices.DeleteFunc(slices.Clone(c.Plans), func(p string) bool { return p == removed })
			},
			hide: func(ds *v1alpha1.DataService) { ds.Spec.Plan.Hidden = []string{removed} },
			instance: func(ns, name, plan string) *unstructured.Unstructured {
				return &unstructured.Unstructured{Object: map[string]any{
					"apiVersion": api.Group + "/" + api.Version, "kind": api.Kind,
					"metadata": map[string]any{"name": name, "namespace": ns},
					"spec":     map[string]any{"service": "a9s-mongodb70", "plan": plan},
				}}
			},
			composed: func(t *testing.T, p *platform, in *unstructured.Unstructured, plan string) *unstructured.Unstructured {
				return waitForServiceInstance(t, p.cp, in, plan)
			},
			ready: func(t *testing.T, p *platform, si *unstructured.Unstructured) {
				setStatus(t, p, si, func(u *unstructured.Unstructured) {
					_ = unstructured.SetNestedSlice(u.Object, []any{map[string]any{"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": time.Now().UTC().Format(time.RFC3339)}}, "status", "conditions")
				})
			},
			update: func(u *unstructured.Unstructured) {
				_ = unstructured.SetNestedField(u.Object, false, "spec", "acceptsIncomplete")
			},
		})
	})
}

// TestLiveChangeCatalogPlans changes the internal Valkey (plans from a catalog, their values mapped
// into the operator's Valkey CR by the Composition): examples/internal/v1 on Crossplane 1.x (the
// Valkey inside a provider-kubernetes Object), examples/internal/v2 on v2.
func TestLiveChangeCatalogPlans(t *testing.T) {
	forEachLine(t, func(t *testing.T, p *platform) {
		installKlutchCRDs(t, p.cp) // the DataService composes klutch-bind's export template
		line := "v2"
		if p.v1() {
			line = "v1"
		}
		ds := liveDataService(t, filepath.Join(testtools.RepoRoot(t), "examples", "internal", line, "valkey.yaml"))
		const removed, kept = "medium", "small"
		out := p.generateDS(t, ds)
		prepareValkey(t, p, ds, out)
		service := ds.Spec.Service.Catalog[0]
		testLiveChange(t, p, &liveService{
			ds: ds, removed: removed, kept: kept, catalog: true,
			remove: func(ds *v1alpha1.DataService) {
				ds.Spec.Plan.Catalog = slices.DeleteFunc(slices.Clone(ds.Spec.Plan.Catalog), func(o v1alpha1.Offering) bool { return o.Name == removed })
				ds.Spec.Plan.Changes[0].NoDownsizing.Sizes = slices.DeleteFunc(slices.Clone(ds.Spec.Plan.Changes[0].NoDownsizing.Sizes), func(s string) bool { return s == removed })
			},
			hide: func(ds *v1alpha1.DataService) { ds.Spec.Plan.Hidden = []string{removed} },
			instance: func(ns, name, plan string) *unstructured.Unstructured {
				return &unstructured.Unstructured{Object: map[string]any{
					"apiVersion": out.API.Group + "/" + out.API.Version, "kind": out.API.Kind,
					"metadata": map[string]any{"name": name, "namespace": ns},
					"spec":     map[string]any{"service": service.Name, "plan": plan},
				}}
			},
			composed: func(t *testing.T, p *platform, in *unstructured.Unstructured, plan string) *unstructured.Unstructured {
				v := waitForValkey(t, p, in, offering(t, ds, plan))
				assertPlanValues(t, v.Object, offering(t, ds, plan), service)
				return v
			},
			ready: func(t *testing.T, p *platform, v *unstructured.Unstructured) {
				// What the operator would do; on 1.x the Object is Ready once it created the Valkey.
				setStatus(t, p, v, func(u *unstructured.Unstructured) { _ = unstructured.SetNestedField(u.Object, true, "status", "ready") })
			},
			update: func(u *unstructured.Unstructured) {
				u.SetLabels(map[string]string{"team": "caching"})
				_ = unstructured.SetNestedField(u.Object, "valkey-8", "spec", "service")
			},
		})
	})
}

// liveDataService reads an example DataService and gives it names of its own (DataService, group,
// kinds, Compositions), so that it shares nothing with the other tests on the line.
func liveDataService(t *testing.T, path string) *v1alpha1.DataService {
	t.Helper()
	ds := testtools.ReadDataService(t, path)
	ds.Name = "live-" + ds.Name
	ds.Spec.Group = "live.example.org"
	ds.Spec.Kind = "Live" + ds.Spec.Kind
	if ds.Spec.Composite != nil {
		ds.Spec.Composite = nil
	}
	for i := range ds.Spec.Compositions {
		ds.Spec.Compositions[i].Name = "live-" + ds.Spec.Compositions[i].Name
	}
	if ds.Spec.DefaultComposition != "" {
		ds.Spec.DefaultComposition = "live-" + ds.Spec.DefaultComposition
	}
	return ds
}

// prepareValkey installs what composing the Valkey needs besides the API: the operator's CRD, the
// ClusterRole generate writes for the kinds the Compositions compose, and on 1.x the role it writes
// for provider-kubernetes (crossplane-rbac.yaml).
func prepareValkey(t *testing.T, p *platform, ds *v1alpha1.DataService, out *generator.Output) {
	t.Helper()
	cp := p.cp
	cp.WaitForCRDs(t, cp.ApplyFile(t, filepath.Join(testtools.RepoRoot(t), "examples", "internal", "crds", "hyperspike.io_valkeys.yaml"))...)
	pm, err := pkgmeta.Package(ds.GetName(), "", []*generator.Output{out})
	if err != nil || pm.ClusterRole == nil {
		t.Fatalf("package meta of %s: %v (ClusterRole %v)", ds.GetName(), err, pm.ClusterRole)
	}
	// What generate writes beside the package as crossplane-rbac.yaml: Crossplane's role and, on
	// 1.x, provider-kubernetes' for the Valkey its Objects hold.
	objs := append([]*unstructured.Unstructured{pm.ClusterRole}, pm.ProviderKubernetes...)
	deleteAfter(t, cp, objs)
	cp.Apply(t, objs...)
	if p.v1() {
		cp.WaitForServiceAccountMay(t, p.provider.ServiceAccount, "create", "hyperspike.io", "valkeys", "live-a")
		cp.WaitForCrossplaneMay(t, "create", "kubernetes.crossplane.io", "objects", "")
	} else {
		cp.WaitForCrossplaneMay(t, "create", "hyperspike.io", "valkeys", "live-a")
	}
}

// testLiveChange is the live change of one data service on one line.
func testLiveChange(t *testing.T, p *platform, s *liveService) {
	ctx := context.Background()
	cp, kc := p.cp, p.cp.Client
	const nsA, nsB = "live-a", "live-b"
	for _, ns := range []string{nsA, nsB} {
		cp.Apply(t, &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}})
	}
	base := s.ds.DeepCopy()
	want := p.generateDS(t, base)
	dsKey := client.ObjectKey{Name: base.Name}
	a, b := s.instance(nsA, "orders", s.removed), s.instance(nsB, "carts", s.kept)
	aName := nsA + "/orders"
	deleteAfter(t, cp, []*unstructured.Unstructured{a, b}, []*unstructured.Unstructured{asObject(t, base)}, want.Objects())

	// The DataService and an instance on each of two plans, Ready.
	applyDataService(t, p, base)
	cp.WaitForConditions(t, dataServiceGVK, dsKey, "Synced", "Ready")
	cp.WaitForXRD(t, want.XRD)
	cp.StartControllerManager(t) // its garbage collector discovers the new types on start
	cp.Lap(t, "DataService %s composed (XRD %s Established)", base.Name, want.XRD.GetName())
	for _, in := range []*unstructured.Unstructured{a, b} {
		if err := kc.Create(ctx, in.DeepCopy()); err != nil {
			t.Fatalf("cannot create %s %s: %v", in.GetKind(), objectKey(in), err)
		}
	}
	composedA := s.composed(t, p, a, s.removed)
	s.ready(t, p, composedA)
	s.ready(t, p, s.composed(t, p, b, s.kept))
	for _, in := range []*unstructured.Unstructured{a, b} {
		cp.WaitForConditions(t, in.GroupVersionKind(), client.ObjectKeyFromObject(in), "Synced", "Ready")
	}
	cp.Lap(t, "%s %s on plan %s and %s on plan %s Ready", a.GetKind(), objectKey(a), s.removed, objectKey(b), s.kept)

	// The releases check-compat compares: as released, and the change.
	dir := t.TempDir()
	removed := base.DeepCopy()
	s.remove(removed)
	oldFile, newFile := writeDataService(t, dir, "released.yaml", base), writeDataService(t, dir, "removed.yaml", removed)

	t.Run("RemovingAPlanInUseIsHeldBack", func(t *testing.T) {
		applyDataService(t, p, removed)
		msg := waitChangesApplied(t, p, dsKey, "False", "BreakingChangesHeldBack")
		t.Logf("DataService %s: ChangesApplied=False: %s", base.Name, msg)
		for _, w := range []string{`plan "` + s.removed + `" is no longer offered`, aName, "spec.plan.hidden", v1alpha1.AnnotationAllowBreakingChanges} {
			if !strings.Contains(msg, w) {
				t.Errorf("the ChangesApplied condition does not say %q: %s", w, msg)
			}
		}
		if strings.Contains(msg, nsB+"/carts") {
			t.Errorf("the condition names %s, whose plan %s stays: %s", nsB+"/carts", s.kept, msg)
		}
		if !offers(t, p, want.XRD, s.removed) {
			t.Errorf("XRD %s no longer offers plan %s: the change was applied", want.XRD.GetName(), s.removed)
		}
		// A while later, and still: nothing was applied, the instance is Ready with its values.
		time.Sleep(5 * time.Second)
		cp.WaitForConditions(t, a.GroupVersionKind(), client.ObjectKeyFromObject(a), "Synced", "Ready")
		got := get(ctx, t, kc, composedA.GroupVersionKind(), client.ObjectKeyFromObject(composedA))
		if diff := subsetDiff(plain(t, composedA.Object["spec"].(map[string]any)), plain(t, got.Object["spec"].(map[string]any)), "spec"); len(diff) > 0 {
			t.Errorf("%s %s composed for %s changed:\n%s", got.GetKind(), objectKey(got), aName, strings.Join(diff, "\n"))
		}
		cp.Lap(t, "removal of plan %s held back; %s Ready, its %s unchanged", s.removed, aName, got.GetKind())
	})

	t.Run("CheckCompatNamesTheInstance", func(t *testing.T) {
		// The same answer offline, from the cluster's instances.
		out, code := checkCompat(t, oldFile, newFile, "--kubeconfig", cp.Kubeconfig)
		if code != 3 {
			t.Errorf("check-compat --kubeconfig exited %d, want 3:\n%s", code, out)
		}
		flat := strings.Join(strings.Fields(out), " ")
		for _, w := range []string{"BREAKS 1 instance: plan \"" + s.removed + "\" is no longer offered", aName} {
			if !strings.Contains(flat, w) {
				t.Errorf("check-compat --kubeconfig does not say %q:\n%s", w, out)
			}
		}
		hidden := base.DeepCopy()
		s.hide(hidden)
		if out, code := checkCompat(t, oldFile, writeDataService(t, dir, "hidden.yaml", hidden), "--kubeconfig", cp.Kubeconfig); code != 0 {
			t.Errorf("check-compat --kubeconfig of hiding the plan exited %d, want 0:\n%s", code, out)
		}
	})

	t.Run("HidingThePlanApplies", func(t *testing.T) {
		hidden := base.DeepCopy()
		s.hide(hidden)
		applyDataService(t, p, hidden)
		waitChangesApplied(t, p, dsKey, "True", "Applied")
		cp.Eventually(t, "XRD "+want.XRD.GetName()+" to keep plan "+s.removed+" for existing instances only", composeTimeout, func(ctx context.Context) (bool, string) {
			return hides(t, p, want.XRD, s.removed), "no hidden-plan rule yet"
		})
		// The instance keeps working: Ready, and an update that keeps its plan is accepted.
		cp.WaitForConditions(t, a.GroupVersionKind(), client.ObjectKeyFromObject(a), "Synced", "Ready")
		if err := updateInstance(ctx, kc, a, s.update); err != nil {
			t.Errorf("updating %s, which keeps its hidden plan %s: %v", aName, s.removed, err)
		}
		// A new instance on the plan is refused, with the generated rule's message.
		c := s.instance(nsB, "new-on-hidden", s.removed)
		err := kc.Create(ctx, c)
		if err == nil {
			_ = kc.Delete(ctx, c)
			t.Fatalf("a new instance on hidden plan %s was accepted", s.removed)
		}
		if !strings.Contains(err.Error(), "Plan no longer offered (kept only for instances that have it)") {
			t.Errorf("a new instance on hidden plan %s: %v; want the hidden-plan rule's message", s.removed, err)
		}
		cp.Lap(t, "plan %s hidden: applied; %s keeps working; a new instance on it refused", s.removed, aName)
	})

	t.Run("AnnotationAppliesTheRemoval", func(t *testing.T) {
		allowed := removed.DeepCopy()
		allowed.SetAnnotations(map[string]string{v1alpha1.AnnotationAllowBreakingChanges: "true"})
		applyDataService(t, p, allowed)
		msg := waitChangesApplied(t, p, dsKey, "True", "BreakingChangesAllowed")
		if !strings.Contains(msg, aName) {
			t.Errorf("the ChangesApplied condition does not name %s, which the change breaks: %s", aName, msg)
		}
		cp.Eventually(t, "XRD "+want.XRD.GetName()+" to no longer offer plan "+s.removed, composeTimeout, func(ctx context.Context) (bool, string) {
			return !offers(t, p, want.XRD, s.removed), "still offered"
		})
		cp.Lap(t, "removal of plan %s applied as the annotation asks", s.removed)
		// The XRD records it, so that the condition keeps saying so whatever Crossplane writes later.
		xrd := get(ctx, t, kc, want.XRD.GroupVersionKind(), client.ObjectKeyFromObject(want.XRD))
		if rec := xrd.GetAnnotations()[v1alpha1.AnnotationBreakingChangesApplied]; !strings.Contains(rec, aName) {
			t.Errorf("XRD %s: annotation %s is %q, want it to name %s", xrd.GetName(), v1alpha1.AnnotationBreakingChangesApplied, rec, aName)
		}

		// What the API server does with an instance on a plan its XRD no longer offers, measured.
		err := updateInstance(ctx, kc, a, s.update)
		t.Logf("measured on kube-apiserver %s: an update of %s that keeps plan %s, which the XRD no longer offers: %v", testtools.Kubernetes, aName, s.removed, errOrAccepted(err))
		if err != nil {
			t.Errorf("kube-apiserver %s ratchets an unchanged invalid value: want the update of %s accepted, got %v", testtools.Kubernetes, aName, err)
		}
		c := s.instance(nsB, "new-on-removed", s.removed)
		err = kc.Create(ctx, c)
		t.Logf("measured on kube-apiserver %s: a new instance on plan %s: %v", testtools.Kubernetes, s.removed, errOrAccepted(err))
		if err == nil {
			_ = kc.Delete(ctx, c)
			t.Errorf("a new instance on removed plan %s was accepted", s.removed)
		}
		err = updateInstance(ctx, kc, b, func(u *unstructured.Unstructured) { setPlan(t, u, s.removed) })
		t.Logf("measured on kube-apiserver %s: %s changing its plan %s to %s: %v", testtools.Kubernetes, nsB+"/carts", s.kept, s.removed, errOrAccepted(err))
		if err == nil {
			t.Errorf("changing %s to removed plan %s was accepted", nsB+"/carts", s.removed)
		}
		// Reconciles later, the condition still says what the annotation applied.
		time.Sleep(2 * time.Second)
		if msg := waitChangesApplied(t, p, dsKey, "True", "BreakingChangesAllowed"); !strings.Contains(msg, aName) {
			t.Errorf("the ChangesApplied condition no longer names %s: %s", aName, msg)
		}
		if !s.catalog {
			return
		}
		// Its composite, composed from a Composition whose map no longer has the plan.
		xr := compositeOf(ctx, t, kc, a)
		var got string
		cp.Eventually(t, xr.GetKind()+" "+objectKey(xr)+" to fail to render", composeTimeout, func(ctx context.Context) (bool, string) {
			u := get(ctx, t, kc, xr.GroupVersionKind(), client.ObjectKeyFromObject(xr))
			st, msg := testtools.Condition(u, "Synced")
			got = "Synced=" + st + " (" + msg + ")"
			return st == "False" && strings.Contains(msg, "not found in map"), got
		})
		t.Logf("measured: once plan %s is gone from the catalog, the composite of %s: %s", s.removed, aName, got)
	})
}

// compositeOf is the composite of an instance: the claim's (Crossplane 1.x, spec.resourceRef), or
// the instance itself.
func compositeOf(ctx context.Context, t *testing.T, kc client.Client, in *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	u := get(ctx, t, kc, in.GroupVersionKind(), client.ObjectKeyFromObject(in))
	ref, ok, _ := unstructured.NestedStringMap(u.Object, "spec", "resourceRef")
	if !ok {
		return u
	}
	xr := &unstructured.Unstructured{}
	xr.SetAPIVersion(ref["apiVersion"])
	xr.SetKind(ref["kind"])
	xr.SetName(ref["name"])
	return xr
}

// applyDataService applies ds as the test's field manager: fields it no longer sets are removed.
func applyDataService(t *testing.T, p *platform, ds *v1alpha1.DataService) {
	t.Helper()
	p.cp.Apply(t, asObject(t, ds))
}

func asObject(t *testing.T, ds *v1alpha1.DataService) *unstructured.Unstructured {
	t.Helper()
	b, err := json.Marshal(ds)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := json.Unmarshal(b, &u.Object); err != nil {
		t.Fatal(err)
	}
	u.SetGroupVersionKind(dataServiceGVK)
	unstructured.RemoveNestedField(u.Object, "status")
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	return u
}

// generateDS is what the function composes from ds on this line, with the platform Composition's
// input.
func (p *platform) generateDS(t *testing.T, ds *v1alpha1.DataService) *generator.Output {
	t.Helper()
	out, err := generator.Generate(ds, compositionDefaults(t, filepath.Join(testtools.RepoRoot(t), "apis", "composition.yaml")))
	if err != nil {
		t.Fatalf("DataService %s: %v", ds.Name, err)
	}
	return out
}

func writeDataService(t *testing.T, dir, name string, ds *v1alpha1.DataService) string {
	t.Helper()
	b, err := yaml.Marshal(asObject(t, ds).Object)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	writeTestFile(t, p, string(b))
	return p
}

// waitChangesApplied waits until the DataService's ChangesApplied condition has status and reason,
// and returns its message.
func waitChangesApplied(t *testing.T, p *platform, key client.ObjectKey, status, reason string) string {
	t.Helper()
	var msg string
	p.cp.Eventually(t, "DataService "+key.Name+" to report ChangesApplied="+status+" ("+reason+")", composeTimeout, func(ctx context.Context) (bool, string) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(dataServiceGVK)
		if err := p.cp.Client.Get(ctx, key, u); err != nil {
			return false, err.Error()
		}
		s, m := testtools.Condition(u, "ChangesApplied")
		if s != status || !strings.HasPrefix(m, reason+": ") {
			sy, sm := testtools.Condition(u, "Synced")
			return false, "ChangesApplied=" + s + " (" + m + "); Synced=" + sy + " (" + sm + ")"
		}
		msg = strings.TrimPrefix(m, reason+": ")
		return true, ""
	})
	return msg
}

// offers says whether the XRD as served offers plan: its schema's plan enum lists it.
func offers(t *testing.T, p *platform, xrd *unstructured.Unstructured, plan string) bool {
	t.Helper()
	enum, _, _ := unstructured.NestedSlice(planSchema(t, p, xrd), "enum")
	return slices.Contains(enum, any(plan))
}

// hides says whether the XRD as served keeps plan for existing instances only.
func hides(t *testing.T, p *platform, xrd *unstructured.Unstructured, plan string) bool {
	t.Helper()
	rules, _, _ := unstructured.NestedSlice(planSchema(t, p, xrd), "x-kubernetes-validations")
	for _, r := range rules {
		m, _ := r.(map[string]any)
		if h := generator.ParseHiddenPlans(hiddenRule(m)); slices.Contains(h, plan) {
			return true
		}
	}
	return false
}

func planSchema(t *testing.T, p *platform, xrd *unstructured.Unstructured) map[string]any {
	t.Helper()
	got := get(context.Background(), t, p.cp.Client, xrd.GroupVersionKind(), client.ObjectKeyFromObject(xrd))
	versions, _, _ := unstructured.NestedSlice(got.Object, "spec", "versions")
	if len(versions) == 0 {
		t.Fatalf("XRD %s has no versions", xrd.GetName())
	}
	s, _, _ := unstructured.NestedMap(versions[0].(map[string]any), "schema", "openAPIV3Schema", "properties", "spec", "properties", "plan")
	return s
}

// updateInstance changes an instance with edit, again on a conflict with Crossplane's own writes.
func updateInstance(ctx context.Context, kc client.Client, in *unstructured.Unstructured, edit func(*unstructured.Unstructured)) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(in.GroupVersionKind())
		if err := kc.Get(ctx, client.ObjectKeyFromObject(in), u); err != nil {
			return err
		}
		edit(u)
		return kc.Update(ctx, u)
	})
}

// setStatus sets the status of a composed resource as its provider or operator would.
func setStatus(t *testing.T, p *platform, composed *unstructured.Unstructured, edit func(*unstructured.Unstructured)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		u := get(context.Background(), t, p.cp.Client, composed.GroupVersionKind(), client.ObjectKeyFromObject(composed))
		edit(u)
		return p.cp.Client.Status().Update(context.Background(), u)
	})
	if err != nil {
		t.Fatalf("cannot set the status of %s %s: %v", composed.GetKind(), objectKey(composed), err)
	}
}

func errOrAccepted(err error) string {
	if err == nil {
		return "accepted"
	}
	return "refused: " + err.Error()
}

// checkCompat runs this checkout's dataservice check-compat and returns its stdout and stderr and
// its exit code.
func checkCompat(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cliOnce.Do(func() { cliBin = buildCLI(t, shared.TB(t).TempDir()) })
	if cliBin == "" {
		t.Fatal("building the dataservice CLI failed before")
	}
	cmd := exec.Command(cliBin, append([]string{"check-compat"}, args...)...)
	cmd.Dir = testtools.RepoRoot(t)
	cmd.Env = append(os.Environ(), "KUBECONFIG=/nonexistent")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &ee):
		return out.String(), ee.ExitCode()
	}
	t.Fatalf("dataservice check-compat: %v\n%s", err, out.String())
	return "", 0
}

// hiddenRule is a rule of a served schema as the generator's parsers read it.
func hiddenRule(m map[string]any) extv1.ValidationRule {
	r := extv1.ValidationRule{}
	r.Rule, _ = m["rule"].(string)
	r.Message, _ = m["message"].(string)
	if o, ok := m["optionalOldSelf"].(bool); ok {
		r.OptionalOldSelf = &o
	}
	return r
}

var (
	cliOnce sync.Once
	cliBin  string
)
