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
	// CrossplaneCore is the release Crossplane core (cmd/crossplane) is built from.
	CrossplaneCore = CrossplaneV2

	crossplaneModuleV2 = "github.com/crossplane/crossplane/v2"
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
// building it on first use. It is cached as crossplane-core-VERSION beside the CLIs.
//
// The version is stamped into it as Crossplane's release builds do: unstamped, Crossplane knows no
// version of its own and refuses every package that states spec.crossplane.version ("package is
// not compatible with Crossplane version (): Invalid Semantic Version").
func CrossplaneCoreBinary(t testing.TB, version string) string {
	t.Helper()
	return buildWithLDFlags(t, "crossplane-core", crossplaneModuleV2, version, "./cmd/crossplane", CrossplaneCoreLDFlags(version))
}

// CrossplaneCoreLDFlags are the linker flags that stamp version into Crossplane core, as its release
// build does (nix/build.nix); make tools passes the same.
func CrossplaneCoreLDFlags(version string) string {
	return "-X=" + crossplaneModuleV2 + "/internal/version.version=" + version
}

// CrossplaneCRDs returns the folder of Crossplane core's own CRDs (cluster/crds of its module), what
// `crossplane core init` installs from $CRDS_PATH.
func CrossplaneCRDs(t testing.TB, version string) string {
	t.Helper()
	dir := filepath.Join(ModuleDir(t, crossplaneModuleV2, version), "cluster", "crds")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("crossplane %s has no CRD folder: %v", version, err)
	}
	return dir
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

// Etcd returns the etcd binary (Debian's etcd-server package, which .ci/run installs).
func Etcd(t testing.TB) string {
	t.Helper()
	return lookBinary(t, "etcd", "/usr/bin/etcd", "install Debian's etcd-server package (apt-get install etcd-server; .ci/run does)")
}

// DockerRegistry returns Debian's docker-registry binary (distribution 2.8, which .ci/run installs).
func DockerRegistry(t testing.TB) string {
	t.Helper()
	return lookBinary(t, "docker-registry", "/usr/bin/docker-registry", "install Debian's docker-registry package (apt-get install docker-registry; .ci/run does)")
}

func lookBinary(t testing.TB, name, fallback, fix string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if isExecutable(fallback) {
		return fallback
	}
	t.Fatalf("%s not found in PATH or at %s: %s", name, fallback, fix)
	return ""
}

func buildKube(t testing.TB, name, version string) string {
	t.Helper()
	if p := cachedPath(name, version); isExecutable(p) {
		return p
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	cmd := exec.Command("bash", filepath.Join(RepoRoot(t), "test", "tools", "kubebin.sh"), name, version)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cannot build %s %s from the module proxy: %v", name, version, err)
	}
	return strings.TrimSpace(string(out))
}

func exitStderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
