package registry

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// policy is the transport under go-containerregistry's: it refuses plain HTTP to registries that
// are not on this machine unless insecure is asked for (go-containerregistry itself falls back to
// HTTP for private network addresses too), counts blobs uploaded and found already present, and
// removes the request's credentials from error responses before anyone reads them.
type policy struct {
	inner    http.RoundTripper
	insecure bool
	stats    *stats
}

func (p *policy) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme == "http" && !p.insecure && !IsLoopback(r.URL.Host) {
		return nil, fmt.Errorf("refusing plain HTTP to %s: only loopback registries are spoken to without TLS; pass --insecure to allow it", r.URL.Host)
	}
	resp, err := p.inner.RoundTrip(r)
	if err == nil {
		p.stats.count(r, resp)
		redactErrorBody(r, resp)
		// go-containerregistry retries after its own backoff and ignores Retry-After: wait for
		// what the registry asked first, so that the retry comes no earlier than it allows.
		if wait := retryAfter(resp, time.Now()); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
			}
		}
	}
	return resp, err
}

// maxRetryAfter caps the wait a registry asks for with Retry-After, so that a registry asking for
// hours fails the push after the retries instead of hanging it.
const maxRetryAfter = 30 * time.Second

// retryAfter is how long a 429 or 503 response asks to wait before trying again (Retry-After in
// seconds or as an HTTP date), at most maxRetryAfter; zero for other responses.
func retryAfter(resp *http.Response, now time.Time) time.Duration {
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		return 0
	}
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		d = time.Duration(secs) * time.Second
	} else if at, err := http.ParseTime(v); err == nil {
		d = at.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// IsLoopback says whether a host (with or without port) is this machine: localhost, *.localhost,
// 127.0.0.0/8 or ::1.
func IsLoopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// stats counts blob transfers across requests.
type stats struct {
	mu                 sync.Mutex
	uploaded, existing int
}

func (s *stats) count(r *http.Request, resp *http.Response) {
	if !strings.Contains(r.URL.Path, "/blobs/") {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case r.Method == http.MethodHead && resp.StatusCode == http.StatusOK:
		s.existing++
	case r.Method == http.MethodPost && resp.StatusCode == http.StatusCreated && r.URL.Query().Get("mount") != "":
		s.existing++ // mounted from another repository of the registry
	case r.Method == http.MethodPut && resp.StatusCode == http.StatusCreated && strings.Contains(r.URL.Path, "/blobs/uploads/"):
		s.uploaded++
	}
}

func (s *stats) snapshot() stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return stats{uploaded: s.uploaded, existing: s.existing}
}
