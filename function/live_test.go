package function

import (
	"context"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// liveSpec is a DataService of two generated compositions; its variants below change it.
const liveSpec = `{
	"group": "example.org",
	"kind": "CacheInstance",
	"plan": {%s},
	"compositions": [
		{"name": "cache-a", "plans": [%s], "backend": {"apiVersion": "example.org/v1", "kind": "Cache"}},
		{"name": "cache-b", "plans": ["b-small"], "backend": {"apiVersion": "example.org/v1", "kind": "Cache"%s}}
	]
}`

// liveDS is liveSpec with the plan block, the plans of cache-a and more of cache-b's backend.
func liveDS(plan, plansA, backendB string) string {
	s := liveSpec
	for _, v := range []string{plan, plansA, backendB} {
		s = strings.Replace(s, "%s", v, 1)
	}
	return s
}

// observedAs is s as the API server and Crossplane return it: with metadata they write and a
// status.
func observedAs(t *testing.T, s *structpb.Struct) *structpb.Struct {
	t.Helper()
	m := s.AsMap()
	md := m["metadata"].(map[string]any)
	md["uid"] = "8a1c0000-0000-4000-8000-000000000000"
	md["resourceVersion"] = "7"
	md["labels"] = map[string]any{"crossplane.io/composite": "cache"}
	m["status"] = map[string]any{"conditions": []any{
		map[string]any{"type": "Established", "status": "True", "reason": "WatchingCompositeResource"},
		map[string]any{"type": "Offered", "status": "True", "reason": "WatchingCompositeResource"},
	}}
	out, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// cacheComposite is an existing composite of the cache API: the claim ns/name's, on composition comp
// and plan.
func cacheComposite(ns, name, comp, plan string) *fnv1.Resource {
	return &fnv1.Resource{Resource: resource.MustStructJSON(`{"apiVersion": "example.org/v1", "kind": "XCacheInstance",
		"metadata": {"name": "` + name + `-abcde", "uid": "1"},
		"spec": {"plan": "` + plan + `", "compositionRef": {"name": "` + comp + `"},
			"claimRef": {"apiVersion": "example.org/v1", "kind": "CacheInstance", "namespace": "` + ns + `", "name": "` + name + `"},
			"resourceRefs": [{"apiVersion": "example.org/v1", "kind": "Cache", "name": "` + name + `-abcde"}]},
		"status": {"conditions": [{"type": "Ready", "status": "True"}]}}`)}
}

// appliedAPlanRemoval is what the annotation applied when it removed plan a-big of TestLiveChange.
const appliedAPlanRemoval = `applied as dataservice.klutch.io/allow-breaking-changes asks, breaking existing instances: plan "a-big" is no longer offered (NotOffered): 1 instance uses it (team-a/orders)`

func TestLiveChange(t *testing.T) {
	oldSpec := liveDS(``, `"a-small", "a-big"`, ``)
	old := generate(t, "cache", oldSpec, inputv1beta1.Defaults{})
	instances := map[string]*fnv1.Resources{requiredInstances: {Items: []*fnv1.Resource{
		cacheComposite("team-a", "orders", "cache-a", "a-big"),
		cacheComposite("team-b", "carts", "cache-a", "a-small"),
		cacheComposite("team-a", "users", "cache-b", "b-small"),
	}}}
	// observed is what Crossplane observes once old was applied.
	observed := func(t *testing.T) map[string]*fnv1.Resource {
		rs := map[string]*fnv1.Resource{"xrd": {Resource: observedAs(t, asStruct(t, old.XRD))}}
		for _, c := range old.Compositions {
			rs["composition-"+c.GetName()] = &fnv1.Resource{Resource: observedAs(t, asStruct(t, c))}
		}
		return rs
	}
	askInstances := &fnv1.Requirements{ExtraResources: map[string]*fnv1.ResourceSelector{ //nolint:staticcheck // the field Crossplane 1.x reads
		requiredInstances: {ApiVersion: "example.org/v1", Kind: "XCacheInstance", Match: &fnv1.ResourceSelector_MatchLabels{MatchLabels: &fnv1.MatchLabels{}}},
	}}
	xrdAsObserved := func(t *testing.T) *structpb.Struct {
		m := observed(t)["xrd"].GetResource().AsMap()
		md := m["metadata"].(map[string]any)
		out, err := structpb.NewStruct(map[string]any{"apiVersion": m["apiVersion"], "kind": m["kind"], "spec": m["spec"],
			"metadata": map[string]any{"name": md["name"], "labels": md["labels"]}})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	type want struct {
		requirements *fnv1.Requirements
		// desired are the XRD and Compositions composed, by name: as generated or, held back, as
		// observed.
		desired map[string]*structpb.Struct
		// results are the messages of the live check's results (beside the generator's notes),
		// each a prefix.
		results []string
		// condition is the ChangesApplied condition, nil for none.
		condition *fnv1.Condition
	}
	cases := map[string]struct {
		reason      string
		spec        string
		annotations string
		instances   bool
		// conditions are the observed DataService's.
		conditions string
		// observe edits what Crossplane observes (observed below).
		observe func(t *testing.T, rs map[string]*fnv1.Resource)
		// max bounds the instances evaluated; 0 keeps the function's bound.
		max  int
		want func(t *testing.T, next *generator.Output) want
	}{
		"PendingChangeAsksForInstances": {
			reason: "A change of the XRD asks Crossplane for the API's composites before composing anything.",
			spec:   liveDS(``, `"a-small"`, ``),
			want: func(t *testing.T, _ *generator.Output) want {
				return want{requirements: askInstances}
			},
		},
		"PlanInUseRemovedIsHeldBack": {
			reason:    "Removing a plan an instance uses keeps the observed XRD, and says so on the DataService.",
			spec:      liveDS(``, `"a-small"`, ``),
			instances: true,
			want: func(t *testing.T, next *generator.Output) want {
				return want{
					requirements: askInstances,
					desired:      composedWith(t, xrdAsObserved(t), next),
					results:      []string{`held back: plan "a-big" is no longer offered (NotOffered): 1 instance uses it (team-a/orders); hide it with spec.plan.hidden instead`},
					condition: &fnv1.Condition{Type: conditionChangesApplied, Status: fnv1.Status_STATUS_CONDITION_FALSE, Reason: reasonHeldBack,
						Message: ptr(`held back: plan "a-big" is no longer offered (NotOffered): 1 instance uses it (team-a/orders); hide it with spec.plan.hidden instead (instances that have it keep it, new ones cannot choose it), or annotate the DataService with dataservice.klutch.io/allow-breaking-changes: "true" to apply it anyway`)},
				}
			},
		},
		"IndependentChangeApplies": {
			reason:    "A change of another object than the one held back applies in the same reconcile.",
			spec:      liveDS(``, `"a-small"`, `, "base": {"spec": {"forProvider": {"tier": "gold"}}}`),
			instances: true,
			want: func(t *testing.T, next *generator.Output) want {
				return want{
					requirements: askInstances,
					desired:      composedWith(t, xrdAsObserved(t), next),
					results:      []string{`held back: plan "a-big" is no longer offered`},
					condition:    &fnv1.Condition{Type: conditionChangesApplied, Status: fnv1.Status_STATUS_CONDITION_FALSE, Reason: reasonHeldBack},
				}
			},
		},
		"AnnotationApplies": {
			reason:      "The annotation applies a breaking change, says whom it breaks, and records it on the XRD.",
			spec:        liveDS(``, `"a-small"`, ``),
			annotations: `{"dataservice.klutch.io/allow-breaking-changes": "true"}`,
			instances:   true,
			want: func(t *testing.T, next *generator.Output) want {
				return want{
					requirements: askInstances,
					desired:      composedWith(t, recorded(t, asStruct(t, next.XRD), appliedAPlanRemoval), next),
					results:      []string{`applied although it breaks existing instances, as dataservice.klutch.io/allow-breaking-changes asks: plan "a-big" is no longer offered`},
					condition:    &fnv1.Condition{Type: conditionChangesApplied, Status: fnv1.Status_STATUS_CONDITION_TRUE, Reason: reasonAllowed, Message: ptr(appliedAPlanRemoval)},
				}
			},
		},
		"AnnotationKeepsWhatItAppliedBefore": {
			reason: "Crossplane observes the XRD applied before a Composition: the change left breaks nothing, and the condition and record keep what the annotation applied.",
			spec:   liveDS(``, `"a-small"`, `, "base": {"spec": {"forProvider": {"tier": "gold"}}}`),
			observe: func(t *testing.T, rs map[string]*fnv1.Resource) {
				rs["xrd"].Resource = recorded(t, observedAs(t, asStruct(t, generate(t, "cache", liveDS(``, `"a-small"`, ``), inputv1beta1.Defaults{}).XRD)), appliedAPlanRemoval)
			},
			annotations: `{"dataservice.klutch.io/allow-breaking-changes": "true"}`,
			instances:   true,
			conditions:  `[{"type": "ChangesApplied", "status": "True", "reason": "BreakingChangesAllowed", "message": "` + strings.ReplaceAll(appliedAPlanRemoval, `"`, `\"`) + `"}]`,
			want: func(t *testing.T, next *generator.Output) want {
				return want{
					requirements: askInstances,
					desired:      composedWith(t, recorded(t, asStruct(t, next.XRD), appliedAPlanRemoval), next),
					condition:    &fnv1.Condition{Type: conditionChangesApplied, Status: fnv1.Status_STATUS_CONDITION_TRUE, Reason: reasonAllowed, Message: ptr(appliedAPlanRemoval)},
				}
			},
		},
		"RecordSetsALostConditionRight": {
			reason:      "Nothing is pending and the condition says otherwise (Crossplane lost the status write that said what the annotation applied): the XRD's record sets it again.",
			spec:        liveDS(``, `"a-small"`, ``),
			observe:     observeAppliedRemoval,
			annotations: `{"dataservice.klutch.io/allow-breaking-changes": "true"}`,
			conditions:  `[{"type": "ChangesApplied", "status": "True", "reason": "Applied", "message": "no change breaks the 3 existing instances"}]`,
			want: func(t *testing.T, next *generator.Output) want {
				return want{
					desired:   composedWith(t, recorded(t, asStruct(t, next.XRD), appliedAPlanRemoval), next),
					condition: &fnv1.Condition{Type: conditionChangesApplied, Status: fnv1.Status_STATUS_CONDITION_TRUE, Reason: reasonAllowed, Message: ptr(appliedAPlanRemoval)},
				}
			},
		},
		"RecordGoesWithTheAnnotation": {
			reason:     "Once the annotation is removed, the record is dropped from the XRD and the condition says the DataService is applied.",
			spec:       liveDS(``, `"a-small"`, ``),
			observe:    observeAppliedRemoval,
			conditions: `[{"type": "ChangesApplied", "status": "True", "reason": "BreakingChangesAllowed", "message": "applied as …"}]`,
			want: func(t *testing.T, next *generator.Output) want {
				return want{
					desired:   composedWith(t, asStruct(t, next.XRD), next),
					condition: &fnv1.Condition{Type: conditionChangesApplied, Status: fnv1.Status_STATUS_CONDITION_TRUE, Reason: reasonApplied, Message: ptr(msgApplied)},
				}
			},
		},
		"HiddenPlanApplies": {
			reason:    "Hiding a plan in use breaks nothing: applied.",
			spec:      liveDS(`"hidden": ["a-big"]`, `"a-small", "a-big"`, ``),
			instances: true,
			want: func(t *testing.T, next *generator.Output) want {
				return want{
					requirements: askInstances,
					desired:      composedWith(t, asStruct(t, next.XRD), next),
					condition: &fnv1.Condition{Type: conditionChangesApplied, Status: fnv1.Status_STATUS_CONDITION_TRUE, Reason: reasonApplied,
						Message: ptr("no change breaks the 3 existing instances")},
				}
			},
		},
		"BeyondTheBoundIsHeldBack": {
			reason:    "Beyond the instances the function evaluates, what a change does is unknown: everything it changes is held back, and the DataService says why.",
			spec:      liveDS(`"hidden": ["a-big"]`, `"a-small", "a-big"`, ``),
			instances: true,
			max:       2,
			want: func(t *testing.T, next *generator.Output) want {
				return want{
					requirements: askInstances,
					desired:      composedWith(t, xrdAsObserved(t), next),
					results:      []string{`held back: 3 instances of the API exist and 2 were evaluated (the function evaluates at most 2 instances per reconcile)`},
					condition:    &fnv1.Condition{Type: conditionChangesApplied, Status: fnv1.Status_STATUS_CONDITION_FALSE, Reason: reasonHeldBack},
				}
			},
		},
		"NothingPendingAsksNothing": {
			reason: "A DataService whose objects are composed as observed asks for no instances.",
			spec:   oldSpec,
			want: func(t *testing.T, next *generator.Output) want {
				return want{desired: composedWith(t, asStruct(t, next.XRD), next)}
			},
		},
		"NothingPendingSetsTheConditionRight": {
			reason:     "Once nothing is pending (the spec was reverted), a held-back condition is set True.",
			spec:       oldSpec,
			conditions: `[{"type": "ChangesApplied", "status": "False", "reason": "BreakingChangesHeldBack", "message": "held back: …"}]`,
			want: func(t *testing.T, next *generator.Output) want {
				return want{
					desired:   composedWith(t, asStruct(t, next.XRD), next),
					condition: &fnv1.Condition{Type: conditionChangesApplied, Status: fnv1.Status_STATUS_CONDITION_TRUE, Reason: reasonApplied, Message: ptr(msgApplied)},
				}
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			next := generate(t, "cache", tc.spec, inputv1beta1.Defaults{})
			xr := `{"apiVersion": "dataservice.klutch.io/v1alpha1", "kind": "DataService", "metadata": {"name": "cache"`
			if tc.annotations != "" {
				xr += `, "annotations": ` + tc.annotations
			}
			xr += `}, "spec": ` + tc.spec
			if tc.conditions != "" {
				xr += `, "status": {"conditions": ` + tc.conditions + `}`
			}
			rs := observed(t)
			if tc.observe != nil {
				tc.observe(t, rs)
			}
			req := &fnv1.RunFunctionRequest{
				Meta:     onV22(""),
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(xr + `}`)}, Resources: rs},
			}
			if tc.instances {
				req.ExtraResources = instances //nolint:staticcheck // the field Crossplane 1.x fills
			}
			w := tc.want(t, next)
			// Every call also asks for the CRD of the kind the DataService composes (backends.go).
			var asked *fnv1.Requirements
			if w.requirements != nil {
				asked = proto.Clone(w.requirements).(*fnv1.Requirements)
			}
			w.requirements = askCRDs(asked, "caches.example.org")
			f := New(logging.NewNopLogger())
			if tc.max > 0 {
				f.maxInstances = tc.max
			}
			// Twice: the second call may not replay what depends on the instances.
			for _, call := range []string{"first call", "second call"} {
				rsp, err := f.RunFunction(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				if hasFatal(rsp) {
					t.Fatalf("%s: fatal: %v", call, rsp.GetResults())
				}
				if diff := cmp.Diff(w.requirements, rsp.GetRequirements(), protocmp.Transform()); diff != "" {
					t.Errorf("%s\n%s: requirements: -want, +got:\n%s", tc.reason, call, diff)
				}
				got := map[string]*structpb.Struct{}
				for n, r := range rsp.GetDesired().GetResources() {
					if n == "xrd" || strings.HasPrefix(n, "composition-") {
						got[n] = r.GetResource()
					}
				}
				if w.desired == nil {
					got = nil
				}
				if diff := cmp.Diff(w.desired, got, protocmp.Transform()); diff != "" {
					t.Errorf("%s\n%s: desired: -want, +got:\n%s", tc.reason, call, diff)
				}
				var results []string
				for _, r := range rsp.GetResults() {
					if !strings.Contains(strings.Join(next.Notes, "\n"), r.GetMessage()) {
						results = append(results, r.GetMessage())
					}
				}
				if len(results) != len(w.results) {
					t.Errorf("%s\n%s: results: want %q, got %q", tc.reason, call, w.results, results)
				}
				for i := range min(len(results), len(w.results)) {
					if !strings.HasPrefix(results[i], w.results[i]) {
						t.Errorf("%s\n%s: result %d: want it to start with\n%s\ngot\n%s", tc.reason, call, i, w.results[i], results[i])
					}
				}
				var cond *fnv1.Condition
				for _, c := range rsp.GetConditions() {
					if c.GetType() == conditionChangesApplied {
						cond = c
					}
				}
				if w.condition != nil && w.condition.Message == nil && cond != nil {
					cond.Message = nil // only the reason is pinned
				}
				if w.condition != nil {
					w.condition.Target = fnv1.Target_TARGET_COMPOSITE.Enum()
				}
				if diff := cmp.Diff(w.condition, cond, protocmp.Transform()); diff != "" {
					t.Errorf("%s\n%s: condition: -want, +got:\n%s", tc.reason, call, diff)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// observeAppliedRemoval makes what Crossplane observes the release without plan a-big, applied as
// the annotation asked: its XRD carries the record.
func observeAppliedRemoval(t *testing.T, rs map[string]*fnv1.Resource) {
	t.Helper()
	next := generate(t, "cache", liveDS(``, `"a-small"`, ``), inputv1beta1.Defaults{})
	rs["xrd"].Resource = recorded(t, observedAs(t, asStruct(t, next.XRD)), appliedAPlanRemoval)
	for _, c := range next.Compositions {
		rs["composition-"+c.GetName()].Resource = observedAs(t, asStruct(t, c))
	}
}

// recorded is an XRD s with the record of breaking changes applied.
func recorded(t *testing.T, s *structpb.Struct, record string) *structpb.Struct {
	t.Helper()
	m := s.AsMap()
	md := m["metadata"].(map[string]any)
	md["annotations"] = map[string]any{annotationApplied: record}
	out, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// composedWith is the XRD and the generated Compositions of next as the function composes them,
// the XRD given: as generated, or held back as observed.
func composedWith(t *testing.T, xrd *structpb.Struct, next *generator.Output) map[string]*structpb.Struct {
	t.Helper()
	return map[string]*structpb.Struct{
		"xrd":                 xrd,
		"composition-cache-a": asStruct(t, next.Compositions[0]),
		"composition-cache-b": asStruct(t, next.Compositions[1]),
	}
}

// catalogSpec is a DataService whose plans are a catalog mapped into the backend; mem and disk are
// the medium plan's memory and storage.
func catalogSpec(mem, disk string) string {
	return `{
	"group": "example.org", "kind": "CacheInstance",
	"plan": {
		"values": [{"name": "memory"}, {"name": "storage"}],
		"catalog": [
			{"name": "small", "values": {"memory": "1Gi", "storage": "5Gi"}},
			{"name": "medium", "values": {"memory": "` + mem + `", "storage": "` + disk + `"}}
		]
	},
	"compositions": [{"name": "cache", "backend": {"apiVersion": "example.org/v1", "kind": "Cache", "noParameters": true,
		"fields": [{"value": "plan.memory", "to": "spec.memory"}, {"value": "plan.storage", "to": "spec.volume.size"}]}}]
}`
}

// TestLiveChangeCatalog changes what a catalog plan gives: a resize applies and says whom it
// resizes; a storage shrink is held back in the Composition while the rest applies.
func TestLiveChangeCatalog(t *testing.T) {
	old := generate(t, "cache", catalogSpec("4Gi", "10Gi"), inputv1beta1.Defaults{})
	observed := map[string]*fnv1.Resource{
		"xrd":               {Resource: observedAs(t, asStruct(t, old.XRD))},
		"composition-cache": {Resource: observedAs(t, asStruct(t, old.Compositions[0]))},
	}
	instances := map[string]*fnv1.Resources{requiredInstances: {Items: []*fnv1.Resource{
		cacheComposite("team-a", "orders", "cache", "medium"),
		cacheComposite("team-b", "carts", "cache", "small"),
	}}}
	cases := map[string]struct {
		reason      string
		spec        string
		composition func(next *generator.Output) *structpb.Struct
		result      string
		severity    fnv1.Severity
		status      fnv1.Status
	}{
		"ResizeApplies": {
			reason:      "A plan's memory growing resizes its instances in place: applied, and a Normal result says whom it resizes.",
			spec:        catalogSpec("8Gi", "10Gi"),
			composition: func(next *generator.Output) *structpb.Struct { return asStruct(t, next.Compositions[0]) },
			result:      `plan "medium" of composition cache: cache spec.memory 4Gi → 8Gi: resizes 1 instance (team-a/orders)`,
			severity:    fnv1.Severity_SEVERITY_NORMAL,
			status:      fnv1.Status_STATUS_CONDITION_TRUE,
		},
		"StorageShrinkIsHeldBack": {
			reason: "A plan's storage shrinking is held back in the Composition, which stays as observed.",
			spec:   catalogSpec("4Gi", "5Gi"),
			composition: func(*generator.Output) *structpb.Struct {
				m := observed["composition-cache"].GetResource().AsMap()
				md := m["metadata"].(map[string]any)
				s, _ := structpb.NewStruct(map[string]any{"apiVersion": m["apiVersion"], "kind": m["kind"], "spec": m["spec"],
					"metadata": map[string]any{"name": md["name"], "labels": md["labels"]}})
				return s
			},
			result:   `held back: plan "medium" of composition cache: cache spec.volume.size 10Gi → 5Gi (a shrink the backend cannot make: volumes only grow) (Shrink): 1 instance uses it (team-a/orders)`,
			severity: fnv1.Severity_SEVERITY_WARNING,
			status:   fnv1.Status_STATUS_CONDITION_FALSE,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			next := generate(t, "cache", tc.spec, inputv1beta1.Defaults{})
			req := &fnv1.RunFunctionRequest{
				Meta:           onV22(""),
				Observed:       &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "cache", tc.spec)}, Resources: observed},
				ExtraResources: instances, //nolint:staticcheck // the field Crossplane 1.x fills
			}
			rsp, err := New(logging.NewNopLogger()).RunFunction(context.Background(), req)
			if err != nil || hasFatal(rsp) {
				t.Fatalf("RunFunction: %v %v", err, rsp.GetResults())
			}
			if diff := cmp.Diff(tc.composition(next), rsp.GetDesired().GetResources()["composition-cache"].GetResource(), protocmp.Transform()); diff != "" {
				t.Errorf("%s\nComposition: -want, +got:\n%s", tc.reason, diff)
			}
			found := false
			for _, r := range rsp.GetResults() {
				found = found || (r.GetSeverity() == tc.severity && strings.HasPrefix(r.GetMessage(), tc.result))
			}
			if !found {
				t.Errorf("%s\nno %s result starting %q in %v", tc.reason, tc.severity, tc.result, rsp.GetResults())
			}
			if c := rsp.GetConditions(); len(c) != 1 || c[0].GetStatus() != tc.status {
				t.Errorf("%s\nconditions %v, want ChangesApplied %s", tc.reason, c, tc.status)
			}
		})
	}
}
