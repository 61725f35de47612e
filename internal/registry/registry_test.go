package registry

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// recorder wraps go-containerregistry's in-memory registry: it counts requests and fails the
// first ones that match fail with the status given.
type recorder struct {
	mu       sync.Mutex
	inner    http.Handler
	requests []string
	fail     func(r *http.Request) bool
	status   int
	failures int
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	rec.requests = append(rec.requests, r.Method+" "+r.URL.Path)
	fail := rec.failures > 0 && rec.fail != nil && rec.fail(r)
	if fail {
		rec.failures--
	}
	rec.mu.Unlock()
	if fail {
		w.WriteHeader(rec.status)
		return
	}
	rec.inner.ServeHTTP(w, r)
}

func (rec *recorder) count(method, pathPart string) int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	n := 0
	for _, r := range rec.requests {
		if strings.HasPrefix(r, method+" ") && strings.Contains(r, pathPart) {
			n++
		}
	}
	return n
}

func (rec *recorder) reset() {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.requests = nil
}

func serve(t *testing.T) (*recorder, string) {
	t.Helper()
	rec := &recorder{inner: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return rec, strings.TrimPrefix(srv.URL, "http://")
}

// pkgImage is a random image labelled like a package file: the first layer is the package layer.
func pkgImage(t *testing.T, arch string) v1.Image {
	t.Helper()
	img, err := random.Image(256, 2)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	d, err := layers[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Config.Labels = map[string]string{xpkg.Label(d.String()): xpkg.PackageAnnotation}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func client() *Client {
	return New(Options{Keychain: authn.NewMultiKeychain(), Backoff: time.Millisecond})
}

func TestPushOnePackage(t *testing.T) {
	_, host := serve(t)
	img := pkgImage(t, "amd64")
	res, err := client().Push(context.Background(), host+"/platform/pkg:v1", []Package{{Image: img, Source: "pkg.xpkg"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := remote.Image(res.Digest)
	if err != nil {
		t.Fatal(err)
	}
	m, err := got.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if a := m.Layers[0].Annotations[xpkg.AnnotationKey]; a != xpkg.PackageAnnotation {
		t.Errorf("package layer annotation %q, want %q", a, xpkg.PackageAnnotation)
	}
	annotated, err := xpkg.AnnotateLayers(img)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := annotated.Digest()
	if res.Digest.DigestStr() != want.String() {
		t.Errorf("pushed digest %s, want the annotated image's %s", res.Digest.DigestStr(), want)
	}
	if res.Uploaded != 3 || res.Existing != 0 {
		t.Errorf("uploaded %d, existing %d; want 3 (2 layers, config) and 0", res.Uploaded, res.Existing)
	}
}

func TestPushShouldNotUploadExistingBlobs(t *testing.T) {
	rec, host := serve(t)
	pkgs := []Package{{Image: pkgImage(t, "amd64"), Source: "pkg.xpkg"}}
	c := client()
	if _, err := c.Push(context.Background(), host+"/platform/pkg:v1", pkgs); err != nil {
		t.Fatal(err)
	}
	rec.reset()
	res, err := c.Push(context.Background(), host+"/platform/pkg:v2", pkgs)
	if err != nil {
		t.Fatal(err)
	}
	if n := rec.count(http.MethodPatch, "/blobs/uploads/") + rec.count(http.MethodPut, "/blobs/uploads/"); n != 0 {
		t.Errorf("second push sent %d blob uploads, want 0", n)
	}
	if res.Uploaded != 0 || res.Existing != 3 {
		t.Errorf("uploaded %d, existing %d; want 0 and 3", res.Uploaded, res.Existing)
	}
}

func TestPushShouldRetry(t *testing.T) {
	cases := map[string]struct {
		status int
		fail   func(r *http.Request) bool
	}{
		"UnavailableOnBlobUploadShouldBeRetried": {
			status: http.StatusServiceUnavailable,
			fail: func(r *http.Request) bool {
				return r.Method == http.MethodPost && strings.Contains(r.URL.Path, "/blobs/uploads/")
			},
		},
		"TooManyRequestsOnManifestShouldBeRetried": {
			status: http.StatusTooManyRequests,
			fail: func(r *http.Request) bool {
				return r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/")
			},
		},
		"InternalErrorOnBlobCheckShouldBeRetried": {
			status: http.StatusInternalServerError,
			fail: func(r *http.Request) bool {
				return r.Method == http.MethodHead && strings.Contains(r.URL.Path, "/blobs/")
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rec, host := serve(t)
			rec.fail, rec.status, rec.failures = tc.fail, tc.status, 2
			_, err := client().Push(context.Background(), host+"/platform/pkg:v1", []Package{{Image: pkgImage(t, "amd64"), Source: "pkg.xpkg"}})
			if err != nil {
				t.Fatalf("Push after %d failures with %d: %v", 2, tc.status, err)
			}
			if rec.failures != 0 {
				t.Errorf("%d injected failures left: the request was not tried", rec.failures)
			}
		})
	}
}

func TestPushShouldGiveUpAfterRetries(t *testing.T) {
	rec, host := serve(t)
	rec.fail, rec.status, rec.failures = func(r *http.Request) bool {
		return r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/")
	}, http.StatusBadGateway, 100
	c := New(Options{Keychain: authn.NewMultiKeychain(), Backoff: time.Millisecond, Retries: 2})
	_, err := c.Push(context.Background(), host+"/platform/pkg:v1", []Package{{Image: pkgImage(t, "amd64"), Source: "pkg.xpkg"}})
	if err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("Push against a registry failing every manifest PUT: got %v, want a 502 error", err)
	}
	if n := rec.count(http.MethodPut, "/manifests/"); n != 3 {
		t.Errorf("manifest PUT tried %d times, want 3 (one try and 2 retries)", n)
	}
}

func TestPushSeveralPackagesShouldMakeAnIndex(t *testing.T) {
	_, host := serve(t)
	pkgs := []Package{{Image: pkgImage(t, "amd64"), Source: "a.xpkg"}, {Image: pkgImage(t, "arm64"), Source: "b.xpkg"}}
	res, err := client().Push(context.Background(), host+"/platform/fn:v1", pkgs)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(res.Digest)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range m.Manifests {
		got = append(got, d.Platform.String())
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		im, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if a := im.Layers[0].Annotations[xpkg.AnnotationKey]; a != xpkg.PackageAnnotation {
			t.Errorf("%s: package layer annotation %q, want base", d.Platform, a)
		}
	}
	if strings.Join(got, ",") != "linux/amd64,linux/arm64" {
		t.Errorf("index platforms %v, want linux/amd64, linux/arm64", got)
	}
}

func TestPushShouldRefuseTwoPackagesOfOnePlatform(t *testing.T) {
	_, host := serve(t)
	pkgs := []Package{{Image: pkgImage(t, "amd64"), Source: "a.xpkg"}, {Image: pkgImage(t, "amd64"), Source: "b.xpkg"}}
	_, err := client().Push(context.Background(), host+"/platform/fn:v1", pkgs)
	if err == nil || !strings.Contains(err.Error(), "a.xpkg and b.xpkg are both for linux/amd64") {
		t.Fatalf("got %v, want an error naming both files", err)
	}
}

func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	cases := map[string]struct {
		host     string
		insecure bool
		refused  bool
	}{
		"LoopbackIPShouldBeAllowed":             {host: "127.0.0.1:5000"},
		"LocalhostShouldBeAllowed":              {host: "localhost:5000"},
		"IPv6LoopbackShouldBeAllowed":           {host: "[::1]:5000"},
		"PrivateAddressShouldBeRefused":         {host: "10.0.0.5:5000", refused: true},
		"PublicNameShouldBeRefused":             {host: "registry.example.com", refused: true},
		"PrivateAddressWithInsecureShouldPass":  {host: "10.0.0.5:5000", insecure: true},
		"LocalhostSuffixTrickShouldBeRefused":   {host: "localhost.example.com", refused: true},
		"SubdomainOfLocalhostShouldBeAllowed":   {host: "registry.localhost:5000"},
		"LoopbackRangeShouldBeAllowed":          {host: "127.0.0.2:5000"},
		"PrivateNameWithoutPortShouldBeRefused": {host: "registry", refused: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			// The inner transport answers every request itself: nothing leaves this process.
			inner := roundTripFunc(func(*http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
			})
			p := &policy{inner: inner, insecure: tc.insecure, stats: &stats{}}
			req, _ := http.NewRequest(http.MethodGet, "http://"+tc.host+"/v2/", nil)
			_, err := p.RoundTrip(req)
			if refused := err != nil; refused != tc.refused {
				t.Errorf("plain HTTP to %s (insecure %v): refused %v (%v), want %v", tc.host, tc.insecure, refused, err, tc.refused)
			}
			req, _ = http.NewRequest(http.MethodGet, "https://"+tc.host+"/v2/", nil)
			if _, err := p.RoundTrip(req); err != nil {
				t.Errorf("HTTPS to %s refused: %v", tc.host, err)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
