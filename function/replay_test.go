package function

import (
	"context"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
)

// TestReplay sends one Function two reconciles of a DataService, the second changed as each case
// says: whether the second is replayed or composed in full, its response must equal what a fresh
// Function (which has nothing to replay) answers to it.
func TestReplay(t *testing.T) {
	cache := generate(t, "cache", cacheSpec, inputv1beta1.Defaults{})
	// first is the first reconcile, on Crossplane v2.2, or on 1.x once it delivered the CRD of XRDs.
	first := func(onePointX bool) *fnv1.RunFunctionRequest {
		req := &fnv1.RunFunctionRequest{
			Meta:     onV22("first"),
			Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: withCrossplaneFields(t, dataService(t, "cache", cacheSpec))}},
		}
		if onePointX {
			withCRD(withMeta(req, nil), "v1")
		}
		return req
	}
	cases := map[string]struct {
		reason string
		// onePointX runs the reconciles on Crossplane 1.x.
		onePointX bool
		second    func(req *fnv1.RunFunctionRequest)
	}{
		"UnchangedOn1xIsAnsweredAlike": {
			reason:    "On Crossplane 1.x a second reconcile gets the same response, the template inside its Object and the requirement included.",
			onePointX: true,
			second:    func(*fnv1.RunFunctionRequest) {},
		},
		"ObjectReadinessIsJudgedAgain": {
			reason:    "The Object that holds the template is judged from what Crossplane observed in this reconcile.",
			onePointX: true,
			second: func(req *fnv1.RunFunctionRequest) {
				o := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "kubernetes.crossplane.io/v1alpha2", "kind": "Object"}}
				req.Observed.Resources = map[string]*fnv1.Resource{"export-template-object": {Resource: withConditions(t, o, "Ready", "Synced")}}
			},
		},
		"AnotherLineIsComposedAgain": {
			reason: "The same DataService on a Crossplane without capabilities whose CRD of XRDs serves only v1 is composed for 1.x.",
			second: func(req *fnv1.RunFunctionRequest) { withCRD(withMeta(req, nil), "v1") },
		},
		"CRDNotDeliveredIsComposedAgain": {
			reason:    "When the CRD of XRDs is no longer delivered, 1.x is assumed with a warning.",
			onePointX: true,
			second:    func(req *fnv1.RunFunctionRequest) { withoutCRD(req) },
		},
		"CRDServingV2IsComposedAgain": {
			reason:    "When the CRD of XRDs serves v2 (Crossplane v2.0 or v2.1), the template is composed directly.",
			onePointX: true,
			second:    func(req *fnv1.RunFunctionRequest) { withCRD(req, "v1", "v2") },
		},
		"ControlPlaneInputIsComposedAgain": {
			reason: "The input's controlPlane decides the line.",
			second: func(req *fnv1.RunFunctionRequest) {
				req.Input = resource.MustStructJSON(`{"apiVersion": "dataservice.fn.crossplane.io/v1beta1", "kind": "Input", "controlPlane": {"crossplane": "v1"}}`)
			},
		},
		"UnchangedDataServiceIsAnsweredAlike": {
			reason: "A second reconcile of the same DataService gets the same response.",
			second: func(*fnv1.RunFunctionRequest) {},
		},
		"ReadinessIsJudgedAgain": {
			reason: "Readiness comes from what Crossplane observed in this reconcile, not the last.",
			second: func(req *fnv1.RunFunctionRequest) {
				req.Observed.Resources = map[string]*fnv1.Resource{
					"xrd":               {Resource: withConditions(t, cache.XRD, "Established", "Offered")},
					"composition-cache": {Resource: asStruct(t, cache.Compositions[0])},
				}
			},
		},
		"WhatTheAPIServerWritesDoesNotMatter": {
			reason: "A new resourceVersion and status of the XR change nothing composed.",
			second: func(req *fnv1.RunFunctionRequest) {
				xr := req.Observed.Composite.Resource
				xr.Fields["metadata"].GetStructValue().Fields["resourceVersion"] = structpb.NewStringValue("43")
				xr.Fields["status"] = structpb.NewStructValue(resource.MustStructJSON(`{"conditions": [{"type": "Ready", "status": "True"}]}`))
			},
		},
		"DesiredCompositeOfEarlierStepsIsKept": {
			reason: "The desired XR of earlier steps, its status and connection details are kept.",
			second: func(req *fnv1.RunFunctionRequest) {
				req.Desired = &fnv1.State{Composite: &fnv1.Resource{
					Resource:          resource.MustStructJSON(`{"status": {"earlier": "step", "api": {"group": "old"}}}`),
					ConnectionDetails: map[string][]byte{"password": []byte("secret")},
					Ready:             fnv1.Ready_READY_TRUE,
				}}
			},
		},
		"DesiredResourcesOfEarlierStepsAreKept": {
			reason: "Composed resources of earlier steps are returned beside ours.",
			second: func(req *fnv1.RunFunctionRequest) {
				req.Desired = &fnv1.State{Resources: map[string]*fnv1.Resource{
					"earlier": {Resource: resource.MustStructJSON(`{"apiVersion": "v1", "kind": "ConfigMap"}`), Ready: fnv1.Ready_READY_TRUE},
				}}
			},
		},
		"ChangedSpecIsComposedAgain": {
			reason: "Another spec composes other objects.",
			second: func(req *fnv1.RunFunctionRequest) {
				spec := req.Observed.Composite.Resource.Fields["spec"].GetStructValue()
				spec.Fields["kind"] = structpb.NewStringValue("KeyValueInstance")
			},
		},
		"ChangedInputIsComposedAgain": {
			reason: "Other defaults compose other objects.",
			second: func(req *fnv1.RunFunctionRequest) {
				req.Input = resource.MustStructJSON(`{"apiVersion": "dataservice.fn.crossplane.io/v1beta1", "kind": "Input",
					"defaults": {"exportNamespace": "klutch-exports"}}`)
			},
		},
		"EmptyInputIsStillFatal": {
			reason: "An empty input is not a missing one: it is fatal, not answered as the last reconcile without input was.",
			second: func(req *fnv1.RunFunctionRequest) { req.Input = &structpb.Struct{} },
		},
		"UnknownFieldIsStillFatal": {
			reason: "A field the DataService API does not know is reported, whatever the last reconcile composed.",
			second: func(req *fnv1.RunFunctionRequest) {
				req.Observed.Composite.Resource.Fields["spek"] = structpb.NewStructValue(&structpb.Struct{})
			},
		},
		"InvalidDesiredStatusIsStillFatal": {
			reason: "A desired status that is not an object is reported as the full path does.",
			second: func(req *fnv1.RunFunctionRequest) {
				req.Desired = &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(`{"status": "broken"}`)}}
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := New(logging.NewNopLogger())
			if _, err := f.RunFunction(context.Background(), first(tc.onePointX)); err != nil {
				t.Fatal(err)
			}
			req := first(tc.onePointX)
			req.Meta.Tag = "second"
			tc.second(req)
			want, err := New(logging.NewNopLogger()).RunFunction(context.Background(), proto.Clone(req).(*fnv1.RunFunctionRequest))
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.RunFunction(context.Background(), proto.Clone(req).(*fnv1.RunFunctionRequest))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nsecond reconcile differs from a fresh function's response (-want +got):\n%s", tc.reason, diff)
			}
			// A third, unchanged reconcile is replayed if anything is: it too must be alike.
			again, err := f.RunFunction(context.Background(), proto.Clone(req).(*fnv1.RunFunctionRequest))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, again, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nthird reconcile differs from a fresh function's response (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}
