package fnserver

import (
	"context"
	"net"
	"runtime"
	"time"

	"golang.org/x/net/netutil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
)

// Bounds on what the server holds of calls it has not answered. gRPC reads a request's bytes
// whole (up to --max-recv-message-size) as soon as its stream opens, before MaxCalls applies, so
// streams and connections are bounded too: 400 concurrent calls of 3.9 MB on one connection
// peaked at 3.2 GB. With these, a server holds at most MaxConnections * MaxCalls requests' bytes
// (1 GiB at the default 32 MiB each on 2 CPUs, 128 MiB at 4 MiB; the default admits the
// composites of an API whose change is pending, function/live.go) and decodes MaxCalls of them;
// a call beyond waits in its client, which sends nothing until the server opens its stream.
const (
	// MaxConnections bounds the connections served at once: Crossplane keeps one per Function
	// (per Crossplane pod), crossplane render opens one per run. A connection beyond waits to be
	// accepted until one closes.
	MaxConnections = 8
	// IdleConnection is how long a connection without calls is kept, so that connections left
	// open do not hold the places of MaxConnections: a client reconnects on its next call.
	IdleConnection = 5 * time.Minute
	// StreamWindow is the HTTP/2 flow-control window of a stream: what a client may send of it
	// that the server has not read yet. A connection's window is MaxCalls times as much. Fixed
	// (gRPC otherwise grows them to 16 MiB as it estimates the bandwidth) so that what the
	// transport buffers is bounded; on loopback and in a cluster, 1 MiB does not slow a call.
	StreamWindow = 1 << 20
)

// serverLimits are the server options that bound streams and buffered bytes (see MaxConnections).
func serverLimits() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxConcurrentStreams(uint32(MaxCalls())),
		grpc.InitialWindowSize(StreamWindow),
		grpc.InitialConnWindowSize(int32(StreamWindow * MaxCalls())),
		grpc.KeepaliveParams(keepalive.ServerParameters{MaxConnectionIdle: IdleConnection}),
	}
}

// limitConnections accepts at most MaxConnections connections of l at once.
func limitConnections(l net.Listener) net.Listener { return netutil.LimitListener(l, MaxConnections) }

// MaxCalls bounds the calls decoded and served at once, and the calls one connection opens at once
// (HTTP/2's concurrent streams). gRPC decodes a request before any
// interceptor or handler sees it, so a limit inside the function comes too late: 40 concurrent
// requests of 2.2 MB, each refused as too large, took 3.1 GB while decoded side by side. The
// bytes of a waiting call stay read (at most --max-recv-message-size each); its message is decoded
// only once it has a slot. Two per CPU keeps the CPUs busy while calls wait on each other.
func MaxCalls() int { return max(4, 2*runtime.GOMAXPROCS(0)) }

// limitCalls returns a copy of a service whose methods take one of slots before they decode their
// request, and give it back once answered. A call whose context ends while it waits is answered
// with the context's error without being decoded.
func limitCalls(desc *grpc.ServiceDesc, slots chan struct{}) *grpc.ServiceDesc {
	out := *desc
	out.Methods = make([]grpc.MethodDesc, len(desc.Methods))
	for i, m := range desc.Methods {
		h := m.Handler
		m.Handler = func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return nil, status.FromContextError(ctx.Err()).Err()
			}
			defer func() { <-slots }()
			return h(srv, ctx, dec, ic)
		}
		out.Methods[i] = m
	}
	return &out
}
