package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/reference"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

const (
	// dataServiceFunction is the Function the DataService Composition (apis/composition.yaml) pipes to.
	dataServiceFunction = "function-dataservice"
	// placeholderFunctionPackage is what crossplane.yaml's dependsOn names; the test stages a copy of
	// the Configuration that names the package it pushed instead.
	placeholderFunctionPackage = "ghcr.io/function-dataservice/function-dataservice"
	// packageVersion tags both pushed packages; crossplane.yaml's dependsOn accepts >=v0.1.0-0.
	packageVersion = "v0.1.0"
	// newPlan is the plan the test adds to the MongoDB DataService: unknown until then.
	newPlan = "mongodbsspl-replica-nano-ssl"
)

var (
	dataServiceGVK    = schema.GroupVersionKind{Group: "dataservice.klutch.io", Version: "v1alpha1", Kind: "DataService"}
	configurationGVK  = schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: "Configuration"}
	functionListGVK   = schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: "FunctionList"}
	lockGVK           = schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1beta1", Kind: "Lock"}
	xrdGVK            = schema.GroupVersionKind{Group: "apiextensions.crossplane.io", Version: "v1", Kind: "CompositeResourceDefinition"}
	compositionGVK    = schema.GroupVersionKind{Group: "apiextensions.crossplane.io", Version: "v1", Kind: "Composition"}
	crdGVK            = schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}
	exportTemplateGVK = schema.GroupVersionKind{Group: "example-backend.klutch.anynines.com", Version: "v1alpha1", Kind: "APIServiceExportTemplate"}
)

// TestControlPlaneInstallsPackagesAndComposesDataService is issue 8's end-to-end proof, on a real
// control plane (etcd, kube-apiserver, Crossplane core v2.2.1 on 127.0.0.1):
//
//  1. the dataservice CLI builds this project's Function package (linux/amd64 and linux/arm64, no
//     Docker) and the platform Configuration (crossplane.yaml + apis/, as make xpkg stages it), and
//     pushes both to a loopback registry; Crossplane installs them from there, resolving the
//     Configuration's dependsOn to the Function already installed under the name the Composition
//     references, and serves the DataService API;
//  2. applying Klutch's MongoDB DataService makes Crossplane call our function over mTLS (the binary
//     inside the pushed package, served by the test in place of a runtime) and create the XRD, the
//     Composition and the APIServiceExportTemplate the generator makes; the DataService gets Ready;
//  3. the generated API takes Klutch's example claims, enforces its CEL rules with the generated
//     messages and composes ServiceInstances through function-patch-and-transform;
//  4. adding a plan to the DataService changes the served API in place, keeping the claims; deleting
//     the claims and then the DataService removes everything it composed.
//
// Each phase's time is logged, and summed up at the end.
func TestControlPlaneInstallsPackagesAndComposesDataService(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: builds the packages, starts etcd, kube-apiserver, Crossplane core and a registry; run without -short")
	}
	ctx := context.Background()
	ph := newPhases(t)
	root := testtools.RepoRoot(t)
	work := t.TempDir()

	// Phase: build the packages with our CLI.
	cli := buildCLI(t, work)
	fnDir := filepath.Join(work, "function")
	runCLI(t, nil, cli, "build", "function", "--package-root", filepath.Join(root, "package"),
		"--platform", "linux/amd64,linux/arm64", "--source-date-epoch", "0", "-o", fnDir)
	fnFiles := []string{filepath.Join(fnDir, "function-dataservice-amd64.xpkg"), filepath.Join(fnDir, "function-dataservice-arm64.xpkg")}
	reg := testtools.StartPackageRegistry(t)
	fnRepo := reg.Ref("function-dataservice/function-dataservice")
	platformRoot := stagePlatform(t, root, filepath.Join(work, "platform"), fnRepo)
	platformFile := filepath.Join(work, "dataservice-platform.xpkg")
	runCLI(t, nil, cli, "build", platformRoot, "-e", filepath.Join(root, "examples", "klutch"), "-o", platformFile)
	ph.end("build packages with dataservice build (function: linux/amd64+arm64; platform Configuration)")

	// Phase: push them, and function-patch-and-transform's (built with the crossplane CLI).
	env := append(os.Environ(), "DOCKER_CONFIG="+t.TempDir()) // no credentials of the machine
	fnRef := fnRepo + ":" + packageVersion
	pushedFn := strings.TrimSpace(runCLI(t, env, cli, "push", fnRef, "-f", fnFiles[0], "-f", fnFiles[1]))
	platformRef := reg.Ref("function-dataservice/dataservice-platform:" + packageVersion)
	pushedPlatform := strings.TrimSpace(runCLI(t, env, cli, "push", platformRef, "-f", platformFile))
	t.Logf("dataservice push: %s, %s", pushedFn, pushedPlatform)
	ptRef := testtools.PushFunctionPackage(t, reg, patchAndTransform, testtools.PatchAndTransform)
	// Crossplane would run the runtime image of the package; the External runtime leaves that to
	// the test, which runs the very binary of the pushed package for this machine's platform.
	fnBin := extractFunctionBinary(t, fnRef, filepath.Join(work, "bin"))
	ph.end("push packages with dataservice push to the registry " + reg.Host)

	// Phase: the control plane, with what a Klutch control plane has besides Crossplane.
	cp := testtools.StartControlPlane(t)
	kc := cp.Client
	installKlutchCRDs(t, cp)
	// Crossplane runs as its chart's service account: the chart's roles do not cover klutch-bind's
	// templates, examples/rbac.yaml does (aggregated into Crossplane's role by its label).
	const bindGroup, templates = "example-backend.klutch.anynines.com", "apiserviceexporttemplates"
	if ok, _, err := cp.CrossplaneMay(ctx, "create", bindGroup, templates, testtools.CrossplaneNamespace); err != nil || ok {
		t.Fatalf("before examples/rbac.yaml, may Crossplane create %s.%s? %v (error %v); want no: the test would not prove the file", templates, bindGroup, ok, err)
	}
	cp.ApplyFile(t, filepath.Join(root, "examples", "rbac.yaml"))
	for _, verb := range []string{"get", "list", "watch", "create", "update", "patch", "delete"} {
		cp.WaitForCrossplaneMay(t, verb, bindGroup, templates, testtools.CrossplaneNamespace)
	}
	ph.end("start control plane (Crossplane as its chart's service account); Klutch CRDs and examples/rbac.yaml applied")

	// Phase: install the packages, the Functions first (see installPackages).
	cfg := installPackages(t, cp, ptRef, fnRef, fnBin, platformRef)
	dsXRD := testtools.ReadObjects(t, filepath.Join(root, "apis", "definition.yaml"))[0]
	cp.WaitForXRD(t, dsXRD)
	ph.end("install Functions and Configuration from the registry (Installed, Healthy; DataService XRD Established)")

	t.Run("ConfigurationDependencyIsTheInstalledFunction", func(t *testing.T) {
		checkDependencyResolved(ctx, t, kc, cfg.GetName(), fnRepo)
	})
	t.Run("PackagesAreThePushedOnes", func(t *testing.T) {
		// The Composition Crossplane installed is the one of the package, and so is the XRD.
		for _, f := range []string{"definition.yaml", "composition.yaml"} {
			want := testtools.ReadObjects(t, filepath.Join(root, "apis", f))[0]
			got := get(ctx, t, kc, want.GroupVersionKind(), client.ObjectKeyFromObject(want))
			if diff := subsetDiff(plain(t, want.Object["spec"].(map[string]any)), plain(t, got.Object["spec"].(map[string]any)), "spec"); len(diff) > 0 {
				t.Errorf("%s %s installed from %s differs from apis/%s:\n%s", want.GetKind(), want.GetName(), platformRef, f, strings.Join(diff, "\n"))
			}
		}
	})

	// Phase: compose the MongoDB DataService.
	dsPath := filepath.Join(root, "examples", "klutch", "mongodb.yaml")
	ds := testtools.ReadObjects(t, dsPath)[0]
	cp.Apply(t, ds)
	want, err := generator.Generate(testtools.ReadDataService(t, dsPath), compositionDefaults(t, filepath.Join(root, "apis", "composition.yaml")))
	if err != nil {
		t.Fatalf("%s: %v", dsPath, err)
	}
	cp.WaitForConditions(t, dataServiceGVK, client.ObjectKeyFromObject(ds), "Synced", "Ready")
	cp.WaitForXRD(t, want.XRD)
	ph.end("compose DataService mongodb (Ready; generated XRD Established, Offered)")

	t.Run("DataServiceStatus", func(t *testing.T) {
		live := get(ctx, t, kc, dataServiceGVK, client.ObjectKeyFromObject(ds))
		api, err := k8sruntime.DefaultUnstructuredConverter.ToUnstructured(&want.API)
		if err != nil {
			t.Fatal(err)
		}
		wantStatus := map[string]any{
			"api": api,
			"generated": map[string]any{
				"xrd":            want.XRD.GetName(),
				"compositions":   []any{want.Compositions[0].GetName()},
				"exportTemplate": want.ExportTemplate.GetNamespace() + "/" + want.ExportTemplate.GetName(),
			},
		}
		gotStatus, _, _ := unstructured.NestedMap(live.Object, "status")
		if diff := subsetDiff(plain(t, wantStatus), plain(t, gotStatus), "status"); len(diff) > 0 {
			t.Errorf("DataService %s status:\n%s", ds.GetName(), strings.Join(diff, "\n"))
		}
	})
	t.Run("ComposedObjectsAreTheGenerated", func(t *testing.T) {
		for _, o := range want.Objects() {
			got := get(ctx, t, kc, o.GroupVersionKind(), client.ObjectKeyFromObject(o))
			if diff := subsetDiff(plain(t, o.Object["spec"].(map[string]any)), plain(t, got.Object["spec"].(map[string]any)), "spec"); len(diff) > 0 {
				t.Errorf("%s %s differs from the generator's:\n%s", o.GetKind(), objectKey(o), strings.Join(diff, "\n"))
			}
			if !controlledBy(got, dataServiceGVK.Kind, ds.GetName()) {
				t.Errorf("%s %s is not controlled by DataService %s: owner references %v", o.GetKind(), objectKey(o), ds.GetName(), got.GetOwnerReferences())
			}
		}
	})
	t.Run("CrossplaneCalledTheFunctionOverMTLS", func(t *testing.T) {
		// The function serves only mTLS (its client CA is Crossplane's root CA): a composed
		// DataService is Crossplane's call. Its log says it composed, with --debug.
		b, err := os.ReadFile(filepath.Join(cp.LogDir, "function-"+dataServiceFunction+".log"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte("Composed DataService")) {
			t.Errorf("the log of %s has no \"Composed DataService\":\n%s", dataServiceFunction, b)
		}
	})

	// Its garbage collector discovers types on start: (re)start it now that the DataService's and the
	// generated API's exist.
	cp.StartControllerManager(t)

	// Phase: claims of the generated API.
	claim := readClaim(t)
	claimKey := client.ObjectKeyFromObject(claim)
	paramsClaim := readReferenceClaim(t, "serviceinstance-claim-parameters.yaml")
	t.Run("APIServerRejectsUnknownPlan", func(t *testing.T) {
		bad := claim.DeepCopy()
		bad.SetName("new-plan")
		setPlan(t, bad, newPlan)
		err := kc.Create(ctx, bad)
		if err == nil {
			t.Fatalf("the API server accepted plan %s before the DataService offers it", newPlan)
		}
		if want := `spec.plan: Unsupported value: "` + newPlan + `"`; !strings.Contains(err.Error(), want) {
			t.Errorf("creating a claim with plan %s: got %q, want it to contain %q", newPlan, err, want)
		}
	})
	for _, c := range []*unstructured.Unstructured{claim, paramsClaim} {
		if err := kc.Create(ctx, c.DeepCopy()); err != nil {
			t.Fatalf("cannot create claim %s: %v", objectKey(c), err)
		}
	}
	si := waitForServiceInstance(t, cp, claim, "mongodbsspl-single-nano-ssl")
	psi := waitForServiceInstance(t, cp, paramsClaim, "mongodbsspl-replica-small-ssl")
	t.Run("ComposesServiceInstances", func(t *testing.T) {
		for _, c := range []struct {
			si   *unstructured.Unstructured
			want map[string]string
		}{
			{si, map[string]string{
				"spec.forProvider.serviceName": "a9s-mongodb50",
				"spec.forProvider.planName":    "mongodbsspl-single-nano-ssl",
			}},
			{psi, map[string]string{
				"spec.forProvider.serviceName": "a9s-mongodb70",
				"spec.forProvider.planName":    "mongodbsspl-replica-small-ssl",
				"spec.forProvider.parameters.set_cluster_parameter.changeStreamOptions.preAndPostImages.expireAfterSeconds": "100",
			}},
		} {
			c.want["spec.forProvider.acceptsIncomplete"] = "true"
			c.want["spec.forProvider.organizationGuid"] = "a1d46b5c-b639-4f43-85c7-e9a0e5f01f75"
			c.want["spec.forProvider.spaceGuid"] = "1bf71cf3-9017-4846-bffc-b9b31872bfaf"
			c.want["spec.providerConfigRef.name"] = "mongodb-service-broker"
			c.want["metadata.labels.crossplane.io/claim-namespace"] = "default"
			for _, path := range sortedKeys(c.want) {
				if got := field(c.si, path); got != c.want[path] {
					t.Errorf("ServiceInstance %s: %s = %q, want %q", c.si.GetName(), path, got, c.want[path])
				}
			}
			if field(c.si, "metadata.labels.crossplane.io/composite") == "" {
				t.Errorf("ServiceInstance %s has no crossplane.io/composite label", c.si.GetName())
			}
		}
		if got := field(si, "metadata.labels.crossplane.io/claim-name"); got != claim.GetName() {
			t.Errorf("ServiceInstance %s: claim-name label %q, want %q", si.GetName(), got, claim.GetName())
		}
	})
	t.Run("APIServerEnforcesPlanTransitions", func(t *testing.T) {
		updatePlan(t, kc, claimKey, claim.GroupVersionKind(), "mongodbsspl-single-small-ssl", "")
		waitForServiceInstance(t, cp, claim, "mongodbsspl-single-small-ssl")
		updatePlan(t, kc, claimKey, claim.GroupVersionKind(), "mongodbsspl-single-nano-ssl",
			"Transition from bigger to smaller plan size is not supported.")
		updatePlan(t, kc, claimKey, claim.GroupVersionKind(), "mongodbsspl-single-small",
			"Plan migrations not possible from Non-SSL to SSL and SSL to Non-SSL")
		updatePlan(t, kc, client.ObjectKeyFromObject(paramsClaim), paramsClaim.GroupVersionKind(), "mongodbsspl-single-small-ssl",
			"Migration from replicated to single Data Service Instance is not supported.")
	})
	ph.end("claims: rejected plans and transitions, two ServiceInstances composed")

	// Phase: add a plan to the DataService. The generated XRD, its CRDs and Composition are updated,
	// not replaced, and the claims keep their data.
	claimCRD := want.API.Resource + "." + want.API.Group
	uids := map[string]string{}
	watched := []struct {
		gvk schema.GroupVersionKind
		key client.ObjectKey
	}{
		{xrdGVK, client.ObjectKey{Name: want.XRD.GetName()}},
		{crdGVK, client.ObjectKey{Name: want.XRD.GetName()}},
		{crdGVK, client.ObjectKey{Name: claimCRD}},
		{compositionGVK, client.ObjectKey{Name: want.Compositions[0].GetName()}},
		{exportTemplateGVK, client.ObjectKeyFromObject(want.ExportTemplate)},
	}
	for _, w := range watched {
		uids[w.gvk.Kind+" "+w.key.String()] = string(get(ctx, t, kc, w.gvk, w.key).GetUID())
	}
	before := map[client.ObjectKey]map[string]any{}
	for _, c := range []*unstructured.Unstructured{claim, paramsClaim} {
		before[client.ObjectKeyFromObject(c)] = get(ctx, t, kc, c.GroupVersionKind(), client.ObjectKeyFromObject(c)).Object["spec"].(map[string]any)
	}
	addPlan(ctx, t, kc, ds.GetName(), newPlan)
	newClaim := claim.DeepCopy()
	newClaim.SetName("new-plan")
	setPlan(t, newClaim, newPlan)
	cp.Eventually(t, "the API server to accept a claim with plan "+newPlan, composeTimeout, func(ctx context.Context) (bool, string) {
		err := kc.Create(ctx, newClaim.DeepCopy())
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return false, err.Error()
		}
		return true, ""
	})
	nsi := waitForServiceInstance(t, cp, newClaim, newPlan)
	cp.WaitForConditions(t, dataServiceGVK, client.ObjectKeyFromObject(ds), "Synced", "Ready")
	ph.end("edit DataService: plan " + newPlan + " served, claimed and composed")

	t.Run("EditUpdatesInPlace", func(t *testing.T) {
		for _, w := range watched {
			k := w.gvk.Kind + " " + w.key.String()
			if got := string(get(ctx, t, kc, w.gvk, w.key).GetUID()); got != uids[k] {
				t.Errorf("%s was replaced (uid %s, before %s); want it updated in place", k, got, uids[k])
			}
		}
		live := get(ctx, t, kc, dataServiceGVK, client.ObjectKeyFromObject(ds))
		if got := field(nsi, "spec.forProvider.serviceName"); got != "a9s-mongodb50" {
			t.Errorf("ServiceInstance %s of plan %s: serviceName %q", nsi.GetName(), newPlan, got)
		}
		if s, msg := testtools.Condition(live, "Ready"); s != "True" {
			t.Errorf("DataService %s after the edit: Ready=%s (%s)", ds.GetName(), s, msg)
		}
	})
	t.Run("ClaimsKeepTheirData", func(t *testing.T) {
		for key, spec := range before {
			got := get(ctx, t, kc, claim.GroupVersionKind(), key).Object["spec"].(map[string]any)
			if diff := subsetDiff(plain(t, spec), plain(t, got), "spec"); len(diff) > 0 {
				t.Errorf("claim %s changed with the DataService edit:\n%s", key, strings.Join(diff, "\n"))
			}
		}
	})

	// Phase: delete the claims, then the DataService: what it composed goes with it. In this order,
	// as an operator must: deleting the DataService first deletes its XRD and with it, at once, every
	// claim of the API and the ServiceInstances they composed (tried here: all gone in half a
	// second), which in a Klutch control plane deprovisions the databases.
	for _, c := range []*unstructured.Unstructured{claim, paramsClaim, newClaim} {
		if err := kc.Delete(ctx, c.DeepCopy()); err != nil {
			t.Fatalf("cannot delete claim %s: %v", objectKey(c), err)
		}
	}
	waitGone(t, cp, "the claims and their ServiceInstances", []*unstructured.Unstructured{claim, paramsClaim, newClaim, si, psi, nsi})
	if err := kc.Delete(ctx, ds.DeepCopy()); err != nil {
		t.Fatalf("cannot delete DataService %s: %v", ds.GetName(), err)
	}
	var composed []*unstructured.Unstructured
	composed = append(composed, ds)
	composed = append(composed, want.Objects()...)
	for _, n := range []string{want.XRD.GetName(), claimCRD} {
		crd := &unstructured.Unstructured{}
		crd.SetGroupVersionKind(crdGVK)
		crd.SetName(n)
		composed = append(composed, crd)
	}
	waitGone(t, cp, "DataService "+ds.GetName()+" and what it composed", composed)
	ph.end("delete claims, then the DataService: XRD, its CRDs, Composition, export template gone")

	t.Run("PlatformStaysInstalled", func(t *testing.T) {
		cp.WaitForXRD(t, dsXRD)
		cp.WaitForConditions(t, configurationGVK, client.ObjectKeyFromObject(cfg), "Installed", "Healthy")
	})

	rss := cp.ResidentMemory()
	var total int64
	for _, b := range rss {
		total += b
	}
	t.Logf("resident memory: %d MiB in all", total>>20)
}

// phases records how long each phase of a test takes and logs the table when the test ends.
type phases struct {
	t           *testing.T
	began, last time.Time
	lines       []string
}

func newPhases(t *testing.T) *phases {
	now := time.Now()
	p := &phases{t: t, began: now, last: now}
	t.Cleanup(func() {
		status := "passed"
		if t.Failed() {
			status = "FAILED after the last phase listed"
		}
		t.Logf("phase timings (%s, total %s):\n%s", status, time.Since(p.began).Round(100*time.Millisecond), strings.Join(p.lines, "\n"))
	})
	return p
}

func (p *phases) end(name string) {
	p.t.Helper()
	now := time.Now()
	line := fmt.Sprintf("  %7.1fs  %s", now.Sub(p.last).Seconds(), name)
	p.lines = append(p.lines, line)
	p.t.Logf("phase done in %.1fs (%.1fs in all): %s", now.Sub(p.last).Seconds(), now.Sub(p.began).Seconds(), name)
	p.last = now
}

// buildCLI builds the dataservice CLI of this checkout into dir.
func buildCLI(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "dataservice")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/dataservice")
	cmd.Dir = testtools.RepoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cannot build the dataservice CLI: %v\n%s", err, out)
	}
	return bin
}

// runCLI runs the CLI in the repository root and returns its stdout; it fails the test with both
// outputs unless the CLI exits 0. env nil is the test's environment.
func runCLI(t *testing.T, env []string, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = testtools.RepoRoot(t)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	began := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("dataservice %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	t.Logf("dataservice %s (%.1fs)", strings.Join(args, " "), time.Since(began).Seconds())
	return stdout.String()
}

// stagePlatform lays out the platform Configuration's package root as make xpkg does (crossplane.yaml
// and apis/*.yaml), with crossplane.yaml's dependsOn naming fnRepo, where the test pushed the
// function, instead of the placeholder ghcr.io package.
func stagePlatform(t *testing.T, root, dir, fnRepo string) string {
	t.Helper()
	meta, err := os.ReadFile(filepath.Join(root, "crossplane.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dep := "function: " + placeholderFunctionPackage + "\n"
	if n := strings.Count(string(meta), dep); n != 1 {
		t.Fatalf("crossplane.yaml names %q %d times in dependsOn; want once, to point it at the pushed function", dep, n)
	}
	if err := os.MkdirAll(filepath.Join(dir, "apis"), 0o755); err != nil {
		t.Fatal(err)
	}
	staged := strings.Replace(string(meta), dep, "function: "+fnRepo+"\n", 1)
	// provider-kubernetes composes the export templates on Crossplane 1.x only; this control plane
	// runs v2, where the function composes them directly, and the registry holds no provider
	// package: its dependency is left out (the 1.x harness installs it from the registry).
	provider := "    - provider: xpkg.upbound.io/crossplane-contrib/provider-kubernetes\n      version: \">=v0.18.0\"\n"
	if n := strings.Count(staged, provider); n != 1 {
		t.Fatalf("crossplane.yaml names provider-kubernetes %d times in dependsOn as %q; want once", n, provider)
	}
	staged = strings.Replace(staged, provider, "", 1)
	writeTestFile(t, filepath.Join(dir, "crossplane.yaml"), staged)
	apis, err := filepath.Glob(filepath.Join(root, "apis", "*.yaml"))
	if err != nil || len(apis) == 0 {
		t.Fatalf("no apis/*.yaml in %s: %v", root, err)
	}
	for _, f := range apis {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, filepath.Join(dir, "apis", filepath.Base(f)), string(b))
	}
	return dir
}

// extractFunctionBinary pulls the Function package for this machine's platform from the registry and
// writes its runtime's program (the image's entrypoint, /function) into dir.
func extractFunctionBinary(t *testing.T, ref, dir string) string {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	platform := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	img, err := remote.Image(r, remote.WithPlatform(platform))
	if err != nil {
		t.Fatalf("cannot pull %s for %s: %v", ref, platform.String(), err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OS != platform.OS || cfg.Architecture != platform.Architecture {
		t.Fatalf("%s has no image for %s (got %s/%s): the test runs the function of the package on this machine", ref, platform.String(), cfg.OS, cfg.Architecture)
	}
	entry := strings.Join(cfg.Config.Entrypoint, " ")
	if entry != "/function" {
		t.Fatalf("%s: entrypoint %q, want /function", ref, entry)
	}
	fs := mutate.Extract(img)
	defer fs.Close()
	tr := tar.NewReader(fs)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("%s holds no /function", ref)
		}
		if err != nil {
			t.Fatalf("cannot read the filesystem of %s: %v", ref, err)
		}
		if strings.TrimPrefix(h.Name, "/") != "function" {
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(dir, dataServiceFunction)
		f, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(f, tr); err != nil {
			f.Close()
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		return bin
	}
}

// checkDependencyResolved checks that Crossplane resolved the Configuration's dependency on fnRepo to
// the Function installed under the Composition's name, and created no other Function for it.
func checkDependencyResolved(ctx context.Context, t *testing.T, kc client.Client, cfgName, fnRepo string) {
	t.Helper()
	fns := &unstructured.UnstructuredList{}
	fns.SetGroupVersionKind(functionListGVK)
	if err := kc.List(ctx, fns); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fn := range fns.Items {
		pkg, _, _ := unstructured.NestedString(fn.Object, "spec", "package")
		names = append(names, fn.GetName()+"="+pkg)
		if strings.HasPrefix(pkg, fnRepo+":") && fn.GetName() != dataServiceFunction {
			t.Errorf("Crossplane created Function %s for the Configuration's dependency %s; want it resolved to Function %s", fn.GetName(), fnRepo, dataServiceFunction)
		}
	}
	sort.Strings(names)
	if len(fns.Items) != 2 {
		t.Errorf("Functions: %v; want only %s and %s", names, dataServiceFunction, patchAndTransform)
	}

	lock := &unstructured.Unstructured{}
	lock.SetGroupVersionKind(lockGVK)
	if err := kc.Get(ctx, client.ObjectKey{Name: "lock"}, lock); err != nil {
		t.Fatal(err)
	}
	pkgs, _, _ := unstructured.NestedSlice(lock.Object, "packages")
	var cfgDeps []any
	sources := map[string]int{}
	for _, p := range pkgs {
		m, _ := p.(map[string]any)
		src, _ := m["source"].(string)
		sources[src]++
		if n, _ := m["name"].(string); strings.HasPrefix(n, cfgName+"-") {
			cfgDeps, _ = m["dependencies"].([]any)
		}
	}
	if sources[fnRepo] != 1 {
		t.Errorf("the package Lock holds %s %d times, want once: %v", fnRepo, sources[fnRepo], pkgs)
	}
	if len(cfgDeps) != 1 || fmt.Sprint(cfgDeps[0].(map[string]any)["package"]) != fnRepo {
		t.Errorf("the Lock's entry of Configuration %s depends on %v, want %s", cfgName, cfgDeps, fnRepo)
	}
	if s, msg := testtools.Condition(lock, "Resolved"); s != "" && s != "True" {
		t.Errorf("the package Lock: Resolved=%s (%s)", s, msg)
	}
}

// addPlan adds a plan to the first composition of a DataService.
func addPlan(ctx context.Context, t *testing.T, kc client.Client, dsName, plan string) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		ds := &unstructured.Unstructured{}
		ds.SetGroupVersionKind(dataServiceGVK)
		if err := kc.Get(ctx, client.ObjectKey{Name: dsName}, ds); err != nil {
			return err
		}
		comps, _, _ := unstructured.NestedSlice(ds.Object, "spec", "compositions")
		if len(comps) == 0 {
			return fmt.Errorf("DataService %s has no compositions", dsName)
		}
		c := comps[0].(map[string]any)
		plans, _ := c["plans"].([]any)
		c["plans"] = append(plans, plan)
		if err := unstructured.SetNestedSlice(ds.Object, comps, "spec", "compositions"); err != nil {
			return err
		}
		return kc.Update(ctx, ds)
	})
	if err != nil {
		t.Fatalf("cannot add plan %s to DataService %s: %v", plan, dsName, err)
	}
}

// readReferenceClaim reads one of Klutch's example claims.
func readReferenceClaim(t *testing.T, file string) *unstructured.Unstructured {
	t.Helper()
	p := reference.PathOrSkip(t, "examples", file)
	objs := testtools.ReadObjects(t, p)
	if len(objs) != 1 {
		t.Fatalf("%s: want one claim, got %d objects", p, len(objs))
	}
	return objs[0]
}

// get reads an object, failing the test when it cannot.
func get(ctx context.Context, t *testing.T, kc client.Client, gvk schema.GroupVersionKind, key client.ObjectKey) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	if err := kc.Get(ctx, key, u); err != nil {
		t.Fatalf("cannot get %s %s: %v", gvk.Kind, key, err)
	}
	return u
}

// waitGone waits until none of objs exists any more.
func waitGone(t *testing.T, cp *testtools.ControlPlane, what string, objs []*unstructured.Unstructured) {
	t.Helper()
	cp.Eventually(t, what+" to be deleted", composeTimeout, func(ctx context.Context) (bool, string) {
		for _, o := range objs {
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(o.GroupVersionKind())
			err := cp.Client.Get(ctx, client.ObjectKeyFromObject(o), u)
			if err == nil {
				return false, fmt.Sprintf("%s %s still exists (finalizers %v, deletionTimestamp %v)", o.GetKind(), objectKey(o), u.GetFinalizers(), u.GetDeletionTimestamp())
			}
			if !apierrors.IsNotFound(err) {
				return false, err.Error()
			}
		}
		return true, ""
	})
}

func controlledBy(u *unstructured.Unstructured, kind, name string) bool {
	for _, o := range u.GetOwnerReferences() {
		if o.Kind == kind && o.Name == name && o.Controller != nil && *o.Controller {
			return true
		}
	}
	return false
}

func objectKey(o *unstructured.Unstructured) string {
	if o.GetNamespace() != "" {
		return o.GetNamespace() + "/" + o.GetName()
	}
	return o.GetName()
}

// subsetDiff lists where got does not hold want: every map key of want with an equal value (got may
// have more keys, e.g. what the API server defaults), lists of equal length element by element.
// Both are JSON-shaped (see plain).
func subsetDiff(want, got any, path string) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: got %s, want an object", path, short(got))}
		}
		var diff []string
		for _, k := range sortedKeys(w) {
			gv, ok := g[k]
			if !ok {
				diff = append(diff, fmt.Sprintf("%s.%s: missing, want %s", path, k, short(w[k])))
				continue
			}
			diff = append(diff, subsetDiff(w[k], gv, path+"."+k)...)
		}
		return diff
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: got %s, want %s", path, short(got), short(want))}
		}
		var diff []string
		for i := range w {
			diff = append(diff, subsetDiff(w[i], g[i], fmt.Sprintf("%s[%d]", path, i))...)
		}
		return diff
	default:
		if !reflect.DeepEqual(want, got) {
			return []string{fmt.Sprintf("%s: got %s, want %s", path, short(got), short(want))}
		}
		return nil
	}
}

func short(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
