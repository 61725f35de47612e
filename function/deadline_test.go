package function

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/backendcrd"
	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// blockingGenerator stands in for a generation that takes long (the CEL rules of a large spec): it
// says when it started and returns once released, or once its context ends, as the generator
// does.
type blockingGenerator struct {
	started chan struct{}
	release chan struct{}
	calls   atomic.Int32
}

func newBlockingGenerator() *blockingGenerator {
	// Room for a start signal from every slot and a few more, so that no generation blocks on it.
	return &blockingGenerator{started: make(chan struct{}, runtime.GOMAXPROCS(0)+8), release: make(chan struct{})}
}

func (g *blockingGenerator) generate(ctx context.Context, ds *v1alpha1.DataService, d inputv1beta1.Defaults, crds *backendcrd.Set) (*generator.Output, error) {
	g.calls.Add(1)
	g.started <- struct{}{}
	select {
	case <-g.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return generator.GenerateWith(ctx, ds, d, generator.Options{CRDs: crds})
}

// returned waits for a RunFunction call to return. The wait is bounded only so that a hang fails
// the test instead of stalling it; nothing is asserted about how long the call took.
func returned(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatal("RunFunction did not return after its context ended")
		return nil
	}
}

func TestRunFunctionHonoursItsContext(t *testing.T) {
	req := &fnv1.RunFunctionRequest{Meta: onV22(""), Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "cache", cacheSpec)}}}
	run := func(f *Function, ctx context.Context) <-chan error {
		done := make(chan error, 1)
		go func() {
			rsp, err := f.RunFunction(ctx, req)
			if err == nil && rsp == nil {
				t.Error("RunFunction returned neither a response nor an error")
			}
			done <- err
		}()
		return done
	}
	wantCode := func(t *testing.T, reason string, err error, want codes.Code) {
		t.Helper()
		if got := status.Code(err); got != want {
			t.Errorf("%s\nRunFunction(...): got code %s (%v), want %s", reason, got, err, want)
		}
	}

	t.Run("DeadlinePassedShouldNotGenerate", func(t *testing.T) {
		g := newBlockingGenerator()
		f := New(logging.NewNopLogger())
		f.generate = g.generate
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel()
		wantCode(t, "A call whose deadline has passed is answered with DeadlineExceeded, without generating.", returned(t, run(f, ctx)), codes.DeadlineExceeded)
		close(g.release)
		if n := g.calls.Load(); n > 0 {
			t.Errorf("generated %d times for a call whose deadline had passed", n)
		}
	})

	t.Run("CancelledDuringGenerationShouldReturnAtOnce", func(t *testing.T) {
		g := newBlockingGenerator()
		f := New(logging.NewNopLogger())
		f.generate = g.generate
		ctx, cancel := context.WithCancel(context.Background())
		done := run(f, ctx)
		<-g.started
		cancel()
		wantCode(t, "A call cancelled while its DataService is generated returns Canceled without waiting for the generator.", returned(t, done), codes.Canceled)
		close(g.release)
	})

	t.Run("BusySlotsShouldNotOutwaitTheContext", func(t *testing.T) {
		g := newBlockingGenerator()
		f := New(logging.NewNopLogger())
		f.generate = g.generate
		// Fill every slot with a generation whose caller is still waiting.
		var cancels []context.CancelFunc
		var dones []<-chan error
		for range cap(f.slots) {
			ctx, cancel := context.WithCancel(context.Background())
			cancels = append(cancels, cancel)
			dones = append(dones, run(f, ctx))
			<-g.started
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := run(f, ctx)
		cancel()
		wantCode(t, "A call waiting for a slot returns Canceled when its context ends.", returned(t, done), codes.Canceled)
		if n := int(g.calls.Load()); n != cap(f.slots) {
			t.Errorf("generated %d times, want %d: the call that waited for a slot must not generate", n, cap(f.slots))
		}
		for i, cancel := range cancels {
			cancel()
			wantCode(t, "A call cancelled while generating returns Canceled.", returned(t, dones[i]), codes.Canceled)
		}
	})

	t.Run("AbandonedGenerationsShouldFreeTheirSlots", func(t *testing.T) {
		g := newBlockingGenerator()
		f := New(logging.NewNopLogger())
		f.generate = g.generate
		// Fill every slot with a generation whose caller gives up.
		for range cap(f.slots) {
			ctx, cancel := context.WithCancel(context.Background())
			done := run(f, ctx)
			<-g.started
			cancel()
			wantCode(t, "A call cancelled while generating returns Canceled.", returned(t, done), codes.Canceled)
		}
		// Their generations stop with their callers: a new call finds a slot without any of
		// them being released (they kept the slots, and an unrelated DataService timed out).
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		done := make(chan struct{})
		var rsp *fnv1.RunFunctionResponse
		var err error
		go func() {
			defer close(done)
			rsp, err = f.RunFunction(ctx, req)
		}()
		select {
		case <-g.started:
		case <-ctx.Done():
			t.Fatal("no slot was freed by the generations whose callers gave up")
		}
		close(g.release)
		<-done
		if err != nil || hasFatal(rsp) || rsp.GetDesired().GetResources()[string(nameXRD)] == nil {
			t.Errorf("once a slot is free: RunFunction(...) = %v, %v; want the XRD composed", rsp, err)
		}
	})
}
