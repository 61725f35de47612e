package testtools

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// Crossplane core releases, one per line the control-plane tests run on.
const (
	// CrossplaneCoreV1 is the last 1.x line, what Klutch control planes run.
	CrossplaneCoreV1 = "v1.20.7"
	// CrossplaneCoreV2 is the v2 line.
	CrossplaneCoreV2 = "v2.2.1"
	// CrossplaneCoreV117 is the oldest line Klutch documents: the newest v1.17 patch the Go module
	// proxy serves (v1.17.3 to v1.17.7 answer 403 "not available").
	CrossplaneCoreV117 = "v1.17.2"

	// EnvCrossplaneLines names the environment variable that picks the Crossplane core releases
	// the control-plane tests run on, comma-separated (e.g. v1.17.2,v1.20.7,v2.2.1); unset, they run
	// on DefaultCrossplaneLines.
	EnvCrossplaneLines = "DATASERVICE_CROSSPLANE_LINES"
)

// DefaultCrossplaneLines are the releases control-plane tests run on unless $DATASERVICE_CROSSPLANE_LINES
// says otherwise: both lines a Klutch control plane may run.
var DefaultCrossplaneLines = []string{CrossplaneCoreV1, CrossplaneCoreV2}

// CrossplaneLines returns the Crossplane core releases the control-plane tests run on:
// $DATASERVICE_CROSSPLANE_LINES, else DefaultCrossplaneLines. A release the harness cannot start fails
// the test, naming those it can.
func CrossplaneLines(t testing.TB) []string {
	t.Helper()
	v := strings.TrimSpace(os.Getenv(EnvCrossplaneLines))
	if v == "" {
		return DefaultCrossplaneLines
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if _, err := coreReleaseOf(s); err != nil {
			t.Fatalf("$%s: %v", EnvCrossplaneLines, err)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		t.Fatalf("$%s=%q names no release", EnvCrossplaneLines, v)
	}
	return out
}

// A coreRelease is what differs between the releases of Crossplane core the harness starts: the
// module it is built from, how `core init` finds its CRDs and how `core start` takes its ports.
type coreRelease struct {
	version      string
	major, minor int
}

var semver = regexp.MustCompile(`^v(\d+)\.(\d+)\.(\d+)$`)

// coreReleaseOf returns the release of an exact version, or an error for a line the harness does
// not know how to start.
func coreReleaseOf(version string) (coreRelease, error) {
	m := semver.FindStringSubmatch(version)
	if m == nil {
		return coreRelease{}, fmt.Errorf("Crossplane core %q is not an exact release (vMAJOR.MINOR.PATCH; the module proxy serves exact versions only)", version)
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	r := coreRelease{version: version, major: major, minor: minor}
	switch {
	case major == 2:
	case major == 1 && (minor == 17 || minor == 20):
	default:
		return coreRelease{}, fmt.Errorf("Crossplane core %s: the harness starts the v1.17, v1.20 and v2 lines (tried: %s, %s, %s)", version, CrossplaneCoreV117, CrossplaneCoreV1, CrossplaneCoreV2)
	}
	return r, nil
}

// module is the Go module core is built from: /v2 from v2 on.
func (r coreRelease) module() string {
	if r.major == 1 {
		return "github.com/crossplane/crossplane"
	}
	return "github.com/crossplane/crossplane/v2"
}

// crdsFromRoot reports whether `core init` reads its CRDs from /crds, a path no flag or variable
// changes (v1: the path of the image's layout); v2 takes $CRDS_PATH.
func (r coreRelease) crdsFromRoot() bool { return r.major == 1 }

// fixedPorts reports whether core binds its metrics (:8080) and health (:8081) ports on every
// interface with no flag to change them (v1.17), so that it runs in a network namespace of its own.
func (r coreRelease) fixedPorts() bool { return r.major == 1 && r.minor < 18 }

// initEnv is the environment of `core init` beside the kubeconfig and namespace.
func (r coreRelease) initEnv(crds string) []string {
	env := []string{"TLS_CA_SECRET_NAME=" + CrossplaneCASecret, "TLS_CLIENT_SECRET_NAME=" + CrossplaneTLSClientSecret}
	if r.major == 1 {
		return append(env, "WEBHOOK_ENABLED=false")
	}
	return append(env, "ENABLE_WEBHOOKS=false", "CRDS_PATH="+crds)
}

// startArgs are the flags of `core start`: the External package runtime (the test runs functions
// and providers), no webhooks, caches in the run folder, and ports when the release takes them
// (metrics, health probe, webhook).
func (r coreRelease) startArgs(xpkgCache, xfnCache string, ports []int) []string {
	args := []string{"--debug", "core", "start", "--package-runtime=External"}
	if r.fixedPorts() {
		return append(args, "--webhook-enabled=false", "--cache-dir="+xpkgCache)
	}
	return append(args, "--enable-webhooks=false",
		"--xpkg-cache-dir="+xpkgCache, "--xfn-cache-dir="+xfnCache,
		"--metrics-port="+strconv.Itoa(ports[0]), "--health-probe-port="+strconv.Itoa(ports[1]),
		"--webhook-port="+strconv.Itoa(ports[2]))
}
