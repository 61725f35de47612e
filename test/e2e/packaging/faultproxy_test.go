package packaging

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fault is what the proxy does to one request instead of (or before) forwarding it.
type fault int

const (
	pass            fault = iota // forward it
	serverError                  // answer 503 Service Unavailable
	badGateway                   // answer 502 Bad Gateway
	tooManyRequests              // answer 429 Too Many Requests with Retry-After: 1
	reset                        // reset the connection (TCP RST) without an answer
	slow                         // wait, then forward it
)

func (f fault) String() string {
	return [...]string{"pass", "503", "502", "429", "reset", "slow"}[f]
}

// faultProxy is a reverse proxy on 127.0.0.1 in front of a registry that injects faults: plan
// decides for the n-th request (from 0) what happens to it. It keeps the Host header, so that the
// upload locations the registry hands out lead back through the proxy.
type faultProxy struct {
	Host string
	plan func(n int, r *http.Request) fault

	mu       sync.Mutex
	n        int
	injected map[fault]int
	log      []string
}

func startFaultProxy(t *testing.T, registryHost string, plan func(n int, r *http.Request) fault) *faultProxy {
	t.Helper()
	target := &url.URL{Scheme: "http", Host: registryHost}
	rp := httputil.NewSingleHostReverseProxy(target)
	director := rp.Director
	rp.Director = func(r *http.Request) {
		host := r.Host
		director(r)
		r.Host = host
	}
	p := &faultProxy{plan: plan, injected: map[fault]int{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.Host = l.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		n := p.n
		p.n++
		f := p.plan(n, r)
		if f != pass {
			p.injected[f]++
		}
		p.log = append(p.log, fmt.Sprintf("%d %s %s %s", n, f, r.Method, r.URL.Path))
		p.mu.Unlock()
		switch f {
		case serverError:
			http.Error(w, `{"errors":[{"code":"UNAVAILABLE","message":"injected fault"}]}`, http.StatusServiceUnavailable)
			return
		case badGateway:
			http.Error(w, "injected fault", http.StatusBadGateway)
			return
		case tooManyRequests:
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"errors":[{"code":"TOOMANYREQUESTS","message":"injected fault"}]}`, http.StatusTooManyRequests)
			return
		case reset:
			hj, ok := w.(http.Hijacker)
			if !ok {
				t.Error("cannot hijack the connection")
				return
			}
			conn, _, err := hj.Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // close with RST
			}
			conn.Close()
			return
		case slow:
			time.Sleep(300 * time.Millisecond)
		}
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return p
}

// Ref is a reference through the proxy.
func (p *faultProxy) Ref(repoTag string) string {
	return p.Host + "/" + strings.TrimPrefix(repoTag, "/")
}

// Injected counts the faults injected by kind.
func (p *faultProxy) Injected() map[fault]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[fault]int{}
	for k, v := range p.injected {
		out[k] = v
	}
	return out
}

// Requests counts the requests the proxy saw, and those that match method and a path part.
func (p *faultProxy) Requests(method, pathPart string) (all, matching int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.log {
		f := strings.Fields(l)
		if f[2] == method && strings.Contains(f[3], pathPart) {
			matching++
		}
	}
	return p.n, matching
}

// Log is every request and what the proxy did to it.
func (p *faultProxy) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.log, "\n")
}
