package function

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// largeSpec is a DataService spec whose comps Compositions take 1.3 MiB each: 1,000 parameters
// ten levels deep under 60-character names, each patched with its full path. What two compose fits
// through gRPC; four do not.
func largeSpec(t *testing.T, group string, comps int) string {
	t.Helper()
	schema := testtools.NestedParameters(1000, 10)
	var cs []string
	for i := range comps {
		cs = append(cs, fmt.Sprintf(`{"name": "c%d", "services": ["s%d"], "plans": ["small", "big"],
			"backend": {"apiVersion": "dataservices.anynines.com/v1", "kind": "ServiceInstance",
				"fields": [{"from": "spec.plan", "to": "spec.forProvider.planName"}]}}`, i, i))
	}
	spec := fmt.Sprintf(`{"group": %q, "kind": "LargeInstance", "parameters": {"schema": %s}, "compositions": [%s]}`, group, schema, strings.Join(cs, ","))
	if !json.Valid([]byte(spec)) {
		t.Fatal("largeSpec is not JSON")
	}
	return spec
}

func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestCachesAreBoundedInBytes: the function's caches (the generator's outputs, the replays) are
// bounded in the bytes they hold, not in the DataServices they hold: once the first few large
// DataServices fill them, ten more distinct ones, each composing 2.6 MiB, leave the heap where it
// was (it grew by 6 MiB for each, up to 128 replays and 1,024 outputs).
func TestCachesAreBoundedInBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("generates sixteen large DataServices")
	}
	f := New(logging.NewNopLogger())
	compose := func(i int) {
		name := fmt.Sprintf("large-%d", i)
		req := &fnv1.RunFunctionRequest{Meta: onV22(""), Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, name, largeSpec(t, name+".example.org", 2))}}}
		rsp, err := f.RunFunction(context.Background(), req)
		if err != nil || len(rsp.GetDesired().GetResources()) != 4 {
			t.Fatalf("RunFunction(%s): %v, results %v; want it composed", name, err, rsp.GetResults())
		}
	}
	before := heapInUse()
	for i := range 6 {
		compose(i)
	}
	full := heapInUse()
	for i := 6; i < 16; i++ {
		compose(i)
	}
	after := heapInUse()
	t.Logf("heap grew %d MiB over the first 6 large DataServices, %d MiB over 10 more; the replays estimate they hold %d MiB (bound %d MiB), the generator's cache is bounded by %d MiB",
		(int64(full)-int64(before))>>20, (int64(after)-int64(full))>>20, f.replays.last.Bytes()>>20, replayBytes>>20, cacheBytes>>20)
	if grown := int64(after) - int64(full); grown > 16<<20 {
		t.Errorf("the heap grew by %d MiB over 10 more distinct DataServices once the caches were full, want at most 16 MiB", grown>>20)
	}
}

// TestTooLargeToComposeShouldReturnFatal: a DataService whose objects would not fit through the
// 4 MiB gRPC messages of Crossplane and the function composes nothing: a Fatal result names the
// largest objects (a 186 KB spec made a 4.9 MB response, which Crossplane refused).
func TestTooLargeToComposeShouldReturnFatal(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a large DataService")
	}
	f := New(logging.NewNopLogger())
	req := &fnv1.RunFunctionRequest{Meta: onV22(""), Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "huge", largeSpec(t, "huge.example.org", 4))}}}
	rsp, err := f.RunFunction(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(rsp.GetDesired().GetResources()) > 0 || !hasFatal(rsp) {
		t.Fatalf("RunFunction(too large to compose): %d resources, results %v; want nothing composed and a fatal result", len(rsp.GetDesired().GetResources()), rsp.GetResults())
	}
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			for _, want := range []string{"does not fit through Crossplane", "at most 4.0 MiB per gRPC message", `largest: Composition "c`} {
				if !strings.Contains(r.GetMessage(), want) {
					t.Errorf("fatal result %q: want it to contain %q", r.GetMessage(), want)
				}
			}
		}
	}
}
