package testtools

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// echoServer answers each line with "NAME: LINE" until l is closed.
func echoServer(t *testing.T, l net.Listener, name string) {
	t.Helper()
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				s := bufio.NewScanner(c)
				for s.Scan() {
					fmt.Fprintf(c, "%s: %s\n", name, s.Text())
				}
			}()
		}
	}()
}

func ask(c net.Conn, q string) (string, error) {
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintln(c, q); err != nil {
		return "", err
	}
	a, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(a), err
}

// TestIsolatedNet runs what a component in an isolated namespace does: it reaches a server of the
// test's through forwardIn, binds a port the test's namespace also has bound, and serves it out
// through exposeOut.
func TestIsolatedNet(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root (CAP_SYS_ADMIN)")
	}
	outside, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	echoServer(t, outside, "outside")
	addr := outside.Addr().String()
	n := newIsolatedNet(t, t, "test")

	// Inside, the test's server is reached at its own address.
	n.forwardIn(t, addr)
	var got string
	if err := n.do(func() error {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		got, err = ask(c, "hello")
		return err
	}); err != nil {
		t.Fatalf("dialing %s inside the namespace: %v", addr, err)
	}
	if got != "outside: hello" {
		t.Errorf("inside, %s answered %q, want %q", addr, got, "outside: hello")
	}

	// A port the test's namespace holds is free inside; served out at another address.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	fixed := taken.Addr().String()
	var inside net.Listener
	if err := n.do(func() (err error) {
		inside, err = net.Listen("tcp", fixed)
		return err
	}); err != nil {
		t.Fatalf("binding %s inside the namespace, which the test's holds: %v", fixed, err)
	}
	echoServer(t, inside, "inside")
	out := listenLoopback(t, 0)
	n.exposeOut(out, fixed)
	c, err := net.Dial("tcp", out.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if got, err := ask(c, "hi"); err != nil || got != "inside: hi" {
		t.Errorf("%s (exposing %s inside) answered %q, %v; want %q", out.Addr(), fixed, got, err, "inside: hi")
	}
	if ok, why := n.listening(fixed); !ok {
		t.Errorf("listening(%s) inside: %s", fixed, why)
	}

	// An HTTP server inside, asked from outside.
	var web net.Listener
	if err := n.do(func() (err error) {
		web, err = net.Listen("tcp", "127.0.0.1:8081")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") }), ReadHeaderTimeout: time.Second}
	go func() { _ = srv.Serve(web) }()
	defer srv.Close()
	if ok, why := n.httpOK("http://127.0.0.1:8081/readyz"); !ok {
		t.Errorf("httpOK inside: %s", why)
	}

	// Closing it stops the forwarding.
	n.close()
	if _, err := net.DialTimeout("tcp", out.Addr().String(), time.Second); err == nil {
		t.Errorf("%s still accepts connections after close", out.Addr())
	}
}

func TestCrossplaneLines(t *testing.T) {
	for _, tc := range []struct {
		env     string
		want    []string
		wantErr string
	}{
		{env: "", want: DefaultCrossplaneLines},
		{env: "v1.17.2, v2.2.1", want: []string{"v1.17.2", "v2.2.1"}},
		{env: "v1.20", wantErr: "not an exact release"},
		{env: "v1.18.0", wantErr: "the harness starts the v1.17, v1.20 and v2 lines"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv(EnvCrossplaneLines, tc.env)
			if tc.wantErr != "" {
				for _, v := range strings.Split(tc.env, ",") {
					if _, err := coreReleaseOf(strings.TrimSpace(v)); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
						t.Errorf("coreReleaseOf(%q): %v, want an error containing %q", v, err, tc.wantErr)
					}
				}
				return
			}
			got := CrossplaneLines(t)
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("CrossplaneLines with $%s=%q: %v, want %v", EnvCrossplaneLines, tc.env, got, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		version              string
		module               string
		crdsFromRoot, legacy bool
	}{
		{"v1.17.2", "github.com/crossplane/crossplane", true, true},
		{"v1.20.7", "github.com/crossplane/crossplane", true, false},
		{"v2.2.1", "github.com/crossplane/crossplane/v2", false, false},
	} {
		r, err := coreReleaseOf(tc.version)
		if err != nil {
			t.Fatal(err)
		}
		if r.module() != tc.module || r.crdsFromRoot() != tc.crdsFromRoot || r.fixedPorts() != tc.legacy {
			t.Errorf("%s: module %s, /crds %v, fixed ports %v; want %s, %v, %v", tc.version, r.module(), r.crdsFromRoot(), r.fixedPorts(), tc.module, tc.crdsFromRoot, tc.legacy)
		}
		if got := CrossplaneCoreLDFlags(tc.version); got != "-X="+tc.module+"/internal/version.version="+tc.version {
			t.Errorf("CrossplaneCoreLDFlags(%s) = %s", tc.version, got)
		}
	}
}
