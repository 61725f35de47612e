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

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/registry"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	cases := map[string]struct {
		status int
		header string
		want   time.Duration
	}{
		"SecondsOn429":        {status: http.StatusTooManyRequests, header: "3", want: 3 * time.Second},
		"DateOn503":           {status: http.StatusServiceUnavailable, header: now.Add(5 * time.Second).Format(http.TimeFormat), want: 5 * time.Second},
		"DateInThePast":       {status: http.StatusServiceUnavailable, header: now.Add(-time.Minute).Format(http.TimeFormat), want: 0},
		"CappedWhenTooLong":   {status: http.StatusTooManyRequests, header: "86400", want: maxRetryAfter},
		"IgnoredOnOtherCodes": {status: http.StatusInternalServerError, header: "3", want: 0},
		"IgnoredWhenGarbled":  {status: http.StatusTooManyRequests, header: "soon", want: 0},
		"NoneWithoutHeader":   {status: http.StatusTooManyRequests, want: 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tc.status, Header: http.Header{}}
			if tc.header != "" {
				resp.Header.Set("Retry-After", tc.header)
			}
			if got := retryAfter(resp, now); got != tc.want {
				t.Errorf("retryAfter(%d, %q) = %v, want %v", tc.status, tc.header, got, tc.want)
			}
		})
	}
}

// TestPushShouldHonourRetryAfter answers the first manifest PUT with 429 and Retry-After: 1: the
// retry comes no earlier than a second later, although the client's own backoff is a millisecond.
func TestPushShouldHonourRetryAfter(t *testing.T) {
	inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	var mu sync.Mutex
	var puts []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
			mu.Lock()
			puts = append(puts, time.Now())
			first := len(puts) == 1
			mu.Unlock()
			if first {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")

	c := New(Options{Keychain: authn.NewMultiKeychain(), Backoff: time.Millisecond})
	if _, err := c.Push(context.Background(), host+"/platform/pkg:v1", []Package{{Image: pkgImage(t, "amd64"), Source: "pkg.xpkg"}}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(puts) != 2 {
		t.Fatalf("%d manifest PUTs, want 2 (one refused, one retried)", len(puts))
	}
	if gap := puts[1].Sub(puts[0]); gap < time.Second {
		t.Errorf("the retry came %v after the 429, before the second Retry-After asked for", gap)
	}
}
