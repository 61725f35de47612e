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
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

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
	functionGVK       = schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: "Function"}
	providerGVK       = schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: "Provider"}
	lockGVK           = schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1beta1", Kind: "Lock"}
	xrdGVK            = schema.GroupVersionKind{Group: "apiextensions.crossplane.io", Version: "v1", Kind: "CompositeResourceDefinition"}
	compositionGVK    = schema.GroupVersionKind{Group: "apiextensions.crossplane.io", Version: "v1", Kind: "Composition"}
	crdGVK            = schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}
	exportTemplateGVK = schema.GroupVersionKind{Group: "example-backend.klutch.anynines.com", Version: "v1alpha1", Kind: "APIServiceExportTemplate"}
)

// TestControlPlaneInstallsPackagesAndComposesDataService is issue 8's end-to-end proof, on a real
// control plane of each Crossplane line (etcd, kube-apiserver, Crossplane core on 127.0.0.1):
//
//  1. the dataservice CLI builds this project's Function package (linux/amd64 and linux/arm64, no
//     Docker) and the platform Configuration (crossplane.yaml + apis/, as make xpkg stages it), and
//     pushes both to a loopback registry; Crossplane installs them from there, resolving the
//     Configuration's dependencies to the Function and provider-kubernetes already installed under
//     the names the Compositions reference, and serves the DataService API (see platformOf: the
//     line's first control-plane test installs it);
//  2. applying Klutch's MongoDB DataService makes Crossplane call our function over mTLS (the binary
//     inside the pushed package, served by the test in place of a runtime) and create the XRD, the
//     Composition and the APIServiceExportTemplate the generator makes (on 1.x through a
//     provider-kubernetes Object, which the provider reconciles); the DataService gets Ready;
//  3. the generated API takes Klutch's example claims, enforces its CEL rules with the generated
//     messages and composes ServiceInstances through function-patch-and-transform;
//  4. adding a plan to the DataService changes the served API in place, keeping the claims; deleting
//     the claims and then the DataService removes everything it composed.
//
// Each phase's time is logged, and summed up at the end.
func TestControlPlaneInstallsPackagesAndComposesDataService(t *testing.T) {
	forEachLine(t, testInstallsPackagesAndComposesDataService)
}

func testInstallsPackagesAndComposesDataService(t *testing.T, p *platform) {
	ctx := context.Background()
	ph := newPhases(t)
	root := testtools.RepoRoot(t)
	cp, kc, cfg := p.cp, p.cp.Client, p.cfg
	t.Logf("packages built and pushed once for every line:\n%s", strings.Join(p.pkgs.phases, "\n"))
	t.Logf("platform installed once on Crossplane %s:\n%s", p.line, strings.Join(p.phases, "\n"))
	installKlutchCRDs(t, cp)
	ph.end("Klutch CRDs applied")

	t.Run("RBACExampleIsWhatLetsCrossplaneComposeTemplates", func(t *testing.T) {
		if p.templatesBeforeRBAC {
			t.Errorf("before examples/rbac.yaml, Crossplane could create apiserviceexporttemplates: the test does not prove the file")
		}
	})
	t.Run("FunctionsAndProviderHealthy", func(t *testing.T) {
		for _, n := range []string{patchAndTransform, dataServiceFunction} {
			cp.WaitForConditions(t, functionGVK, client.ObjectKey{Name: n}, "Installed", "Healthy")
		}
		cp.WaitForConditions(t, providerGVK, client.ObjectKey{Name: providerKubernetes}, "Installed", "Healthy")
	})
	t.Run("ConfigurationDependenciesAreTheInstalledPackages", func(t *testing.T) {
		cp.WaitForConditions(t, configurationGVK, client.ObjectKeyFromObject(cfg), "Installed", "Healthy")
		checkDependencyResolved(ctx, t, kc, cfg.GetName(), p.pkgs.platformDeps)
	})
	t.Run("PackagesAreThePushedOnes", func(t *testing.T) {
		// The Composition Crossplane installed is the one of the package, and so is the XRD.
		for _, f := range []string{"definition.yaml", "composition.yaml"} {
			want := testtools.ReadObjects(t, filepath.Join(root, "apis", f))[0]
			got := get(ctx, t, kc, want.GroupVersionKind(), client.ObjectKeyFromObject(want))
			if diff := subsetDiff(plain(t, want.Object["spec"].(map[string]any)), plain(t, got.Object["spec"].(map[string]any)), "spec"); len(diff) > 0 {
				t.Errorf("%s %s installed from %s differs from apis/%s:\n%s", want.GetKind(), want.GetName(), p.pkgs.platformRef, f, strings.Join(diff, "\n"))
			}
		}
	})

	// Phase: compose the MongoDB DataService.
	dsPath := filepath.Join(root, "examples", "klutch", "mongodb.yaml")
	ds := testtools.ReadObjects(t, dsPath)[0]
	want := p.generate(t, dsPath)
	claim := readClaim(t)
	paramsClaim := readReferenceClaim(t, "serviceinstance-claim-parameters.yaml")
	newClaim := claim.DeepCopy()
	newClaim.SetName("new-plan")
	// Whatever happens, the line is left as the platform had it: claims first, then the DataService
	// and what it composed.
	deleteAfter(t, cp, []*unstructured.Unstructured{claim, paramsClaim, newClaim}, []*unstructured.Unstructured{ds}, want.Objects())
	cp.Apply(t, ds)
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
		checkComposed(ctx, t, p, ds.GetName(), want)
	})
	t.Run("RequestFitsTheEstimate", func(t *testing.T) {
		checkRequestEstimate(ctx, t, kc, dsPath, ds, want)
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
	claimKey := client.ObjectKeyFromObject(claim)
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
		cp.WaitForXRD(t, testtools.ReadObjects(t, filepath.Join(root, "apis", "definition.yaml"))[0])
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

// checkDependencyResolved checks that Crossplane resolved the Configuration's dependencies to the
// packages installed under the names Compositions and Objects use (deps: repository to the name of
// the Function or Provider installed from it), and installed no other package for them.
func checkDependencyResolved(ctx context.Context, t *testing.T, kc client.Client, cfgName string, deps map[string]string) {
	t.Helper()
	var names []string
	for _, kind := range []string{"FunctionList", "ProviderList"} {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: kind})
		if err := kc.List(ctx, l); err != nil {
			t.Fatal(err)
		}
		for _, pkg := range l.Items {
			src, _, _ := unstructured.NestedString(pkg.Object, "spec", "package")
			names = append(names, pkg.GetName()+"="+src)
			for repo, name := range deps {
				if strings.HasPrefix(src, repo+":") && pkg.GetName() != name {
					t.Errorf("Crossplane installed %s %s for the Configuration's dependency %s; want it resolved to %s", strings.TrimSuffix(kind, "List"), pkg.GetName(), repo, name)
				}
			}
		}
	}
	sort.Strings(names)
	if len(names) != 3 {
		t.Errorf("packages: %v; want only those the platform installs: %s, %s and %s", names, dataServiceFunction, patchAndTransform, providerKubernetes)
	}

	lock := &unstructured.Unstructured{}
	lock.SetGroupVersionKind(lockGVK)
	if err := kc.Get(ctx, client.ObjectKey{Name: "lock"}, lock); err != nil {
		t.Fatal(err)
	}
	pkgs, _, _ := unstructured.NestedSlice(lock.Object, "packages")
	var cfgDeps []string
	sources := map[string]int{}
	for _, p := range pkgs {
		m, _ := p.(map[string]any)
		src, _ := m["source"].(string)
		sources[src]++
		if n, _ := m["name"].(string); strings.HasPrefix(n, cfgName+"-") {
			ds, _ := m["dependencies"].([]any)
			for _, d := range ds {
				cfgDeps = append(cfgDeps, fmt.Sprint(d.(map[string]any)["package"]))
			}
		}
	}
	sort.Strings(cfgDeps)
	var wantDeps []string
	for repo := range deps {
		wantDeps = append(wantDeps, repo)
		if sources[repo] != 1 {
			t.Errorf("the package Lock holds %s %d times, want once: %v", repo, sources[repo], pkgs)
		}
	}
	sort.Strings(wantDeps)
	if !reflect.DeepEqual(cfgDeps, wantDeps) {
		t.Errorf("the Lock's entry of Configuration %s depends on %v, want %v", cfgName, cfgDeps, wantDeps)
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
			if !apierrors.IsNotFound(err) && !meta.IsNoMatchError(err) {
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
