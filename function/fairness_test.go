package function

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/backendcrd"
	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// hostileSpec is cacheSpec with rules of CEL chains of terms terms each: 64 rules of 1,000 terms
// (1.5 MB) took 32 s of CPU per generation, and, never cached, again on every reconcile.
func hostileSpec(t *testing.T, rules, terms int) string {
	t.Helper()
	var chain []string
	for i := range terms {
		chain = append(chain, fmt.Sprintf("self.plan == 'p%d'", i))
	}
	var rs []map[string]string
	for range rules {
		rs = append(rs, map[string]string{"rule": strings.Join(chain, " || ")})
	}
	b, err := json.Marshal(rs)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Replace(cacheSpec, `"group": "example.org",`, `"group": "example.org", "rules": `+string(b)+`,`, 1)
}

// countingGenerator counts the generations of each DataService.
type countingGenerator struct {
	mu    sync.Mutex
	calls map[string]int
}

func (g *countingGenerator) generate(ctx context.Context, ds *v1alpha1.DataService, d inputv1beta1.Defaults, crds *backendcrd.Set) (*generator.Output, error) {
	g.mu.Lock()
	g.calls[ds.GetName()]++
	g.mu.Unlock()
	return generator.GenerateWith(ctx, ds, d, generator.Options{CRDs: crds})
}

func (g *countingGenerator) count(name string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls[name]
}

// TestRejectedShouldBeReplayed: a rejected DataService gets the same fatal result on the next
// reconcile without being generated again, until its spec changes.
func TestRejectedShouldBeReplayed(t *testing.T) {
	g := &countingGenerator{calls: map[string]int{}}
	f := New(logging.NewNopLogger())
	f.generate = g.generate
	req := func(spec string) *fnv1.RunFunctionRequest {
		return &fnv1.RunFunctionRequest{Meta: onV22(""), Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "evil", spec)}}}
	}
	bad := hostileSpec(t, 64, 1000)
	first, err := f.RunFunction(context.Background(), req(bad))
	if err != nil || len(first.GetResults()) != 1 || first.GetResults()[0].GetSeverity() != fnv1.Severity_SEVERITY_FATAL {
		t.Fatalf("RunFunction(hostile): %v, %v; want one fatal result", first, err)
	}
	if msg := first.GetResults()[0].GetMessage(); !strings.Contains(msg, "at most 1024 are allowed") {
		t.Errorf("fatal result %q: want the CEL length limit", msg)
	}
	again, err := f.RunFunction(context.Background(), req(bad))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, again, protocmp.Transform()); diff != "" {
		t.Errorf("the replayed rejection differs (-first +again):\n%s", diff)
	}
	if n := g.count("evil"); n != 1 {
		t.Errorf("generated %d times for two reconciles of an unchanged rejected DataService, want once", n)
	}
	if _, err := f.RunFunction(context.Background(), req(hostileSpec(t, 64, 999))); err != nil {
		t.Fatal(err)
	}
	if n := g.count("evil"); n != 2 {
		t.Errorf("generated %d times after the spec changed, want twice", n)
	}
}

// TestFairness: a small DataService is served within its deadline, every time, while two
// hostile ones are reconciled over and over, and neither hostile one is generated more than once.
func TestFairness(t *testing.T) {
	g := &countingGenerator{calls: map[string]int{}}
	f := New(logging.NewNopLogger())
	f.generate = g.generate
	hostile := map[string]string{
		// The issue's: beyond the limits, refused before compiling.
		"evil-chains": hostileSpec(t, 64, 1000),
		// The costliest CEL within the limits: 16 rules of 1,024 bytes.
		"evil-within": hostileSpec(t, 16, 50),
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var hostileCalls atomic.Int32
	for name, spec := range hostile {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := &fnv1.RunFunctionRequest{Meta: onV22(""), Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, name, spec)}}}
			for {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				f.RunFunction(ctx, req) //nolint:errcheck // only the load matters
				cancel()
				hostileCalls.Add(1)
			}
		}()
	}
	small := &fnv1.RunFunctionRequest{Meta: onV22(""), Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "cache", cacheSpec)}}}
	for i := range 20 {
		// Crossplane's default function deadline is 30 s; a much shorter one shows that the
		// small DataService never waits for the hostile ones' CEL.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		rsp, err := f.RunFunction(ctx, small)
		cancel()
		if err != nil || hasFatal(rsp) || rsp.GetDesired().GetResources()[string(nameXRD)] == nil {
			t.Fatalf("reconcile %d of the small DataService while two hostile ones are reconciled: %v, %v; want the XRD composed within the deadline", i, rsp, err)
		}
	}
	close(stop)
	wg.Wait()
	for name := range hostile {
		if n := g.count(name); n > 1 {
			t.Errorf("%s was generated %d times in %d reconciles, want once: a rejection is remembered", name, n, hostileCalls.Load())
		}
	}
}
