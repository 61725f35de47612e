package fnserver

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// readyFn is a function that says whether its Ready had returned when it was first called.
type readyFn struct {
	fnv1.UnimplementedFunctionRunnerServiceServer
	ready, calledBeforeReady atomic.Bool
}

func (f *readyFn) RunFunction(context.Context, *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	if !f.ready.Load() {
		f.calledBeforeReady.Store(true)
	}
	return &fnv1.RunFunctionResponse{}, nil
}

// TestReadyBeforeServing: the function's Ready (function-dataservice's warm-up) runs to its end
// before anything listens at the address, so that no call waits for it and the first call finds the
// process warm.
func TestReadyBeforeServing(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	fn := &readyFn{}
	listeningDuringReady := make(chan bool, 1)
	ready := func(context.Context) error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		listeningDuringReady <- err == nil
		fn.ready.Store(true)
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	flags := &Flags{Network: "tcp", Address: addr, Insecure: true, MaxRecvMessageSize: 4}
	done := make(chan error, 1)
	go func() {
		done <- flags.run(ctx, "test", "v0", func(logging.Logger) Function {
			return Function{FunctionRunnerServiceServer: fn, Ready: ready}
		})
	}()

	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cctx, ccancel := context.WithTimeout(ctx, time.Minute)
	defer ccancel()
	// WaitForReady: the call waits for the listener instead of failing while Ready runs.
	if _, err := fnv1.NewFunctionRunnerServiceClient(conn).RunFunction(cctx, &fnv1.RunFunctionRequest{}, grpc.WaitForReady(true)); err != nil {
		t.Fatalf("RunFunction(): %v", err)
	}
	if <-listeningDuringReady {
		t.Error("something listened at the address while Ready ran, want the listener opened after it")
	}
	if fn.calledBeforeReady.Load() {
		t.Error("RunFunction was called before Ready returned")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run(): %v, want nil after a graceful stop", err)
	}
}

// TestReadyFails: a function whose Ready fails is not served: run returns the error without
// listening.
func TestReadyFails(t *testing.T) {
	flags := &Flags{Network: "tcp", Address: "127.0.0.1:0", Insecure: true, MaxRecvMessageSize: 4}
	boom := errors.New("boom")
	err := flags.run(context.Background(), "test", "v0", func(logging.Logger) Function {
		return Function{FunctionRunnerServiceServer: &readyFn{}, Ready: func(context.Context) error { return boom }}
	})
	if !errors.Is(err, boom) {
		t.Errorf("run(): %v, want %v", err, boom)
	}
}
