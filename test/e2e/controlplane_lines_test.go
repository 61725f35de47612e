package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// The control-plane tests run on every Crossplane line of testtools.CrossplaneLines (v1.20.7 and
// v2.2.1 unless $DATASERVICE_CROSSPLANE_LINES picks others), each as a subtest named for the
// release, TestX/crossplane-v1.20.7. They share, per line, one control plane with the platform
// installed from a loopback registry (see platformOf); each test uses names and namespaces of its
// own there and deletes what it created, so that the next finds the line as the platform left it.
// Building and pushing the packages happens once for every line.

// shared holds what outlives a test: the packages and registry, and a control plane per line.
var shared testtools.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	shared.Close()
	os.Exit(code)
}

const (
	// providerKubernetes is the provider the platform Configuration depends on (on Crossplane 1.x the
	// function composes export templates inside its Objects) and the internal v1 example composes.
	providerKubernetes = "provider-kubernetes"
	// platformName is the platform Configuration's name.
	platformName = "dataservice-platform"
)

// forEachLine runs f as a subtest per Crossplane line, on the line's platform.
func forEachLine(t *testing.T, f func(t *testing.T, p *platform)) {
	t.Helper()
	skipControlPlaneIfShort(t)
	for _, v := range testtools.CrossplaneLines(t) {
		t.Run("crossplane-"+v, func(t *testing.T) { f(t, platformOf(t, v)) })
	}
}

// packages are this checkout's packages and the released ones the platform needs, built and pushed
// once to a registry every line pulls from.
type packages struct {
	reg *testtools.PackageRegistry
	// cli is the dataservice CLI of this checkout, which built them.
	cli string
	// fnRepo is where the Function package is (fnRef tagged), fnBin the program inside it for this
	// machine's platform.
	fnRepo, fnRef, fnBin string
	// platformRef is the platform Configuration, its dependencies pointed at this registry;
	// platformDeps maps each dependency's repository to the name the platform installs it under.
	platformRef  string
	platformDeps map[string]string
	// ptRef and providerRef are function-patch-and-transform's and provider-kubernetes' packages.
	ptRef, providerRef string
	// phases are the timings of building and pushing.
	phases []string
}

var (
	packagesOnce sync.Once
	pkgs         *packages
	pkgsErr      string
)

// sharedPackages builds and pushes the packages on first use; a failure fails every test that
// needs them.
func sharedPackages(t *testing.T) *packages {
	t.Helper()
	packagesOnce.Do(func() {
		pkgsErr = "building the packages failed in " + t.Name() + " (see its log)"
		pkgs = buildPackages(t, shared.TB(t))
		pkgsErr = ""
	})
	if pkgsErr != "" {
		t.Fatal(pkgsErr)
	}
	return pkgs
}

// buildPackages builds this checkout's Function package (linux/amd64 and linux/arm64, no Docker) and
// the platform Configuration (crossplane.yaml + apis/, as make xpkg stages it) with the dataservice
// CLI, and pushes them, function-patch-and-transform's and provider-kubernetes' to a loopback
// registry.
func buildPackages(t *testing.T, tb testing.TB) *packages {
	t.Helper()
	began := time.Now()
	last := began
	p := &packages{}
	phase := func(name string) {
		now := time.Now()
		p.phases = append(p.phases, fmt.Sprintf("  %7.1fs  %s", now.Sub(last).Seconds(), name))
		t.Logf("phase done in %.1fs (%.1fs in all): %s", now.Sub(last).Seconds(), now.Sub(began).Seconds(), name)
		last = now
	}
	root := testtools.RepoRoot(t)
	work := tb.TempDir()
	cli := buildCLI(t, work)
	p.cli = cli
	fnDir := filepath.Join(work, "function")
	runCLI(t, nil, cli, "build", "function", "--package-root", filepath.Join(root, "package"),
		"--platform", "linux/amd64,linux/arm64", "--source-date-epoch", "0", "-o", fnDir)
	fnFiles := []string{filepath.Join(fnDir, "function-dataservice-amd64.xpkg"), filepath.Join(fnDir, "function-dataservice-arm64.xpkg")}
	p.reg = testtools.StartPackageRegistry(tb)
	p.fnRepo = p.reg.Ref("function-dataservice/function-dataservice")
	providerRepo := p.reg.Ref("crossplane-contrib/" + providerKubernetes)
	ptRepo := p.reg.Ref("crossplane-contrib/" + patchAndTransform)
	platformRoot, deps := stagePlatform(t, root, filepath.Join(work, "platform"), map[string]string{
		dataServiceFunction: p.fnRepo, providerKubernetes: providerRepo, patchAndTransform: ptRepo,
	})
	p.platformDeps = deps
	platformFile := filepath.Join(work, "dataservice-platform.xpkg")
	runCLI(t, nil, cli, "build", platformRoot, "-e", filepath.Join(root, "examples", "klutch"), "-o", platformFile)
	phase("build packages with dataservice build (function: linux/amd64+arm64; platform Configuration)")

	env := append(os.Environ(), "DOCKER_CONFIG="+tb.TempDir()) // no credentials of the machine
	p.fnRef = p.fnRepo + ":" + packageVersion
	pushedFn := strings.TrimSpace(runCLI(t, env, cli, "push", p.fnRef, "-f", fnFiles[0], "-f", fnFiles[1]))
	p.platformRef = p.reg.Ref("function-dataservice/dataservice-platform:" + packageVersion)
	pushedPlatform := strings.TrimSpace(runCLI(t, env, cli, "push", p.platformRef, "-f", platformFile))
	t.Logf("dataservice push: %s, %s", pushedFn, pushedPlatform)
	p.ptRef = testtools.PushFunctionPackage(tb, p.reg, patchAndTransform, testtools.PatchAndTransform)
	p.providerRef = testtools.PushProviderPackage(tb, p.reg, providerKubernetes, testtools.ProviderKubernetes)
	// Crossplane would run the runtime image of the package; the External runtime leaves that to
	// the test, which runs the very binary of the pushed package for this machine's platform.
	p.fnBin = extractFunctionBinary(t, p.fnRef, filepath.Join(work, "bin"))
	phase("push packages to the registry " + p.reg.Host + " (dataservice push; crossplane xpkg for function-patch-and-transform and provider-kubernetes)")
	return p
}

// A platform is a line's control plane with what a Klutch control plane has besides Crossplane and
// this project's platform, installed once per line by the first test that needs it:
// examples/rbac.yaml, the Functions function-patch-and-transform and function-dataservice,
// provider-kubernetes with its ProviderConfig, and the platform Configuration, all pulled from the
// registry.
type platform struct {
	line string
	cp   *testtools.ControlPlane
	pkgs *packages
	cfg  *unstructured.Unstructured
	// provider is provider-kubernetes as it runs.
	provider *testtools.ProviderServer
	// templatesBeforeRBAC is whether Crossplane could create export templates before
	// examples/rbac.yaml was applied (it must not: else the test proves nothing of the file).
	templatesBeforeRBAC bool
	// phases are the timings of installing.
	phases []string
}

var (
	platformsMu sync.Mutex
	platforms   = map[string]*platform{}
	// platformErr records a line whose platform failed to come up, and in which test.
	platformErr = map[string]string{}
)

// platformOf returns the platform of a Crossplane line, starting it on first use, and makes its
// control plane t's (see ControlPlane.Use).
func platformOf(t *testing.T, line string) *platform {
	t.Helper()
	platformsMu.Lock()
	defer platformsMu.Unlock()
	if msg, ok := platformErr[line]; ok {
		t.Fatal(msg)
	}
	if p := platforms[line]; p != nil {
		p.cp.Use(t)
		p.cp.Lap(t, "%s uses the shared Crossplane %s control plane", t.Name(), line)
		return p
	}
	platformErr[line] = fmt.Sprintf("the platform of Crossplane %s (packages, control plane, installed packages) failed to come up in %s (see its log)", line, t.Name())
	p := startPlatform(t, line)
	delete(platformErr, line)
	platforms[line] = p
	return p
}

func startPlatform(t *testing.T, line string) *platform {
	t.Helper()
	ctx := context.Background()
	root := testtools.RepoRoot(t)
	pk := sharedPackages(t)
	// Built before anything starts: a cold build must not eat the timeouts of what waits.
	ptBin := testtools.Function(t, patchAndTransform, testtools.PatchAndTransform)
	providerBin := testtools.Provider(t, providerKubernetes, testtools.ProviderKubernetes)

	began := time.Now()
	last := began
	p := &platform{line: line, pkgs: pk}
	phase := func(name string) {
		now := time.Now()
		p.phases = append(p.phases, fmt.Sprintf("  %7.1fs  %s", now.Sub(last).Seconds(), name))
		t.Logf("phase done in %.1fs (%.1fs in all): %s", now.Sub(last).Seconds(), now.Sub(began).Seconds(), name)
		last = now
	}
	p.cp = testtools.StartSharedControlPlane(t, &shared, line)
	cp := p.cp
	cp.Reach(t, pk.reg.Host)
	// Crossplane runs as its chart's service account: the chart's roles do not cover klutch-bind's
	// templates, examples/rbac.yaml does (aggregated into Crossplane's role by its label).
	const bindGroup, templates = "example-backend.klutch.anynines.com", "apiserviceexporttemplates"
	ok, _, err := cp.CrossplaneMay(ctx, "create", bindGroup, templates, testtools.CrossplaneNamespace)
	if err != nil {
		t.Fatalf("may Crossplane create %s.%s? %v", templates, bindGroup, err)
	}
	p.templatesBeforeRBAC = ok
	cp.ApplyFile(t, filepath.Join(root, "examples", "rbac.yaml"))
	for _, verb := range []string{"get", "list", "watch", "create", "update", "patch", "delete"} {
		cp.WaitForCrossplaneMay(t, verb, bindGroup, templates, testtools.CrossplaneNamespace)
	}
	phase("start control plane (Crossplane " + line + " as its chart's service account); examples/rbac.yaml applied")

	// The Functions and the Provider first, under the names the Compositions and Objects use:
	// Crossplane's dependency resolution would otherwise install the Configuration's dependencies
	// itself, named after their repositories, which no Composition pipes to.
	pt := cp.StartFunction(t, patchAndTransform, ptBin)
	cp.InstallFunction(t, patchAndTransform, pk.ptRef, pt)
	fs := cp.StartFunction(t, dataServiceFunction, pk.fnBin, "--debug", "--metrics-address="+freeAddress(t))
	cp.InstallFunction(t, dataServiceFunction, pk.fnRef, fs)
	// provider-kubernetes as an operator installs it (examples/provider-kubernetes.yaml: the Provider
	// and the DeploymentRuntimeConfig that names its ServiceAccount, which examples/rbac.yaml binds),
	// its package pulled from the registry. It polls its Objects every 5s instead of 10m, so that an
	// observed status comes back within a test's patience. Then its ProviderConfig
	// (examples/provider-kubernetes-config.yaml, InjectedIdentity: the ServiceAccount it runs as).
	var prov *unstructured.Unstructured
	for _, o := range testtools.ReadObjects(t, filepath.Join(root, "examples", "provider-kubernetes.yaml")) {
		if o.GetKind() == "Provider" {
			prov = o
			continue
		}
		cp.Apply(t, o)
	}
	if prov == nil || prov.GetName() != providerKubernetes {
		t.Fatalf("examples/provider-kubernetes.yaml holds no Provider %s", providerKubernetes)
	}
	p.provider = cp.InstallProvider(t, providerKubernetes, pk.providerRef, providerBin, prov, "--poll=5s")
	cp.ApplyFile(t, filepath.Join(root, "examples", "provider-kubernetes-config.yaml"))
	phase("install Functions and provider-kubernetes from the registry (Installed, Healthy) and its ProviderConfig")

	p.cfg = &unstructured.Unstructured{}
	p.cfg.SetGroupVersionKind(configurationGVK)
	p.cfg.SetName(platformName)
	_ = unstructured.SetNestedField(p.cfg.Object, pk.platformRef, "spec", "package")
	if err := cp.Client.Create(ctx, p.cfg); err != nil {
		t.Fatalf("cannot create Configuration %s: %v", platformName, err)
	}
	cp.WaitForConditions(t, configurationGVK, client.ObjectKeyFromObject(p.cfg), "Installed", "Healthy")
	cp.WaitForXRD(t, testtools.ReadObjects(t, filepath.Join(root, "apis", "definition.yaml"))[0])
	phase("install the platform Configuration (Installed, Healthy; DataService XRD Established)")
	t.Logf("platform of Crossplane %s up in %s:\n%s", line, time.Since(began).Round(100*time.Millisecond), strings.Join(p.phases, "\n"))
	return p
}

// v1 reports whether the line is Crossplane 1.x.
func (p *platform) v1() bool { return strings.HasPrefix(p.line, "v1.") }

// stagePlatform lays out the platform Configuration's package root as make xpkg does (crossplane.yaml
// and apis/*.yaml), with each of crossplane.yaml's dependencies
// pointed at where the test pushed it: repos maps a package's name (the last element of its
// repository) to the repository to use. It returns the root and the dependencies, by repository to
// package name.
func stagePlatform(t *testing.T, root, dir string, repos map[string]string) (string, map[string]string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "crossplane.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	meta := map[string]any{}
	if err := yaml.Unmarshal(b, &meta); err != nil {
		t.Fatalf("crossplane.yaml: %v", err)
	}
	deps, _, _ := unstructured.NestedSlice(meta, "spec", "dependsOn")
	if len(deps) == 0 {
		t.Fatal("crossplane.yaml has no dependsOn; want the function's at least")
	}
	used := map[string]string{}
	for i, d := range deps {
		m, _ := d.(map[string]any)
		var key, pkg string
		for _, k := range []string{"function", "provider", "configuration", "package"} {
			if s, ok := m[k].(string); ok {
				key, pkg = k, s
			}
		}
		name := pkg[strings.LastIndex(pkg, "/")+1:]
		repo, ok := repos[name]
		if !ok {
			t.Fatalf("crossplane.yaml: dependsOn[%d] names %q, a package this test does not push", i, pkg)
		}
		m[key] = repo
		used[repo] = name
	}
	if err := unstructured.SetNestedSlice(meta, deps, "spec", "dependsOn"); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "apis"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(dir, "crossplane.yaml"), string(toYAML(t, meta)))
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
	return dir, used
}

// generate is what the function composes from the DataService in path on this line, with the
// platform Composition's input.
func (p *platform) generate(t *testing.T, path string) *generator.Output {
	t.Helper()
	root := testtools.RepoRoot(t)
	out, err := generator.Generate(testtools.ReadDataService(t, path), compositionDefaults(t, filepath.Join(root, "apis", "composition.yaml")))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

// checkComposed checks what Crossplane composed for the DataService named ds: the generated XRD,
// Compositions and export template exist as the generator writes them; what the DataService
// references as composed is controlled by it; and the export template is the one it composed: on
// v2 directly, on 1.x through a provider-kubernetes Object it composed, which observes that very
// template (same UID).
func checkComposed(ctx context.Context, t *testing.T, p *platform, ds string, want *generator.Output) {
	t.Helper()
	kc := p.cp.Client
	for _, o := range want.Objects() {
		got := get(ctx, t, kc, o.GroupVersionKind(), client.ObjectKeyFromObject(o))
		if diff := subsetDiff(plain(t, o.Object["spec"].(map[string]any)), plain(t, got.Object["spec"].(map[string]any)), "spec"); len(diff) > 0 {
			t.Errorf("%s %s differs from the generator's:\n%s", o.GetKind(), objectKey(o), strings.Join(diff, "\n"))
		}
	}
	live := get(ctx, t, kc, dataServiceGVK, client.ObjectKey{Name: ds})
	refs := composedRefs(live)
	if len(refs) == 0 {
		t.Fatalf("DataService %s references nothing it composed", ds)
	}
	var objects []*unstructured.Unstructured
	for _, r := range refs {
		got := get(ctx, t, kc, r.GroupVersionKind(), client.ObjectKeyFromObject(r))
		if !controlledBy(got, dataServiceGVK.Kind, ds) {
			t.Errorf("%s %s is not controlled by DataService %s: owner references %v", r.GetKind(), objectKey(r), ds, got.GetOwnerReferences())
		}
		if got.GroupVersionKind().Group == "kubernetes.crossplane.io" && got.GetKind() == "Object" {
			objects = append(objects, got)
		}
	}
	if want.ExportTemplate == nil {
		return
	}
	tmpl := get(ctx, t, kc, want.ExportTemplate.GroupVersionKind(), client.ObjectKeyFromObject(want.ExportTemplate))
	if !p.v1() {
		if !controlledBy(tmpl, dataServiceGVK.Kind, ds) {
			t.Errorf("export template %s is not controlled by DataService %s: owner references %v", objectKey(tmpl), ds, tmpl.GetOwnerReferences())
		}
		return
	}
	// On 1.x an XR cannot reference a namespaced resource: a cluster-scoped Object wraps it.
	for _, o := range objects {
		uid, _, _ := unstructured.NestedString(o.Object, "status", "atProvider", "manifest", "metadata", "uid")
		if uid == string(tmpl.GetUID()) {
			if s, msg := testtools.Condition(o, "Ready"); s != "True" {
				t.Errorf("Object %s, which created export template %s: Ready=%s (%s)", o.GetName(), objectKey(tmpl), s, msg)
			}
			return
		}
	}
	t.Errorf("export template %s (uid %s) is observed by none of the %d provider-kubernetes Objects DataService %s composed", objectKey(tmpl), tmpl.GetUID(), len(objects), ds)
}

// composedRefs are the resources a composite references as composed: spec.resourceRefs on
// Crossplane 1.x, spec.crossplane.resourceRefs on v2.
func composedRefs(xr *unstructured.Unstructured) []*unstructured.Unstructured {
	refs, ok, _ := unstructured.NestedSlice(xr.Object, "spec", "crossplane", "resourceRefs")
	if !ok {
		refs, _, _ = unstructured.NestedSlice(xr.Object, "spec", "resourceRefs")
	}
	var out []*unstructured.Unstructured
	for _, r := range refs {
		m, _ := r.(map[string]any)
		u := &unstructured.Unstructured{Object: map[string]any{}}
		u.SetAPIVersion(fmt.Sprint(m["apiVersion"]))
		u.SetKind(fmt.Sprint(m["kind"]))
		if n, ok := m["name"].(string); ok {
			u.SetName(n)
		}
		if ns, ok := m["namespace"].(string); ok {
			u.SetNamespace(ns)
		}
		out = append(out, u)
	}
	return out
}

// deleteAfter deletes, when t ends, the objects of each group that still exist and waits until they
// are gone, group after group (claims before the API that serves them): a test leaves the shared
// line as it found it, also when it fails half-way. An XRD is gone once its CRDs are: Crossplane
// cannot serve an XRD of the same name again before (it backs off, for a minute and more).
func deleteAfter(t *testing.T, cp *testtools.ControlPlane, groups ...[]*unstructured.Unstructured) {
	t.Helper()
	t.Cleanup(func() {
		for _, g := range groups {
			gone := g
			for _, o := range g {
				if err := cp.Client.Delete(context.Background(), o.DeepCopy()); err != nil && !apierrors.IsNotFound(err) && !meta.IsNoMatchError(err) {
					t.Errorf("cleanup: cannot delete %s %s: %v", o.GetKind(), objectKey(o), err)
				}
				gone = append(gone, crdsOf(o)...)
			}
			waitGone(t, cp, "cleanup: what the test created", gone)
		}
	})
}

// crdsOf returns the CRDs Crossplane makes of an XRD (or a DataService XRD's generated XRD, given
// as the XRD): the composite's, named like the XRD, and the claim's; none for other objects.
func crdsOf(o *unstructured.Unstructured) []*unstructured.Unstructured {
	if o.GroupVersionKind().GroupKind() != xrdGVK.GroupKind() {
		return nil
	}
	names := []string{o.GetName()}
	if plural, ok, _ := unstructured.NestedString(o.Object, "spec", "claimNames", "plural"); ok {
		group, _, _ := unstructured.NestedString(o.Object, "spec", "group")
		names = append(names, plural+"."+group)
	}
	var crds []*unstructured.Unstructured
	for _, n := range names {
		crd := &unstructured.Unstructured{}
		crd.SetGroupVersionKind(crdGVK)
		crd.SetName(n)
		crds = append(crds, crd)
	}
	return crds
}
