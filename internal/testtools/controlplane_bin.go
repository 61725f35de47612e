package testtools

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Pinned versions of the control plane the end-to-end tests run.
const (
	// Kubernetes is the release kube-apiserver and kube-controller-manager are built from.
	Kubernetes = "v1.34.2"

	// EtcdVersion is the etcd release the control plane stores its objects in (kube-apiserver
	// v1.34 supports etcd 3.5 and 3.6).
	EtcdVersion = "v3.6.16"
	// DistributionVersion is the release of distribution's registry (the registry image of Docker)
	// that packages are pushed to and pulled from.
	DistributionVersion = "v3.0.0"
)

// KubeAPIServer returns kube-apiserver of the pinned Kubernetes release, building it on first use
// (test/tools/kubebin.sh, about 3 minutes cold on 2 cores).
func KubeAPIServer(t testing.TB) string {
	t.Helper()
	return buildKube(t, "kube-apiserver", Kubernetes)
}

// KubeControllerManager returns kube-controller-manager of the pinned Kubernetes release, building
// it on first use.
func KubeControllerManager(t testing.TB) string {
	t.Helper()
	return buildKube(t, "kube-controller-manager", Kubernetes)
}

// CrossplaneCoreBinary returns Crossplane core (the controller manager, not the CLI) of a version,
// building it on first use from github.com/crossplane/crossplane (v1) or its /v2 module. It is
// cached as crossplane-core-VERSION beside the CLIs.
//
// The version is stamped into it as Crossplane's release builds do: unstamped, Crossplane knows no
// version of its own and refuses every package that states spec.crossplane.version ("package is
// not compatible with Crossplane version (): Invalid Semantic Version").
func CrossplaneCoreBinary(t testing.TB, version string) string {
	t.Helper()
	r := mustCoreRelease(t, version)
	return buildWithLDFlags(t, "crossplane-core", r.module(), version, "./cmd/crossplane", CrossplaneCoreLDFlags(version))
}

// CrossplaneCoreLDFlags are the linker flags that stamp version into Crossplane core, as its release
// build does (nix/build.nix); make tools passes the same.
func CrossplaneCoreLDFlags(version string) string {
	r := coreRelease{major: 2}
	if strings.HasPrefix(version, "v1.") {
		r.major = 1
	}
	return "-X=" + r.module() + "/internal/version.version=" + version
}

// CrossplaneCRDs returns the folder of Crossplane core's own CRDs (cluster/crds of its module), what
// `crossplane core init` installs from $CRDS_PATH.
func CrossplaneCRDs(t testing.TB, version string) string {
	t.Helper()
	dir := filepath.Join(ModuleDir(t, mustCoreRelease(t, version).module(), version), "cluster", "crds")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("crossplane %s has no CRD folder: %v", version, err)
	}
	return dir
}

func mustCoreRelease(t testing.TB, version string) coreRelease {
	t.Helper()
	r, err := coreReleaseOf(version)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// ModuleDir downloads a module of an exact version into the module cache and returns its folder.
// It runs outside any module, so the project's go.mod and go.sum are never touched.
func ModuleDir(t testing.TB, module, version string) string {
	t.Helper()
	cache := CacheDir()
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatalf("cannot create %s: %v", cache, err)
	}
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	cmd.Dir = cache
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr == nil && info.Error != "" {
		t.Fatalf("cannot download %s@%s: %s", module, version, info.Error)
	}
	if err != nil || info.Dir == "" {
		t.Fatalf("cannot download %s@%s with `go mod download`: %v\n%s", module, version, err, exitStderr(err))
	}
	return info.Dir
}

// Etcd returns etcd of the pinned release, building it on first use: go.etcd.io/etcd/server/v3's
// root package is etcd's main (about a minute cold on 2 cores).
func Etcd(t testing.TB) string {
	t.Helper()
	return build(t, "etcd", "go.etcd.io/etcd/server/v3", EtcdVersion, ".")
}

// DistributionRegistry returns distribution's OCI registry of the pinned release, building it on
// first use (test/tools/registry.sh, with the filesystem driver and htpasswd auth only).
func DistributionRegistry(t testing.TB) string {
	t.Helper()
	return buildScript(t, "registry", DistributionVersion, "registry.sh", DistributionVersion)
}

func buildKube(t testing.TB, name, version string) string {
	t.Helper()
	return buildScript(t, name, version, "kubebin.sh", name, version)
}

// buildScript returns the cached NAME-VERSION, else runs test/tools/SCRIPT ARGS... to build it.
func buildScript(t testing.TB, name, version, script string, args ...string) string {
	t.Helper()
	if p := cachedPath(name, version); isExecutable(p) {
		return p
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	cmd := exec.Command("bash", append([]string{filepath.Join(RepoRoot(t), "test", "tools", script)}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cannot build %s %s from the module proxy (test/tools/%s): %v", name, version, script, err)
	}
	return strings.TrimSpace(string(out))
}

func exitStderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
