package function

import (
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
)

// TestReplayKey: reconciles that compose alike share a key, and a change of anything composed from
// gives another, also where two encodings could be confused.
func TestReplayKey(t *testing.T) {
	req := func(xr, input string) *fnv1.RunFunctionRequest {
		r := &fnv1.RunFunctionRequest{Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(xr)}}}
		if input != "" {
			r.Input = resource.MustStructJSON(input)
		}
		return r
	}
	const base = `{"apiVersion": "dataservice.klutch.io/v1alpha1", "kind": "DataService", "metadata": {"name": "a"}, "spec": {"group": "g", "plans": ["x", "y"], "n": 1}}`
	cases := map[string]struct {
		reason string
		a, b   *fnv1.RunFunctionRequest
		same   bool
	}{
		"Same": {
			reason: "The same request has the same key.",
			a:      req(base, ""), b: req(base, ""), same: true,
		},
		"KeyOrder": {
			reason: "The order of an object's keys is no part of it.",
			a:      req(base, ""),
			b:      req(`{"spec": {"n": 1, "plans": ["x", "y"], "group": "g"}, "metadata": {"name": "a"}, "kind": "DataService", "apiVersion": "dataservice.klutch.io/v1alpha1"}`, ""),
			same:   true,
		},
		"WhatTheAPIServerWrites": {
			reason: "Status, resourceVersion and uid are not composed from.",
			a:      req(base, ""),
			b:      req(`{"apiVersion": "dataservice.klutch.io/v1alpha1", "kind": "DataService", "metadata": {"name": "a", "uid": "u", "resourceVersion": "7"}, "spec": {"group": "g", "plans": ["x", "y"], "n": 1}, "status": {"x": 1}}`, ""),
			same:   true,
		},
		"Label": {
			reason: "Labels are copied into what is composed.",
			a:      req(base, ""),
			b:      req(`{"apiVersion": "dataservice.klutch.io/v1alpha1", "kind": "DataService", "metadata": {"name": "a", "labels": {"l": "v"}}, "spec": {"group": "g", "plans": ["x", "y"], "n": 1}}`, ""),
		},
		"NumberAgainstString": {
			reason: "1 and \"1\" are different specs.",
			a:      req(base, ""),
			b:      req(`{"apiVersion": "dataservice.klutch.io/v1alpha1", "kind": "DataService", "metadata": {"name": "a"}, "spec": {"group": "g", "plans": ["x", "y"], "n": "1"}}`, ""),
		},
		"SplitString": {
			reason: "Keys and values are delimited: {ab: c} is not {a: bc}.",
			a:      req(`{"metadata": {"name": "a"}, "spec": {"ab": "c"}}`, ""),
			b:      req(`{"metadata": {"name": "a"}, "spec": {"a": "bc"}}`, ""),
		},
		"ListItems": {
			reason: "Items are delimited: [xy] is not [x, y].",
			a:      req(base, ""),
			b:      req(`{"apiVersion": "dataservice.klutch.io/v1alpha1", "kind": "DataService", "metadata": {"name": "a"}, "spec": {"group": "g", "plans": ["xy"], "n": 1}}`, ""),
		},
		"NestingLevel": {
			reason: "[[x], y] is not [x, [y]].",
			a:      req(`{"metadata": {"name": "a"}, "spec": {"p": [["x"], "y"]}}`, ""),
			b:      req(`{"metadata": {"name": "a"}, "spec": {"p": ["x", ["y"]]}}`, ""),
		},
		"NullAgainstMissing": {
			reason: "A null field is not a missing one.",
			a:      req(`{"metadata": {"name": "a"}, "spec": {"g": null}}`, ""),
			b:      req(`{"metadata": {"name": "a"}, "spec": {}}`, ""),
		},
		"FalseAgainstZero": {
			reason: "false is not 0.",
			a:      req(`{"metadata": {"name": "a"}, "spec": {"g": false}}`, ""),
			b:      req(`{"metadata": {"name": "a"}, "spec": {"g": 0}}`, ""),
		},
		"EmptyInputAgainstNone": {
			reason: "An empty input is fatal, a missing one takes the defaults.",
			a:      req(base, ""),
			b:      func() *fnv1.RunFunctionRequest { r := req(base, ""); r.Input = &structpb.Struct{}; return r }(),
		},
		"Input": {
			reason: "Other defaults compose other objects.",
			a:      req(base, `{"defaults": {"exportNamespace": "a"}}`),
			b:      req(base, `{"defaults": {"exportNamespace": "b"}}`),
		},
		"Capabilities": {
			reason: "A Crossplane that advertises its capabilities is v2.2 or later, one that does not may be 1.x: other objects are composed.",
			a:      req(base, ""),
			b:      withMeta(req(base, ""), v22),
		},
		"CRDDelivered": {
			reason: "The CRD of XRDs delivered says the line; not delivered, it is assumed.",
			a:      req(base, ""),
			b:      withCRD(req(base, ""), "v1"),
		},
		"CRDServesV2": {
			reason: "A CRD of XRDs that serves v2 is Crossplane v2's.",
			a:      withCRD(req(base, ""), "v1"),
			b:      withCRD(req(base, ""), "v1", "v2"),
		},
		"CRDNotAnswered": {
			reason: "Asked and not delivered is not the same as not asked yet.",
			a:      req(base, ""),
			b:      withoutCRD(req(base, "")),
		},
		"CRDUnchangedLine": {
			reason: "Only the versions the CRD serves matter, not its other fields.",
			a:      withCRD(req(base, ""), "v1"),
			b: func() *fnv1.RunFunctionRequest {
				r := withCRD(req(base, ""), "v1")
				r.ExtraResources[requiredXRDCRD].Items[0].Resource.Fields["metadata"] = structpb.NewStructValue(resource.MustStructJSON(`{"name": "` + xrdCRDName + `", "resourceVersion": "9"}`))
				return r
			}(),
			same: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, ka, oka := replayKey(tc.a, observe(tc.a))
			_, kb, okb := replayKey(tc.b, observe(tc.b))
			if !oka || !okb {
				t.Fatalf("replayKey(...): no key (%t, %t)", oka, okb)
			}
			if (ka == kb) != tc.same {
				t.Errorf("%s\nsame key: %t, want %t", tc.reason, ka == kb, tc.same)
			}
		})
	}
}

// BenchmarkReplayKey is the key of a reconcile of Klutch's MongoDB DataService, computed for every
// reconcile before anything else (2026-12-02: 12% of the function's CPU at concurrency 16).
func BenchmarkReplayKey(b *testing.B) {
	y, err := os.ReadFile(filepath.Join("..", "examples", "klutch", "mongodb.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	var xr map[string]any
	if err := yaml.Unmarshal(y, &xr); err != nil {
		b.Fatal(err)
	}
	s, err := structpb.NewStruct(xr)
	if err != nil {
		b.Fatal(err)
	}
	req := &fnv1.RunFunctionRequest{
		Input:    resource.MustStructJSON(`{"apiVersion": "dataservice.fn.crossplane.io/v1beta1", "kind": "Input", "defaults": {"exportNamespace": "klutch-exports"}}`),
		Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: s}},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, ok := replayKey(req, observe(req)); !ok {
			b.Fatal("no key")
		}
	}
}
