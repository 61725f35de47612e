package packaging

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// TestPushUnderFaults pushes through a loopback proxy that injects faults in front of
// the registry (distribution) with htpasswd auth. While the faults are bounded (5xx, 429 with Retry-After,
// connection resets, slow answers), push completes and the tag resolves to a complete, pullable
// package; when they never stop, push fails after bounded retries with a clear error and the tag
// stays where it was. The credentials appear in no output.
func TestPushUnderFaults(t *testing.T) {
	e2e(t)
	const user, password = "platform-ci", "Fault-Test-Secret-7f3a9c"
	reg := testtools.StartPackageRegistry(t, testtools.WithHtpasswd(user, password))
	secrets := []string{password, base64.StdEncoding.EncodeToString([]byte(user + ":" + password))}

	// Two packages: the one the tag holds, and the one that should replace it.
	root := klutchRoot(t)
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first.xpkg"), filepath.Join(dir, "second.xpkg")
	must(t, nil, cli(t), "build", root, "-o", first)
	write(t, filepath.Join(root, "examples", "second.yaml"), strings.Replace(claim, "example-mongodb", "second-mongodb", 1))
	built := must(t, nil, cli(t), "build", root, "-o", second).stderr

	// The faults of the phase running, for the n-th request of the phase.
	var phase atomic.Value
	phase.Store(func(int, *http.Request) fault { return pass })
	var start atomic.Int64
	proxy := startFaultProxy(t, reg.Host, func(n int, r *http.Request) fault {
		return phase.Load().(func(int, *http.Request) fault)(n-int(start.Load()), r)
	})
	setPhase := func(plan func(int, *http.Request) fault) {
		all, _ := proxy.Requests("", "")
		start.Store(int64(all))
		phase.Store(plan)
	}
	env := append(os.Environ(), "DOCKER_CONFIG="+dockerConfig(t, proxy.Host, user, password))
	auth := remote.WithAuth(&authn.Basic{Username: user, Password: password})

	// tagDigest resolves a tag straight at the registry, bypassing the proxy.
	tagDigest := func(t *testing.T, tag string) string {
		t.Helper()
		ref, err := name.NewTag(reg.Ref(tag))
		if err != nil {
			t.Fatal(err)
		}
		d, err := remote.Head(ref, auth)
		if err != nil {
			t.Fatalf("cannot resolve %s: %v", ref, err)
		}
		return d.Digest.String()
	}
	noSecrets := func(t *testing.T, r result) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(r.stdout+r.stderr, s) {
				t.Errorf("the output holds the credentials (%q):\n%s\n%s", s[:4]+"…", r.stdout, r.stderr)
			}
		}
	}

	// The tag holds the first package, pushed without faults.
	r := must(t, env, cli(t), "push", proxy.Ref("platform/dataservices:v1"), "-f", first)
	noSecrets(t, r)
	before := tagDigest(t, "platform/dataservices:v1")

	t.Run("BoundedFaultsShouldNotStopThePush", func(t *testing.T) {
		// Every other request until these are spent: five failures, as many as push retries a
		// request by default (so that even if all of them hit the same upload it gets through),
		// and three slow answers.
		plan := []fault{serverError, slow, tooManyRequests, reset, slow, badGateway, slow, serverError}
		kinds := []fault{serverError, tooManyRequests, reset, slow, badGateway}
		setPhase(func(n int, _ *http.Request) fault {
			if n%2 == 1 && n/2 < len(plan) {
				return plan[n/2]
			}
			return pass
		})
		r := run(t, env, cli(t), "push", proxy.Ref("platform/dataservices:v2"), "-f", second)
		injected := proxy.Injected()
		t.Logf("push through %d injected faults %v: exit %d\n%s%s", sum(injected), injected, r.code, r.stdout, r.stderr)
		noSecrets(t, r)
		if r.code != 0 {
			t.Fatalf("push failed although the faults stopped:\n%s\nproxy log:\n%s", r.stderr, proxy.Log())
		}
		for _, k := range kinds {
			if injected[k] == 0 {
				t.Errorf("no %s fault was injected: the push made too few requests to test it", k)
			}
		}
		digest := tagDigest(t, "platform/dataservices:v2")
		if !strings.Contains(r.stdout, digest) || !strings.Contains(built, "pushed as "+digest) {
			t.Errorf("the tag resolves to %s; push printed %q and build predicted\n%s", digest, r.stdout, built)
		}
		// Pull it back: the manifest, the config and every layer exist and match their digests.
		ref, err := name.NewDigest(reg.Ref("platform/dataservices@" + digest))
		if err != nil {
			t.Fatal(err)
		}
		img, err := remote.Image(ref, auth)
		if err != nil {
			t.Fatalf("cannot pull %s: %v", ref, err)
		}
		if err := validate.Image(img); err != nil {
			t.Errorf("the pushed package is incomplete or corrupt: %v", err)
		}
	})

	t.Run("WrongPasswordShouldNotBeShown", func(t *testing.T) {
		setPhase(func(int, *http.Request) fault { return pass })
		const wrong = "Wrong-Secret-Do-Not-Print-41c2"
		wrongEnv := append(os.Environ(), "DOCKER_CONFIG="+dockerConfig(t, proxy.Host, user, wrong))
		r := run(t, wrongEnv, cli(t), "push", proxy.Ref("platform/dataservices:v1"), "-f", second, "--retries", "0")
		t.Logf("push with a wrong password: exit %d\n%s", r.code, r.stderr)
		if r.code == 0 || !strings.Contains(r.stderr, "docker login") {
			t.Errorf("push with a wrong password: exit %d, want a failure that says how to log in:\n%s", r.code, r.stderr)
		}
		for _, s := range []string{wrong, base64.StdEncoding.EncodeToString([]byte(user + ":" + wrong))} {
			if strings.Contains(r.stdout+r.stderr, s) {
				t.Errorf("the output holds the wrong credentials:\n%s", r.stderr)
			}
		}
		if got := tagDigest(t, "platform/dataservices:v1"); got != before {
			t.Errorf("the tag moved from %s to %s although push was refused", before, got)
		}
	})

	never := map[string]struct {
		reason string
		plan   func(int, *http.Request) fault
		want   []string
	}{
		"ManifestNeverAccepted": {
			reason: "The registry takes the blobs but always fails the manifest, which moves the tag.",
			plan: func(_ int, r *http.Request) fault {
				if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
					return serverError
				}
				return pass
			},
			want: []string{"cannot push to " + proxy.Ref("platform/dataservices:v1"), "manifests/v1: UNAVAILABLE", "still failing after 2 retries", "try again later"},
		},
		"RegistryAlwaysFailing": {
			reason: "Every request fails.",
			plan:   func(int, *http.Request) fault { return badGateway },
			want:   []string{"cannot push to " + proxy.Ref("platform/dataservices:v1"), "502 Bad Gateway", "still failing after 2 retries", "try again later"},
		},
	}
	for name, tc := range never {
		t.Run(name, func(t *testing.T) {
			setPhase(tc.plan)
			all0, manifests0 := proxy.Requests(http.MethodPut, "/manifests/")
			r := run(t, env, cli(t), "push", proxy.Ref("platform/dataservices:v1"), "-f", second, "--retries", "2")
			all, manifests := proxy.Requests(http.MethodPut, "/manifests/")
			all, manifests = all-all0, manifests-manifests0
			t.Logf("%s\npush with faults that never stop: exit %d after %d requests, %d manifest PUTs\n%s", tc.reason, r.code, all, manifests, r.stderr)
			// Two retries of each request, at each of go-containerregistry's two levels (the
			// transport and the upload) at most.
			if manifests > 9 {
				t.Errorf("%s\n%d manifest PUTs: the retries are not bounded by --retries 2", tc.reason, manifests)
			}
			noSecrets(t, r)
			if r.code == 0 {
				t.Fatalf("%s\npush succeeded although the registry never accepted it", tc.reason)
			}
			stderr := strings.TrimRight(r.stderr, "\n")
			if strings.Contains(stderr, "\n") {
				t.Errorf("%s\nthe error spans several lines:\n%s", tc.reason, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("%s\nthe error does not say %q:\n%s", tc.reason, w, stderr)
				}
			}
			if got := tagDigest(t, "platform/dataservices:v1"); got != before {
				t.Errorf("%s\nthe tag moved from %s to %s although push failed", tc.reason, before, got)
			}
		})
	}
}

func sum(m map[fault]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// dockerConfig writes a Docker config with credentials for host and returns its folder.
func dockerConfig(t *testing.T, host, user, password string) string {
	t.Helper()
	dir := t.TempDir()
	b, err := json.Marshal(map[string]any{"auths": map[string]any{
		host: map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + password))},
	}})
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "config.json"), string(b))
	return dir
}
