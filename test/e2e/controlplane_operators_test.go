package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/function-dataservice/function-dataservice/internal/backendcrd"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

var cnpgClusterGVK = schema.GroupVersionKind{Group: "postgresql.cnpg.io", Version: "v1", Kind: "Cluster"}

// TestControlPlaneTypeChecksAndComposesInternalPostgres proves the CloudNativePG example of each
// line (examples/internal/v1/postgres.yaml on 1.x, v2/postgres.yaml on v2) on the real control
// plane, through the function, as the README's operator path says:
//   - the DataService is applied before the operator's CRD is installed: the function composes its
//     API anyway, with a warning event naming the kind it could not type-check;
//   - once the CRD is installed (no operator runs), the function asks Crossplane for it and checks
//     against it: a typo in a mapping is the DataService's error (Synced False) with the message
//     generate --crd prints, and fixing it composes again;
//   - with the RBAC generate writes beside the package (crossplane-rbac.yaml: Crossplane's role for
//     the composed kinds and, on 1.x, provider-kubernetes' for what its Objects hold) applied, an
//     instance of the API is composed into the operator's Cluster CR with the plan's and the
//     service's values, which the API server accepts against the operator's CRD.
func TestControlPlaneTypeChecksAndComposesInternalPostgres(t *testing.T) {
	forEachLine(t, testTypeChecksAndComposesInternalPostgres)
}

func testTypeChecksAndComposesInternalPostgres(t *testing.T, p *platform) {
	ctx := context.Background()
	ph := newPhases(t)
	root := testtools.RepoRoot(t)
	cp, kc := p.cp, p.cp.Client
	line := "v2"
	if p.v1() {
		line = "v1"
	}
	specPath := filepath.Join(root, "examples", "internal", line, "postgres.yaml")
	crdPath := filepath.Join(root, "examples", "internal", "crds", "postgresql.cnpg.io_clusters.yaml")
	crds, err := backendcrd.Read(crdPath)
	if err != nil {
		t.Fatal(err)
	}
	spec := testtools.ReadDataService(t, specPath)
	out, err := generator.GenerateWith(ctx, spec, compositionDefaults(t, filepath.Join(root, "apis", "composition.yaml")), generator.Options{CRDs: crds})
	if err != nil {
		t.Fatalf("generate --crd %s: %v", specPath, err)
	}
	// The RBAC as the README's operator path has it: generate --crd writes crossplane-rbac.yaml
	// beside the package root, and the operator applies that file.
	pkgRoot := filepath.Join(t.TempDir(), "package")
	runCLI(t, nil, p.pkgs.cli, "generate", "-f", specPath, "--crd", crdPath, "-o", pkgRoot)
	rbacFile := filepath.Join(filepath.Dir(pkgRoot), "crossplane-rbac.yaml")
	rbac := testtools.ReadObjects(t, rbacFile)

	ds := testtools.ReadObjects(t, specPath)[0]
	// A Klutch control plane serves klutch-bind's APIServiceExportTemplate, which the DataService
	// composes beside its API: without it the DataService is never Ready.
	installKlutchCRDs(t, cp)
	const ns = "internal-postgres"
	namespace := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns}}}
	cp.Apply(t, namespace)
	service, small := spec.Spec.Service.Catalog[0], spec.Spec.Plan.Catalog[0]
	instance := namespacedInstance(out.API, "orders", ns, small.Name, service.Name)
	crd := testtools.ReadObjects(t, crdPath)
	// Left as found: the instance, then the DataService and what it composed, the CRD and roles.
	deleteAfter(t, cp, []*unstructured.Unstructured{instance}, []*unstructured.Unstructured{ds}, out.Objects(), append(crd, rbac...))

	// 1. Before the operator: composed, and a warning names the kind not checked.
	cp.Apply(t, ds)
	cp.WaitForConditions(t, dataServiceGVK, client.ObjectKeyFromObject(ds), "Synced", "Ready")
	ph.end(fmt.Sprintf("DataService %s composed before the CloudNativePG CRD is installed", ds.GetName()))
	t.Run("WarnsOfTheKindItCouldNotCheck", func(t *testing.T) {
		waitForEvent(t, cp, ds, "postgresql.cnpg.io/v1 Cluster is composed without type-checking what the DataService maps onto it: the control plane serves no CustomResourceDefinition clusters.postgresql.cnpg.io")
	})

	// 2. The operator's CRD installed: a typo is the DataService's error, with generate's message.
	cp.WaitForCRDs(t, cp.ApplyFile(t, crdPath)...)
	ph.end("CloudNativePG's CRD established")
	t.Run("TypoIsTheDataServicesErrorOnceTheCRDIsInstalled", func(t *testing.T) {
		to := "spec.storage.size"
		if p.v1() {
			to = "spec.forProvider.manifest.spec.storage.size"
		}
		setMappingTarget(t, kc, ds, to, strings.Replace(to, "storage.size", "storage.sise", 1))
		want := fmt.Sprintf(`Invalid value: "%s": %s: no such field in postgresql.cnpg.io/v1 Cluster; did you mean %s?`,
			strings.Replace(to, "storage.size", "storage.sise", 1), strings.Replace(to, "storage.size", "storage.sise", 1), to)
		cp.Eventually(t, "DataService "+ds.GetName()+" to be refused with the CRD's path", composeTimeout, func(ctx context.Context) (bool, string) {
			u := get(ctx, t, kc, dataServiceGVK, client.ObjectKeyFromObject(ds))
			s, msg := testtools.Condition(u, "Synced")
			return s == "False" && strings.Contains(msg, want), "Synced " + s + ": " + msg
		})
		setMappingTarget(t, kc, ds, strings.Replace(to, "storage.size", "storage.sise", 1), to)
		cp.WaitForConditions(t, dataServiceGVK, client.ObjectKeyFromObject(ds), "Synced", "Ready")
		ph.end("typo refused against the installed CRD, fixed")
	})
	cp.WaitForXRD(t, out.XRD)

	// 3. With generate's RBAC, an instance is composed into the operator's Cluster.
	cp.ApplyFile(t, rbacFile)
	if p.v1() {
		cp.WaitForServiceAccountMay(t, p.provider.ServiceAccount, "create", cnpgClusterGVK.Group, "clusters", ns)
	} else {
		cp.WaitForCrossplaneMay(t, "create", cnpgClusterGVK.Group, "clusters", ns)
	}
	ph.end(fmt.Sprintf("crossplane-rbac.yaml applied (%d objects)", len(rbac)))
	if err := kc.Create(ctx, instance.DeepCopy()); err != nil {
		t.Fatalf("cannot create %s %s: %v", instance.GetKind(), client.ObjectKeyFromObject(instance), err)
	}
	var cluster *unstructured.Unstructured
	cp.Eventually(t, "a CloudNativePG Cluster for "+instance.GetName(), composeTimeout, func(ctx context.Context) (bool, string) {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(cnpgClusterGVK.GroupVersion().WithKind("ClusterList"))
		if err := kc.List(ctx, l, client.InNamespace(ns)); err != nil {
			return false, err.Error()
		}
		if len(l.Items) != 1 {
			return false, fmt.Sprintf("%d Clusters; %s: %s", len(l.Items), instance.GetKind(), claimState(ctx, kc, instance))
		}
		cluster = &l.Items[0]
		return true, ""
	})
	ph.end(fmt.Sprintf("Cluster %s composed for %s %s", cluster.GetName(), instance.GetKind(), instance.GetName()))
	t.Run("ComposesTheClusterOfThePlanAndService", func(t *testing.T) {
		for _, m := range spec.Spec.Compositions[0].Backend.Fields {
			what, name, ok := strings.Cut(m.Value, ".")
			if !ok {
				continue
			}
			offer := small
			if what == "service" {
				offer = service
			}
			var want any
			if err := json.Unmarshal(offer.Values[name].Raw, &want); err != nil {
				t.Fatal(err)
			}
			path := strings.TrimPrefix(m.To, "spec.forProvider.manifest.")
			got, err := fieldpath.Pave(cluster.Object).GetValue(path)
			if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("Cluster %s: %s = %v (%v), want %v (%s)", cluster.GetName(), path, got, err, want, m.Value)
			}
		}
	})
}

// setMappingTarget changes the backend mapping of the DataService ds that writes from to write to.
func setMappingTarget(t *testing.T, kc client.Client, ds *unstructured.Unstructured, from, to string) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		u := get(context.Background(), t, kc, dataServiceGVK, client.ObjectKeyFromObject(ds))
		// NoCopy: the edits below change u itself (NestedSlice would hand out a copy).
		comps, _, _ := unstructured.NestedFieldNoCopy(u.Object, "spec", "compositions")
		comp := comps.([]any)[0].(map[string]any)
		backend := comp["backend"].(map[string]any)
		ms := backend["fields"].([]any)
		found := false
		for _, m := range ms {
			if mm := m.(map[string]any); mm["to"] == from {
				mm["to"], found = to, true
			}
		}
		if !found {
			t.Fatalf("DataService %s maps nothing to %s", ds.GetName(), from)
		}
		return kc.Update(context.Background(), u)
	})
	if err != nil {
		t.Fatalf("cannot change DataService %s: %v", ds.GetName(), err)
	}
}

// waitForEvent waits for a Warning event of a cluster-scoped object whose message holds want.
func waitForEvent(t *testing.T, cp *testtools.ControlPlane, obj *unstructured.Unstructured, want string) {
	t.Helper()
	cp.Eventually(t, fmt.Sprintf("a warning event of %s %s saying %q", obj.GetKind(), obj.GetName(), want), composeTimeout, func(ctx context.Context) (bool, string) {
		l := &corev1.EventList{}
		if err := cp.Client.List(ctx, l); err != nil {
			return false, err.Error()
		}
		var seen []string
		for _, e := range l.Items {
			if e.InvolvedObject.Kind != obj.GetKind() || e.InvolvedObject.Name != obj.GetName() {
				continue
			}
			if e.Type == corev1.EventTypeWarning && strings.Contains(e.Message, want) {
				return true, ""
			}
			seen = append(seen, e.Type+": "+e.Message)
		}
		return false, fmt.Sprintf("%d events: %s", len(seen), strings.Join(seen, " | "))
	})
}
