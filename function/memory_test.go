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
)

// largeSpec is a DataService spec whose two Compositions take 1.3 MiB each: 1,000 parameters ten
// levels deep under 60-character names, each patched with its full path. What it composes fits
// through gRPC, just.
func largeSpec(t *testing.T, group string) string {
	t.Helper()
	var leaves []string
	for i := range 1000 {
		leaves = append(leaves, fmt.Sprintf(`"p%d":{"type":"string"}`, i))
	}
	schema := `{"type":"object","properties":{` + strings.Join(leaves, ",") + `}}`
	for i := range 10 {
		schema = `{"type":"object","properties":{"` + strings.Repeat(string(rune('a'+i)), 60) + `":` + schema + `}}`
	}
	var comps []string
	for i := range 2 {
		comps = append(comps, fmt.Sprintf(`{"name": "c%d", "services": ["s%d"], "plans": ["small", "big"],
			"backend": {"apiVersion": "dataservices.anynines.com/v1", "kind": "ServiceInstance",
				"fields": [{"from": "spec.plan", "to": "spec.forProvider.planName"}]}}`, i, i))
	}
	spec := fmt.Sprintf(`{"group": %q, "kind": "LargeInstance", "parameters": {"schema": %s}, "compositions": [%s]}`, group, schema, strings.Join(comps, ","))
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
// bounded in the bytes they hold, not in the DataServices: ten distinct large DataServices, each
// composing 2.6 MiB, leave the heap within the caches' bounds, and the caches' own estimates
// of what they hold are no smaller than what the heap grew by (idle, they held every one of them:
// about 0.5 GB per DataService of the largest kind).
func TestCachesAreBoundedInBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("generates ten large DataServices")
	}
	f := New(logging.NewNopLogger())
	before := heapInUse()
	for i := range 10 {
		name := fmt.Sprintf("large-%d", i)
		req := &fnv1.RunFunctionRequest{Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, name, largeSpec(t, name+".example.org"))}}}
		rsp, err := f.RunFunction(context.Background(), req)
		if err != nil || len(rsp.GetDesired().GetResources()) != 4 {
			t.Fatalf("RunFunction(%s): %v, results %v; want it composed", name, err, rsp.GetResults())
		}
	}
	grown := int64(heapInUse()) - int64(before)
	held := f.replays.last.Bytes()
	t.Logf("after 10 large DataServices: heap grown by %d MiB; the replays estimate they hold %d MiB (bound %d MiB), the generator's cache bounded by %d MiB",
		grown>>20, held>>20, replayBytes>>20, cacheBytes>>20)
	if limit := int64(replayBytes + cacheBytes + 32<<20); grown > limit {
		t.Errorf("the heap grew by %d MiB, beyond the caches' bounds of %d MiB and some slack", grown>>20, limit>>20)
	}
}
