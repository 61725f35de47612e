package main

import (
	"context"
	"runtime"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// maxCalls bounds the calls decoded and served at once. gRPC decodes a request before any
// interceptor or handler sees it, so a limit inside the function comes too late: 40 concurrent
// requests of 2.2 MB, each refused as too large, took 3.1 GB while decoded side by side. The
// bytes of a waiting call stay read (at most --max-recv-message-size each); its message is decoded
// only once it has a slot. Two per CPU keeps the CPUs busy while calls wait on each other.
func maxCalls() int { return max(4, 2*runtime.GOMAXPROCS(0)) }

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
