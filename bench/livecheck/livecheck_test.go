// Package livecheck benchmarks the evaluation of a change of a live data service against its
// existing instances (internal/livecheck), alone and inside the function (function/live.go), at
// the bound the function evaluates: 10,000 instances of Klutch's MongoDB, one of whose plans the
// change removes. The instances are composites as Crossplane 1.x keeps them for claims (labels,
// finalizers, managed fields, claimRef, resourceRefs, a status), about 2.5 KiB each as JSON.
//
//	go test -run '^$' -bench . -benchmem ./bench/livecheck
package livecheck

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/function"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/livecheck"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// instances is how many composites the benchmarks evaluate: the function's bound.
const instances = livecheck.DefaultMaxInstances

// removed is the plan the change removes; every tenth instance has it.
const removed = "mongodbsspl-single-big"

// change is Klutch's MongoDB before and after the change.
func change(b *testing.B) (old, next *v1alpha1.DataService) {
	old = testtools.ReadDataService(b, "../../examples/klutch/mongodb.yaml")
	next = old.DeepCopy()
	c := &next.Spec.Compositions[0]
	c.Plans = slices.DeleteFunc(slices.Clone(c.Plans), func(p string) bool { return p == removed })
	return old, next
}

// composite is the i-th instance, as Crossplane 1.x keeps the composite of a claim.
func composite(i int) map[string]any {
	plans := []string{"mongodbsspl-single-nano", "mongodbsspl-single-small", "mongodbsspl-replica-small", "mongodbsspl-replica-big", "mongodbsspl-single-small-ssl",
		"mongodbsspl-single-nano-ssl", "mongodbsspl-replica-small-ssl", "mongodbsspl-replica-big-ssl", "mongodbsspl-single-big-ssl", removed}
	ns, claim := fmt.Sprintf("team-%03d", i%200), fmt.Sprintf("db-%05d", i)
	name := claim + "-x7k2p"
	return map[string]any{
		"apiVersion": "anynines.com/v1",
		"kind":       "XMongodbInstance",
		"metadata": map[string]any{
			"name": name, "uid": fmt.Sprintf("0d5f7a8c-0000-4000-8000-%012d", i), "resourceVersion": "184467", "generation": 2.0,
			"creationTimestamp": "2026-11-02T10:11:12Z",
			"labels":            map[string]any{"crossplane.io/claim-name": claim, "crossplane.io/claim-namespace": ns, "crossplane.io/composite": name},
			"finalizers":        []any{"composite.apiextensions.crossplane.io"},
			"managedFields": []any{
				map[string]any{"apiVersion": "anynines.com/v1", "fieldsType": "FieldsV1", "manager": "apiextensions.crossplane.io/claim", "operation": "Apply", "time": "2026-11-02T10:11:12Z",
					"fieldsV1": map[string]any{"f:metadata": map[string]any{"f:labels": map[string]any{"f:crossplane.io/claim-name": map[string]any{}, "f:crossplane.io/claim-namespace": map[string]any{}}},
						"f:spec": map[string]any{"f:claimRef": map[string]any{}, "f:compositionRef": map[string]any{}, "f:plan": map[string]any{}, "f:service": map[string]any{}}}},
				map[string]any{"apiVersion": "anynines.com/v1", "fieldsType": "FieldsV1", "manager": "apiextensions.crossplane.io/composite", "operation": "Update", "subresource": "status", "time": "2026-11-02T10:12:40Z",
					"fieldsV1": map[string]any{"f:status": map[string]any{"f:conditions": map[string]any{}, "f:managed": map[string]any{}}}},
			},
		},
		"spec": map[string]any{
			"service": "a9s-mongodb70", "plan": plans[i%len(plans)], "acceptsIncomplete": true,
			"parameters":                 map[string]any{"setClusterParameter": map[string]any{"changeStreamOptions": map[string]any{"preAndPostImages": map[string]any{"expireAfterSeconds": 3600.0}}}},
			"compositionRef":             map[string]any{"name": "a9s-mongodb"},
			"compositionRevisionRef":     map[string]any{"name": "a9s-mongodb-5d8f1c2"},
			"compositionUpdatePolicy":    "Automatic",
			"claimRef":                   map[string]any{"apiVersion": "anynines.com/v1", "kind": "MongodbInstance", "namespace": ns, "name": claim},
			"resourceRefs":               []any{map[string]any{"apiVersion": "dataservices.anynines.com/v1", "kind": "ServiceInstance", "name": name}},
			"writeConnectionSecretToRef": map[string]any{"name": "a3c8b2d1-0000-4000-8000-000000000000", "namespace": "crossplane-system"},
		},
		"status": map[string]any{
			"conditions": []any{
				map[string]any{"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": "2026-11-02T10:12:40Z"},
				map[string]any{"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": "2026-11-02T10:14:02Z"},
			},
			"managed": map[string]any{"state": "succeeded", "createdAt": "2026-11-02T10:12:41Z", "provisionedAt": "2026-11-02T10:14:01Z", "updatedAt": "2026-11-02T10:14:01Z"},
		},
	}
}

// BenchmarkEvaluate is livecheck.Evaluate alone: the two releases read (the old one back from its
// XRD and Composition, as the function reads what is observed; both compile their rules), then
// 10,000 instances evaluated. Instances that hold the same values are evaluated once, as most do
// (10 plans, one parameter value here).
func BenchmarkEvaluate(b *testing.B) { benchmarkEvaluate(b, false) }

// BenchmarkEvaluateDistinct is BenchmarkEvaluate with every instance holding a value of its own
// (its parameter): each is validated, the worst case.
func BenchmarkEvaluateDistinct(b *testing.B) { benchmarkEvaluate(b, true) }

func benchmarkEvaluate(b *testing.B, distinct bool) {
	old, next := change(b)
	oo, err := generator.Generate(old, inputv1beta1.Defaults{})
	if err != nil {
		b.Fatal(err)
	}
	no, err := generator.Generate(next, inputv1beta1.Defaults{})
	if err != nil {
		b.Fatal(err)
	}
	ins := make([]livecheck.Instance, instances)
	for i := range ins {
		c := composite(i)
		if distinct {
			c["spec"].(map[string]any)["parameters"] = map[string]any{"setClusterParameter": map[string]any{"changeStreamOptions": map[string]any{"preAndPostImages": map[string]any{"expireAfterSeconds": int64(i)}}}}
		}
		ins[i] = livecheck.InstanceOf(xpline.V1, c)
	}
	b.ReportAllocs()
	m := measure()
	for b.Loop() {
		or, err := livecheck.ReadRelease(oo.XRD, oo.Compositions)
		if err != nil {
			b.Fatal(err)
		}
		nr, err := livecheck.NewRelease(no.Resolved, no.XRD, no.Compositions)
		if err != nil {
			b.Fatal(err)
		}
		r, err := livecheck.Evaluate(context.Background(), or, nr, ins, livecheck.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if r.Evaluated != instances || len(r.Changes) != 1 || len(r.Changes[0].Instances) != instances/10 {
			b.Fatalf("evaluated %d, changes %+v", r.Evaluated, r.Changes)
		}
	}
	m.report(b)
}

// BenchmarkRunFunction is the function's call that holds the change back: the request Crossplane
// sends once it delivered the 10,000 composites (decoded already, as gRPC hands it over), the
// DataService generated, the instances converted and evaluated, the XRD composed as observed.
// request-MiB is the request's protobuf size, which --max-recv-message-size must admit.
func BenchmarkRunFunction(b *testing.B) {
	old, next := change(b)
	oo, err := generator.Generate(old, inputv1beta1.Defaults{})
	if err != nil {
		b.Fatal(err)
	}
	xr, err := structpb.NewStruct(map[string]any{"apiVersion": "dataservice.klutch.io/v1alpha1", "kind": "DataService",
		"metadata": map[string]any{"name": next.Name}, "spec": toMap(b, next.Spec)})
	if err != nil {
		b.Fatal(err)
	}
	observed := map[string]*fnv1.Resource{"xrd": {Resource: mustStruct(b, oo.XRD.Object)}}
	for _, c := range oo.Compositions {
		observed["composition-"+c.GetName()] = &fnv1.Resource{Resource: mustStruct(b, c.Object)}
	}
	items := make([]*fnv1.Resource, instances)
	for i := range items {
		items[i] = &fnv1.Resource{Resource: mustStruct(b, composite(i))}
	}
	req := &fnv1.RunFunctionRequest{
		Meta:           &fnv1.RequestMeta{Tag: "bench", Capabilities: []fnv1.Capability{fnv1.Capability_CAPABILITY_CAPABILITIES, fnv1.Capability_CAPABILITY_REQUIRED_RESOURCES, fnv1.Capability_CAPABILITY_CONDITIONS}},
		Observed:       &fnv1.State{Composite: &fnv1.Resource{Resource: xr}, Resources: observed},
		ExtraResources: map[string]*fnv1.Resources{"dataservice-instances": {Items: items}}, //nolint:staticcheck // the field Crossplane 1.x fills
	}
	f := function.New(logging.NewNopLogger())
	b.ReportAllocs()
	m := measure()
	for b.Loop() {
		rsp, err := f.RunFunction(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		if c := rsp.GetConditions(); len(c) != 1 || c[0].GetStatus() != fnv1.Status_STATUS_CONDITION_FALSE {
			b.Fatalf("not held back: %v %v", rsp.GetConditions(), rsp.GetResults())
		}
	}
	m.report(b)
	b.ReportMetric(float64(proto.Size(req))/(1<<20), "request-MiB")
}

// measurement samples what a benchmark's loop costs beyond wall time, which on a shared machine
// says little: the process's CPU time (rusage) and the largest heap in use.
type measurement struct {
	cpu0 time.Duration
	base uint64
	peak atomic.Uint64
	done chan struct{}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func measure() *measurement {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m := &measurement{cpu0: cpuTime(), base: ms.HeapInuse, done: make(chan struct{})}
	go func() {
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > m.peak.Load() {
				m.peak.Store(ms.HeapInuse)
			}
			select {
			case <-m.done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return m
}

// report adds instances/s (by CPU time, not wall time), CPU-ms per evaluation of all instances and
// the peak heap in use above what the set-up holds.
func (m *measurement) report(b *testing.B) {
	close(m.done)
	cpu := cpuTime() - m.cpu0
	b.ReportMetric(float64(instances)*float64(b.N)/cpu.Seconds(), "instances/cpu-s")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/op")
	if p := m.peak.Load(); p > m.base {
		b.ReportMetric(float64(p-m.base)/(1<<20), "peak-heap-MiB")
	}
}

func mustStruct(b *testing.B, m map[string]any) *structpb.Struct {
	s, err := structpb.NewStruct(m)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

func toMap(b *testing.B, spec v1alpha1.DataServiceSpec) map[string]any {
	m, err := k8sruntime.DefaultUnstructuredConverter.ToUnstructured(&spec)
	if err != nil {
		b.Fatal(err)
	}
	return m
}
