package testtools

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/function-dataservice/function-dataservice/internal/netns"
)

// An isolatedNet is a network namespace of one component that binds fixed ports on every interface,
// which no flag of its changes: controller-runtime's metrics server on ":8080" in Crossplane's RBAC
// manager, in provider-kubernetes and in Crossplane core v1.17, provider-kubernetes' webhook server
// on ":9443", klutch-bind's konnector on ":8080". Two of them cannot run beside each other in one
// namespace, nor beside those of a test of another checkout on the same machine; in a cluster each
// has a pod of its own. Inside there is only loopback, up: the test forwards into it the loopback
// addresses the component must reach (the API server) and exposes out of it what others must reach
// of it (a webhook), each connection copied by the test process.
//
// The test process enters the namespace only on OS threads of its own, locked to a goroutine that
// ends with its work: the thread ends with it (runtime.LockOSThread without Unlock), so no other
// goroutine ever runs in the namespace. Components are forked from such a thread and inherit the
// namespace. It needs root (CAP_SYS_ADMIN), as the end-to-end tests run.
type isolatedNet struct {
	name string
	// ns is the namespace's /proc/thread-self/ns/net, held open: the namespace lives as long as it
	// does, across restarts of its component.
	ns *os.File

	mu        sync.Mutex
	listeners []net.Listener
	closed    bool
}

// newIsolatedNet creates a network namespace with loopback up, closed in cleanup (registered with
// owner: the namespace lives as long as what owns its component).
func newIsolatedNet(t testing.TB, owner testing.TB, name string) *isolatedNet {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("%s binds fixed ports and runs in a network namespace of its own, which needs root (CAP_SYS_ADMIN); run as root, as CI does", name)
	}
	n := &isolatedNet{name: name}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // Never unlocked: the thread ends with this goroutine.
		if err := syscall.Unshare(syscall.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare(CLONE_NEWNET): %w", err)
			return
		}
		f, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			errc <- err
			return
		}
		if err := netns.LoopbackUp(); err != nil {
			_ = f.Close()
			errc <- fmt.Errorf("cannot bring loopback up: %w", err)
			return
		}
		n.ns = f
		errc <- nil
	}()
	if err := <-errc; err != nil {
		t.Fatalf("cannot create a network namespace for %s: %v", name, err)
	}
	owner.Cleanup(n.close)
	return n
}

// do runs f on an OS thread inside the namespace: what f creates there (a socket) stays in it.
func (n *isolatedNet) do(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // Never unlocked: the thread ends with this goroutine.
		if err := n.enter(); err != nil {
			errc <- err
			return
		}
		errc <- f()
	}()
	return <-errc
}

// enter moves the calling thread, locked to its goroutine and never unlocked, into the namespace.
func (n *isolatedNet) enter() error {
	if err := unix.Setns(int(n.ns.Fd()), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("cannot enter the network namespace of %s: %w", n.name, err)
	}
	return nil
}

// forwardIn makes addr (host:port on the test's loopback, e.g. the API server's) reachable at the
// same address inside the namespace.
func (n *isolatedNet) forwardIn(t testing.TB, addr string) {
	t.Helper()
	var l net.Listener
	if err := n.do(func() (err error) {
		l, err = net.Listen("tcp", addr)
		return err
	}); err != nil {
		t.Fatalf("cannot forward %s into the network namespace of %s: %v", addr, n.name, err)
	}
	n.serve(l, func() (net.Conn, error) { return net.DialTimeout("tcp", addr, 10*time.Second) })
}

// exposeOut makes inside (an address the component serves inside the namespace) reachable on the
// test's side at l, which it takes over.
func (n *isolatedNet) exposeOut(l net.Listener, inside string) {
	n.serve(l, func() (c net.Conn, err error) {
		err = n.do(func() (err error) {
			c, err = net.DialTimeout("tcp", inside, 10*time.Second)
			return err
		})
		return c, err
	})
}

// serve accepts connections on l until the namespace is closed, copying each to a connection dial
// opens.
func (n *isolatedNet) serve(l net.Listener, dial func() (net.Conn, error)) {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		_ = l.Close()
		return
	}
	n.listeners = append(n.listeners, l)
	n.mu.Unlock()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return // Closed.
			}
			go func() {
				d, err := dial()
				if err != nil {
					_ = c.Close()
					return
				}
				pipe(c, d)
			}()
		}
	}()
}

// pipe copies a to b and b to a until both directions end, passing on each half-close.
func pipe(a, b net.Conn) {
	var wg sync.WaitGroup
	cp := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		} else {
			_ = dst.Close()
		}
	}
	wg.Add(2)
	go cp(a, b)
	go cp(b, a)
	wg.Wait()
	_ = a.Close()
	_ = b.Close()
}

// listening reports whether something accepts TCP connections on addr inside the namespace.
func (n *isolatedNet) listening(addr string) (bool, string) {
	var ok bool
	var why string
	if err := n.do(func() error {
		ok, why = listening(addr)
		return nil
	}); err != nil {
		return false, err.Error()
	}
	return ok, why
}

// httpOK is httpOK for a URL inside the namespace. Its client dials inside (net/http dials on
// goroutines of its own, which run outside) and keeps no connection.
func (n *isolatedNet) httpOK(url string) (bool, string) {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (c net.Conn, err error) {
			err = n.do(func() error {
				var d net.Dialer
				c, err = d.DialContext(ctx, network, addr)
				return err
			})
			return c, err
		},
	}}
	return httpOK(c, url)
}

// close stops forwarding and lets the namespace go once its components have ended.
func (n *isolatedNet) close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	n.closed = true
	for _, l := range n.listeners {
		_ = l.Close()
	}
	_ = n.ns.Close()
}
