package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/function-dataservice/function-dataservice/function"
	"github.com/function-dataservice/function-dataservice/internal/fnserver"
)

// peakHeap runs f and returns the largest heap in use, sampled, above what was in use before.
func peakHeap(f func()) uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	f()
	close(done)
	wg.Wait()
	if peak < base {
		return 0
	}
	return peak - base
}

// TestDecodeWithinTheCallLimit sends 40 concurrent requests of 2.2 MB, each refused as too
// large: they are decoded only a few at a time (they took 3.1 GB decoded side by side).
func TestDecodeWithinTheCallLimit(t *testing.T) {
	const n, size = 40, 2200 << 10
	run := func(t *testing.T, srv *grpc.Server) uint64 {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(lis) //nolint:errcheck // stopped below
		defer srv.Stop()
		conn := dial(t, lis.Addr().String(), insecure.NewCredentials())
		req := hugeRequest(t, size)
		return peakHeap(func() {
			var wg sync.WaitGroup
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rsp, err := call(conn, req)
					if err != nil || len(rsp.GetResults()) != 1 {
						t.Errorf("RunFunction(2.2 MB): %v, %v; want one fatal result", rsp, err)
					}
				}()
			}
			wg.Wait()
		})
	}
	fn := &inFlight{Function: function.New(logging.NewNopLogger())}
	heap := run(t, fnserver.NewServer(fn, insecure.NewCredentials(), 4<<20, false))
	// Measured on 2 CPUs: 333 MiB with the limit (4 calls), 587 MiB without; the rest is the
	// requests' bytes, read before the limit applies (at most --max-recv-message-size each), and
	// the client's.
	t.Logf("%d concurrent requests of %d KiB: at most %d decoded at once (limit %d), heap peaked %d MiB above idle", n, size>>10, fn.peak.Load(), fnserver.MaxCalls(), heap>>20)
	if got := fn.peak.Load(); got > int32(fnserver.MaxCalls()) {
		t.Errorf("%d requests were decoded at once, want at most %d", got, fnserver.MaxCalls())
	}
}

// inFlight counts the calls whose request is decoded and not yet answered, holding each a moment
// so that calls overlap.
type inFlight struct {
	*function.Function
	now, peak atomic.Int32
}

func (f *inFlight) RunFunction(ctx context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	n := f.now.Add(1)
	defer f.now.Add(-1)
	for {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			break
		}
	}
	time.Sleep(20 * time.Millisecond)
	return f.Function.RunFunction(ctx, req)
}

// vmHWM is the peak resident memory of a running process, from /proc.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc on this system: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			var kib int64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kib); err == nil {
				return kib << 10
			}
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}

// TestManyLargeCallsWithinMemory sends 400 concurrent calls of 3.9 MB, within the 4 MiB limit, on
// four connections to the real binary: its peak resident memory stays bounded (it peaked at
// 3.2 GB), because each connection opens only MaxCalls streams at once (the others wait in their
// client, sending nothing) and the server serves at most MaxConnections connections.
func TestManyLargeCallsWithinMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 1.5 GB to the binary")
	}
	const conns, perConn, size = 4, 100, 3900 << 10
	s := startServer(t, "--insecure")
	req := hugeRequest(t, size)
	var wg sync.WaitGroup
	var failed atomic.Int32
	start := time.Now()
	for range conns {
		conn := dial(t, s.address, insecure.NewCredentials())
		for range perConn {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
				defer cancel()
				rsp, err := fnv1.NewFunctionRunnerServiceClient(conn).RunFunction(ctx, req)
				if err != nil || len(rsp.GetResults()) != 1 {
					failed.Add(1)
				}
			}()
		}
	}
	wg.Wait()
	peak := vmHWM(t, s.cmd.Process.Pid)
	t.Logf("%d concurrent calls of %d KiB on %d connections: answered in %v, server peak RSS %d MiB", conns*perConn, size>>10, conns, time.Since(start).Round(time.Millisecond), peak>>20)
	if n := failed.Load(); n > 0 {
		t.Errorf("%d calls failed, want each answered with one fatal result (the spec is too large)", n)
	}
	// Measured on 2 CPUs: 210 MiB (3,097 MiB without the bounds on streams and connections).
	if peak > 512<<20 {
		t.Errorf("the server peaked at %d MiB resident, want at most 512 MiB", peak>>20)
	}
}
