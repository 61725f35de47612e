package function

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// cacheSpec is a small valid DataService spec: Crossplane v1 (claims), one composition with a
// backend, exported.
const cacheSpec = `{
	"group": "example.org",
	"kind": "CacheInstance",
	"plan": {"changes": [{"noDownsizing": {"sizes": ["small", "big"]}}]},
	"compositions": [{
		"name": "cache",
		"services": ["cache7"],
		"plans": ["cache-small", "cache-big"],
		"backend": {"apiVersion": "example.org/v1", "kind": "Cache"}
	}]
}`

// cacheStatus is the status the function writes for cacheSpec with the built-in defaults.
const cacheStatus = `{
	"api": {
		"group": "example.org", "version": "v1", "kind": "CacheInstance", "resource": "cacheinstances",
		"compositeKind": "XCacheInstance", "compositeResource": "xcacheinstances"
	},
	"generated": {
		"xrd": "xcacheinstances.example.org",
		"compositions": ["cache"],
		"exportTemplate": "crossplane-system/cacheinstances"
	}
}`

func TestRunFunction(t *testing.T) {
	type args struct {
		ctx context.Context
		req *fnv1.RunFunctionRequest
	}
	type want struct {
		rsp *fnv1.RunFunctionResponse
		err error
	}

	cache := generate(t, "cache", cacheSpec, inputv1beta1.Defaults{})
	cacheV2 := generate(t, "cache", `{"crossplaneVersion": "v2", "group": "example.org", "kind": "CacheInstance",
		"compositions": [{"name": "cache", "plans": ["cache-small"], "backend": {"apiVersion": "example.org/v1", "kind": "Cache"}}]}`, inputv1beta1.Defaults{})
	cacheWithInput := generate(t, "cache", cacheSpec, inputv1beta1.Defaults{ExportNamespace: "klutch-exports", ProviderConfigNameFormat: "broker-%s"})
	cacheNoExport := generate(t, "cache", `{"group": "example.org", "kind": "CacheInstance", "export": {"disabled": true},
		"compositions": [{"name": "cache", "plans": ["cache-small"], "backend": {"apiVersion": "example.org/v1", "kind": "Cache"}}]}`, inputv1beta1.Defaults{})
	cacheKubeBind := generate(t, "cache", `{"group": "example.org", "kind": "CacheInstance", "export": {"kubeBind": {"description": "Caches"}},
		"compositions": [{"name": "cache", "plans": ["cache-small"], "backend": {"apiVersion": "example.org/v1", "kind": "Cache"}}]}`, inputv1beta1.Defaults{})
	cacheTwo := generate(t, "cache", `{"group": "example.org", "kind": "CacheInstance",
		"compositions": [
			{"name": "cache-a", "plans": ["a-small"], "backend": {"apiVersion": "example.org/v1", "kind": "Cache"}},
			{"name": "cache-elsewhere", "plans": ["e-small"]},
			{"name": "cache-b", "plans": ["b-small"], "backend": {"apiVersion": "example.org/v1", "kind": "Cache"}}
		]}`, inputv1beta1.Defaults{})

	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"WithoutInputComposesWithBuiltInDefaults": {
			reason: "A step without input composes the XRD, the Composition and the export template from the built-in defaults, none ready before Crossplane observed them, and reports the API in the status.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:     onV22("hello"),
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "cache", cacheSpec)}},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Requirements: askCRDs(nil, "caches.example.org"),
				Meta:         &fnv1.ResponseMeta{Tag: "hello", Ttl: durationpb.New(response.DefaultTTL)},
				Results:      warnings(cache),
				Desired:      composedDirectly(t, cache),
			}},
		},
		"InputDefaultsArePassedToTheGenerator": {
			reason: "The input's defaults reach the generator: the export template goes to the input's namespace and the ProviderConfig follows its name pattern.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta: onV22(""),
				Input: resource.MustStructJSON(`{"apiVersion": "dataservice.fn.crossplane.io/v1beta1", "kind": "Input",
					"defaults": {"exportNamespace": "klutch-exports", "providerConfigNameFormat": "broker-%s"}}`),
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "cache", cacheSpec)}},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Requirements: askCRDs(nil, "caches.example.org"),
				Meta:         &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
				Results:      warnings(cacheWithInput),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: withStatus(`{
						"api": {"group": "example.org", "version": "v1", "kind": "CacheInstance", "resource": "cacheinstances",
							"compositeKind": "XCacheInstance", "compositeResource": "xcacheinstances"},
						"generated": {"xrd": "xcacheinstances.example.org", "compositions": ["cache"],
							"exportTemplate": "klutch-exports/cacheinstances"}}`)},
					Resources: map[string]*fnv1.Resource{
						"xrd":               {Resource: asStruct(t, cacheWithInput.XRD), Ready: fnv1.Ready_READY_FALSE},
						"composition-cache": {Resource: asStruct(t, cacheWithInput.Compositions[0]), Ready: fnv1.Ready_READY_FALSE},
						"export-template":   {Resource: asStruct(t, cacheWithInput.ExportTemplate), Ready: fnv1.Ready_READY_FALSE},
					},
				},
			}},
		},
		"UnknownInputFieldsAreFatal": {
			reason: "A misspelt default would silently fall back for every DataService of the Composition, so unknown input fields are fatal, each with its path.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta: onV22(""),
				Input: resource.MustStructJSON(`{"apiVersion": "dataservice.fn.crossplane.io/v1beta1", "kind": "Input",
					"defaults": {"exportNamspace": "klutch-exports"}, "default": {}}`),
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "cache", cacheSpec)}},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta: &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
				Results: []*fnv1.Result{{
					Severity: fnv1.Severity_SEVERITY_FATAL,
					Message: `invalid Function input: default: Forbidden: unknown field: fix its spelling or nesting (kubectl explain inputs.dataservice.fn.crossplane.io); ` +
						`defaults.exportNamspace: Forbidden: unknown field: fix its spelling or nesting (kubectl explain inputs.dataservice.fn.crossplane.io)`,
					Target: fnv1.Target_TARGET_COMPOSITE.Enum(),
				}},
			}},
		},
		"InvalidInputDefaultsAreFatal": {
			reason: "The API server never validates a function input, so the function reports every invalid default with its path.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta: onV22(""),
				Input: resource.MustStructJSON(`{"apiVersion": "dataservice.fn.crossplane.io/v1beta1", "kind": "Input",
					"defaults": {"crossplaneVersion": "v3", "exportNamespace": "Klutch", "providerConfigNameFormat": "%d-broker", "patchAndTransform": "P&T"}}`),
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "cache", cacheSpec)}},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta: &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
				Results: []*fnv1.Result{{
					Severity: fnv1.Severity_SEVERITY_FATAL,
					Message: `invalid Function input: defaults.crossplaneVersion: Unsupported value: "v3": supported values: "v1", "v2"; ` +
						`defaults.exportNamespace: Invalid value: "Klutch": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?'); ` +
						`defaults.providerConfigNameFormat: Invalid value: "%d-broker": must contain %s exactly once and no other % directive, e.g. %s-service-broker; ` +
						`defaults.patchAndTransform: Invalid value: "P&T": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*') (the name of a Function object)`,
					Target: fnv1.Target_TARGET_COMPOSITE.Enum(),
				}},
			}},
		},
		"InputOfAnotherKindIsFatal": {
			reason: "An input meant for another function (e.g. a patch-and-transform Resources) is refused with what is expected.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:     onV22(""),
				Input:    resource.MustStructJSON(`{"apiVersion": "pt.fn.crossplane.io/v1beta1", "kind": "Resources"}`),
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "cache", cacheSpec)}},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta: &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
				Results: []*fnv1.Result{{
					Severity: fnv1.Severity_SEVERITY_FATAL,
					Message:  `invalid Function input: input is apiVersion "pt.fn.crossplane.io/v1beta1", kind "Resources": want apiVersion dataservice.fn.crossplane.io/v1beta1, kind Input`,
					Target:   fnv1.Target_TARGET_COMPOSITE.Enum(),
				}},
			}},
		},
		"InvalidDataServiceIsFatalAndComposesNothing": {
			reason: "An invalid DataService gets one fatal result listing every problem with its field path, unknown fields included, and nothing is composed from it; what earlier steps desired is returned as it was.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta: onV22(""),
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "cache", `{
					"group": "nodot", "kind": "CacheInstance", "plns": ["small"],
					"compositions": [{"name": "cache", "plan": "small", "plans": ["small"]}]}`)}},
				Desired: &fnv1.State{Resources: map[string]*fnv1.Resource{
					"earlier": {Resource: resource.MustStructJSON(`{"apiVersion": "v1", "kind": "ConfigMap"}`)},
				}},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta: &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
				Desired: &fnv1.State{Resources: map[string]*fnv1.Resource{
					"earlier": {Resource: resource.MustStructJSON(`{"apiVersion": "v1", "kind": "ConfigMap"}`)},
				}},
				Results: []*fnv1.Result{{
					Severity: fnv1.Severity_SEVERITY_FATAL,
					Message: `DataService "cache" is invalid (3 errors): ` +
						`spec.compositions[0].plan: Forbidden: unknown field: fix its spelling or nesting (dataservice explain spec.compositions); ` +
						`spec.plns: Forbidden: unknown field: fix its spelling or nesting (dataservice explain spec); ` +
						`spec.group: Invalid value: "nodot": must contain a dot, e.g. nodot.example.com`,
					Target: fnv1.Target_TARGET_COMPOSITE.Enum(),
				}},
			}},
		},
		"WhatCrossplaneAddsToTheXRIsIgnored": {
			reason: "The fields Crossplane and the API server add to an XR's spec and metadata, and the status, are not part of the DataService and are not reported as unknown.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:     onV22(""),
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: withCrossplaneFields(t, dataService(t, "cache", cacheSpec))}},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Requirements: askCRDs(nil, "caches.example.org"),
				Meta:         &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
				Results:      warnings(cache),
				Desired:      composedDirectly(t, cache),
			}},
		},
		"AnotherCompositeIsFatal": {
			reason: "The function composes only DataServices; another XR is refused with what it takes.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:     onV22(""),
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(`{"apiVersion": "example.org/v1", "kind": "XR", "metadata": {"name": "x"}}`)}},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta: &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
				Results: []*fnv1.Result{{
					Severity: fnv1.Severity_SEVERITY_FATAL,
					Message:  "cannot read the DataService from the observed composite resource: composite resource is a example.org/v1, Kind=XR, not a dataservice.klutch.io/v1alpha1, Kind=DataService: use function-dataservice only in Compositions for DataService.dataservice.klutch.io",
					Target:   fnv1.Target_TARGET_COMPOSITE.Enum(),
				}},
			}},
		},
		"DesiredResourcesOfEarlierStepsAreKept": {
			reason: "Composed resources desired by earlier steps of the pipeline are returned beside ours, and so is the desired XR's status.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:     onV22(""),
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "cache", cacheSpec)}},
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: resource.MustStructJSON(`{"status": {"earlier": "step"}}`)},
					Resources: map[string]*fnv1.Resource{
						"earlier": {Resource: resource.MustStructJSON(`{"apiVersion": "v1", "kind": "ConfigMap"}`), Ready: fnv1.Ready_READY_TRUE},
					},
				},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Requirements: askCRDs(nil, "caches.example.org"),
				Meta:         &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
				Results:      warnings(cache),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: withStatus(`{"earlier": "step", ` + cacheStatus[1:])},
					Resources: map[string]*fnv1.Resource{
						"earlier":           {Resource: resource.MustStructJSON(`{"apiVersion": "v1", "kind": "ConfigMap"}`), Ready: fnv1.Ready_READY_TRUE},
						"xrd":               {Resource: asStruct(t, cache.XRD), Ready: fnv1.Ready_READY_FALSE},
						"composition-cache": {Resource: asStruct(t, cache.Compositions[0]), Ready: fnv1.Ready_READY_FALSE},
						"export-template":   {Resource: asStruct(t, cache.ExportTemplate), Ready: fnv1.Ready_READY_FALSE},
					},
				},
			}},
		},
		"ReadyOnceEstablishedOfferedAndObserved": {
			reason: "An XRD with claims is ready once Crossplane reports it Established and Offered; the Composition and the export template once they exist.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta: onV22(""),
				Observed: &fnv1.State{
					Composite: &fnv1.Resource{Resource: dataService(t, "cache", cacheSpec)},
					Resources: map[string]*fnv1.Resource{
						"xrd":               {Resource: withConditions(t, cache.XRD, "Established", "Offered")},
						"composition-cache": {Resource: asStruct(t, cache.Compositions[0])},
						"export-template":   {Resource: asStruct(t, cache.ExportTemplate)},
					},
				},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Requirements: askCRDs(nil, "caches.example.org"),
				Meta:         &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
				Results:      warnings(cache),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: withStatus(cacheStatus)},
					Resources: map[string]*fnv1.Resource{
						"xrd":               {Resource: asStruct(t, cache.XRD), Ready: fnv1.Ready_READY_TRUE},
						"composition-cache": {Resource: asStruct(t, cache.Compositions[0]), Ready: fnv1.Ready_READY_TRUE},
						"export-template":   {Resource: asStruct(t, cache.ExportTemplate), Ready: fnv1.Ready_READY_TRUE},
					},
				},
			}},
		},
		"XRDWithClaimsIsNotReadyBeforeOffered": {
			reason: "Until the claim is offered app developers cannot create what the DataService promises, so an XRD with claims that is only Established is not ready.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta: onV22(""),
				Observed: &fnv1.State{
					Composite: &fnv1.Resource{Resource: dataService(t, "cache", cacheSpec)},
					Resources: map[string]*fnv1.Resource{
						"xrd":             {Resource: withConditions(t, cache.XRD, "Established")},
						"export-template": {Resource: asStruct(t, cache.ExportTemplate)},
					},
				},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Requirements: askCRDs(nil, "caches.example.org"),
				Meta:         &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
				Results:      warnings(cache),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: withStatus(cacheStatus)},
					Resources: map[string]*fnv1.Resource{
						"xrd":               {Resource: asStruct(t, cache.XRD), Ready: fnv1.Ready_READY_FALSE},
						"composition-cache": {Resource: asStruct(t, cache.Compositions[0]), Ready: fnv1.Ready_READY_FALSE},
						"export-template":   {Resource: asStruct(t, cache.ExportTemplate), Ready: fnv1.Ready_READY_TRUE},
					},
				},
			}},
		},
		"XRDWithoutClaimsIsReadyOnceEstablished": {
			reason: "A Crossplane v2 XRD has no claim to offer: Established is enough.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta: onV22(""),
				Observed: &fnv1.State{
					Composite: &fnv1.Resource{Resource: dataService(t, "cache", `{"crossplaneVersion": "v2", "group": "example.org", "kind": "CacheInstance",
						"compositions": [{"name": "cache", "plans": ["cache-small"], "backend": {"apiVersion": "example.org/v1", "kind": "Cache"}}]}`)},
					Resources: map[string]*fnv1.Resource{
						"xrd": {Resource: withConditions(t, cacheV2.XRD, "Established")},
					},
				},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Requirements: askCRDs(nil, "caches.example.org"),
				Meta:         &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
				Results:      warnings(cacheV2),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: withStatus(`{
						"api": {"group": "example.org", "version": "v1", "kind": "CacheInstance", "resource": "cacheinstances",
							"compositeKind": "CacheInstance", "compositeResource": "cacheinstances"},
						"generated": {"xrd": "cacheinstances.example.org", "compositions": ["cache"],
							"exportTemplate": "crossplane-system/cacheinstances"}}`)},
					Resources: map[string]*fnv1.Resource{
						"xrd":               {Resource: asStruct(t, cacheV2.XRD), Ready: fnv1.Ready_READY_TRUE},
						"composition-cache": {Resource: asStruct(t, cacheV2.Compositions[0]), Ready: fnv1.Ready_READY_FALSE},
						"export-template":   {Resource: asStruct(t, cacheV2.ExportTemplate), Ready: fnv1.Ready_READY_FALSE},
					},
				},
			}},
		},
		"DisabledExportComposesNoTemplate": {
			reason: "A DataService that klutch-bind does not export composes no APIServiceExportTemplate and names none in its status.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta: onV22(""),
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "cache", `{"group": "example.org", "kind": "CacheInstance", "export": {"disabled": true},
					"compositions": [{"name": "cache", "plans": ["cache-small"], "backend": {"apiVersion": "example.org/v1", "kind": "Cache"}}]}`)}},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Requirements: askCRDs(nil, "caches.example.org"),
				Meta:         &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
				Results:      warnings(cacheNoExport),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: withStatus(`{
						"api": {"group": "example.org", "version": "v1", "kind": "CacheInstance", "resource": "cacheinstances",
							"compositeKind": "XCacheInstance", "compositeResource": "xcacheinstances"},
						"generated": {"xrd": "xcacheinstances.example.org", "compositions": ["cache"]}}`)},
					Resources: map[string]*fnv1.Resource{
						"xrd":               {Resource: asStruct(t, cacheNoExport.XRD), Ready: fnv1.Ready_READY_FALSE},
						"composition-cache": {Resource: asStruct(t, cacheNoExport.Compositions[0]), Ready: fnv1.Ready_READY_FALSE},
					},
				},
			}},
		},
		"KubeBindTemplateIsComposedBesideKlutchs": {
			reason: "A DataService that asks for an upstream kube-bind template gets it composed beside klutch-bind's, and named in its status.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta: onV22(""),
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "cache", `{"group": "example.org", "kind": "CacheInstance", "export": {"kubeBind": {"description": "Caches"}},
					"compositions": [{"name": "cache", "plans": ["cache-small"], "backend": {"apiVersion": "example.org/v1", "kind": "Cache"}}]}`)}},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Requirements: askCRDs(nil, "caches.example.org"),
				Meta:         &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
				Results:      warnings(cacheKubeBind),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: withStatus(`{
						"api": {"group": "example.org", "version": "v1", "kind": "CacheInstance", "resource": "cacheinstances",
							"compositeKind": "XCacheInstance", "compositeResource": "xcacheinstances"},
						"generated": {"xrd": "xcacheinstances.example.org", "compositions": ["cache"],
							"exportTemplate": "crossplane-system/cacheinstances", "kubeBindTemplate": "` + cacheKubeBind.KubeBindTemplate.GetName() + `"}}`)},
					Resources: map[string]*fnv1.Resource{
						"xrd":                      {Resource: asStruct(t, cacheKubeBind.XRD), Ready: fnv1.Ready_READY_FALSE},
						"composition-cache":        {Resource: asStruct(t, cacheKubeBind.Compositions[0]), Ready: fnv1.Ready_READY_FALSE},
						"export-template":          {Resource: asStruct(t, cacheKubeBind.ExportTemplate), Ready: fnv1.Ready_READY_FALSE},
						"kubebind-export-template": {Resource: asStruct(t, cacheKubeBind.KubeBindTemplate), Ready: fnv1.Ready_READY_FALSE},
					},
				},
			}},
		},
		"EachGeneratedCompositionIsComposedUnderItsName": {
			reason: "Every composition with a backend is composed as composition-<name>; one without a backend is provided elsewhere and not composed.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta: onV22(""),
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "cache", `{"group": "example.org", "kind": "CacheInstance",
					"compositions": [
						{"name": "cache-a", "plans": ["a-small"], "backend": {"apiVersion": "example.org/v1", "kind": "Cache"}},
						{"name": "cache-elsewhere", "plans": ["e-small"]},
						{"name": "cache-b", "plans": ["b-small"], "backend": {"apiVersion": "example.org/v1", "kind": "Cache"}}
					]}`)}},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Requirements: askCRDs(nil, "caches.example.org"),
				Meta:         &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
				Results:      warnings(cacheTwo),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: withStatus(`{
						"api": {"group": "example.org", "version": "v1", "kind": "CacheInstance", "resource": "cacheinstances",
							"compositeKind": "XCacheInstance", "compositeResource": "xcacheinstances"},
						"generated": {"xrd": "xcacheinstances.example.org", "compositions": ["cache-a", "cache-b"],
							"exportTemplate": "crossplane-system/cacheinstances"}}`)},
					Resources: map[string]*fnv1.Resource{
						"xrd":                 {Resource: asStruct(t, cacheTwo.XRD), Ready: fnv1.Ready_READY_FALSE},
						"composition-cache-a": {Resource: asStruct(t, cacheTwo.Compositions[0]), Ready: fnv1.Ready_READY_FALSE},
						"composition-cache-b": {Resource: asStruct(t, cacheTwo.Compositions[1]), Ready: fnv1.Ready_READY_FALSE},
						"export-template":     {Resource: asStruct(t, cacheTwo.ExportTemplate), Ready: fnv1.Ready_READY_FALSE},
					},
				},
			}},
		},
		"CapabilitiesMeanV2TheTemplateIsComposedDirectly": {
			reason: "Crossplane v2.2 and later advertise capabilities: a v2 control plane, whose cluster-scoped DataService composes the namespaced template directly, and nothing is asked for.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta:     onV22(""),
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "cache", cacheSpec)}},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Requirements: askCRDs(nil, "caches.example.org"),
				Meta:         &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
				Results:      warnings(cache),
				Desired:      composedDirectly(t, cache),
			}},
		},
		"WithoutCapabilitiesTheFirstCallAsksForTheCRDOfXRDs": {
			reason: "A Crossplane before v2.2 is asked for the CRD of XRDs; until it answers (its first call) nothing is composed, and Crossplane calls again with it.",
			args: args{req: &fnv1.RunFunctionRequest{
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "cache", cacheSpec)}},
				Desired:  &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(`{"status": {"earlier": "step"}}`)}},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta:         &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
				Desired:      &fnv1.State{Composite: &fnv1.Resource{Resource: resource.MustStructJSON(`{"status": {"earlier": "step"}}`)}},
				Requirements: askCRDs(askXRDCRD(), "caches.example.org"),
			}},
		},
		"CRDServingV2MeansV2TheTemplateIsComposedDirectly": {
			reason: "Crossplane v2.0 and v2.1 advertise no capabilities, but their CRD of XRDs serves v2: the template is composed directly, and the requirement stays.",
			args: args{req: withCRD(&fnv1.RunFunctionRequest{
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "cache", cacheSpec)}},
			}, "v1", "v2")},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta:         &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
				Results:      warnings(cache),
				Desired:      composedDirectly(t, cache),
				Requirements: askCRDs(askXRDCRD(), "caches.example.org"),
			}},
		},
		"CRDServingOnlyV1MeansTheTemplateGoesInsideAnObject": {
			reason: "Crossplane 1.x cannot record a namespaced resource of a cluster-scoped composite: the template is composed inside a cluster-scoped provider-kubernetes Object named after the DataService, the status still names the template.",
			args: args{req: withCRD(&fnv1.RunFunctionRequest{
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "cache", cacheSpec)}},
			}, "v1")},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta:    &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
				Results: warnings(cache),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: withStatus(cacheStatus)},
					Resources: map[string]*fnv1.Resource{
						"xrd":                    {Resource: asStruct(t, cache.XRD), Ready: fnv1.Ready_READY_FALSE},
						"composition-cache":      {Resource: asStruct(t, cache.Compositions[0]), Ready: fnv1.Ready_READY_FALSE},
						"export-template-object": {Resource: inObject(t, cache.ExportTemplate, "cache-export-template", "kubernetes-provider"), Ready: fnv1.Ready_READY_FALSE},
					},
				},
				Requirements: askCRDs(askXRDCRD(), "caches.example.org"),
			}},
		},
		"NoCRDDeliveredAssumes1xWithAWarning": {
			reason: "Without capabilities and without the CRD (crossplane render without --extra-resources), Crossplane 1.x is assumed, and a warning says so and how to say otherwise.",
			args: args{req: withoutCRD(&fnv1.RunFunctionRequest{
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "cache", cacheSpec)}},
			})},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta: &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: withStatus(cacheStatus)},
					Resources: map[string]*fnv1.Resource{
						"xrd":                    {Resource: asStruct(t, cache.XRD), Ready: fnv1.Ready_READY_FALSE},
						"composition-cache":      {Resource: asStruct(t, cache.Compositions[0]), Ready: fnv1.Ready_READY_FALSE},
						"export-template-object": {Resource: inObject(t, cache.ExportTemplate, "cache-export-template", "kubernetes-provider"), Ready: fnv1.Ready_READY_FALSE},
					},
				},
				Results: append([]*fnv1.Result{{
					Severity: fnv1.Severity_SEVERITY_WARNING,
					Message: "cannot tell which Crossplane runs function-dataservice: it advertises no capabilities (Crossplane before v2.2) " +
						"and did not deliver the CustomResourceDefinition compositeresourcedefinitions.apiextensions.crossplane.io it was asked for (crossplane render without it among --extra-resources?): " +
						"composing for Crossplane 1.x, namespaced objects inside provider-kubernetes Objects; set controlPlane.crossplane (v1 or v2) in the function's input to say which",
					Target: fnv1.Target_TARGET_COMPOSITE.Enum(),
				}}, warnings(cache)...),
				Requirements: askCRDs(askXRDCRD(), "caches.example.org"),
			}},
		},
		"V2APIOn1xIsFatal": {
			reason: "Crossplane 1.x cannot serve an apiextensions.crossplane.io/v2 XRD: a DataService generating one is refused, naming the line and how it was told, and nothing is composed.",
			args: args{req: withCRD(&fnv1.RunFunctionRequest{
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "cache", `{"crossplaneVersion": "v2", "group": "example.org", "kind": "CacheInstance",
					"compositions": [{"name": "cache", "plans": ["cache-small"], "backend": {"apiVersion": "example.org/v1", "kind": "Cache"}}]}`)}},
			}, "v1")},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta: &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
				Results: []*fnv1.Result{{
					Severity: fnv1.Severity_SEVERITY_FATAL,
					Message: `DataService "cache" generates an API for Crossplane v2 (an apiextensions.crossplane.io/v2 XRD), which Crossplane 1.x cannot serve, ` +
						`and this control plane runs Crossplane 1.x (its CustomResourceDefinition compositeresourcedefinitions.apiextensions.crossplane.io serves no version v2): ` +
						`set spec.crossplaneVersion: v1 (or the input's defaults.crossplaneVersion) to generate an API it serves, or compose it on Crossplane v2`,
					Target: fnv1.Target_TARGET_COMPOSITE.Enum(),
				}},
				Requirements: askCRDs(askXRDCRD(), "caches.example.org"),
			}},
		},
		"InputSaysV1": {
			reason: "The input's controlPlane.crossplane decides the line without asking, and names the provider-kubernetes ProviderConfig of the Object.",
			args: args{req: &fnv1.RunFunctionRequest{
				Meta: onV22(""),
				Input: resource.MustStructJSON(`{"apiVersion": "dataservice.fn.crossplane.io/v1beta1", "kind": "Input",
					"controlPlane": {"crossplane": "v1", "kubernetesProviderConfig": "in-cluster"}}`),
				Observed: &fnv1.State{
					Composite: &fnv1.Resource{Resource: dataService(t, "cache", cacheSpec)},
					Resources: map[string]*fnv1.Resource{
						"export-template-object": {Resource: withConditions(t, &unstructured.Unstructured{Object: map[string]any{"apiVersion": "kubernetes.crossplane.io/v1alpha2", "kind": "Object"}}, "Ready", "Synced")},
					},
				},
			}},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Requirements: askCRDs(nil, "caches.example.org"),
				Meta:         &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
				Results:      warnings(cache),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: withStatus(cacheStatus)},
					Resources: map[string]*fnv1.Resource{
						"xrd":                    {Resource: asStruct(t, cache.XRD), Ready: fnv1.Ready_READY_FALSE},
						"composition-cache":      {Resource: asStruct(t, cache.Compositions[0]), Ready: fnv1.Ready_READY_FALSE},
						"export-template-object": {Resource: inObject(t, cache.ExportTemplate, "cache-export-template", "in-cluster"), Ready: fnv1.Ready_READY_TRUE},
					},
				},
			}},
		},
		"KubeBindTemplateIsClusterScopedOn1x": {
			reason: "kube-bind's template is cluster-scoped: on 1.x it is composed directly, beside klutch-bind's inside its Object.",
			args: args{req: withCRD(&fnv1.RunFunctionRequest{
				Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "cache", `{"group": "example.org", "kind": "CacheInstance", "export": {"kubeBind": {"description": "Caches"}},
					"compositions": [{"name": "cache", "plans": ["cache-small"], "backend": {"apiVersion": "example.org/v1", "kind": "Cache"}}]}`)}},
			}, "v1")},
			want: want{rsp: &fnv1.RunFunctionResponse{
				Meta:    &fnv1.ResponseMeta{Ttl: durationpb.New(response.DefaultTTL)},
				Results: warnings(cacheKubeBind),
				Desired: &fnv1.State{
					Composite: &fnv1.Resource{Resource: withStatus(`{
						"api": {"group": "example.org", "version": "v1", "kind": "CacheInstance", "resource": "cacheinstances",
							"compositeKind": "XCacheInstance", "compositeResource": "xcacheinstances"},
						"generated": {"xrd": "xcacheinstances.example.org", "compositions": ["cache"],
							"exportTemplate": "crossplane-system/cacheinstances", "kubeBindTemplate": "` + cacheKubeBind.KubeBindTemplate.GetName() + `"}}`)},
					Resources: map[string]*fnv1.Resource{
						"xrd":                      {Resource: asStruct(t, cacheKubeBind.XRD), Ready: fnv1.Ready_READY_FALSE},
						"composition-cache":        {Resource: asStruct(t, cacheKubeBind.Compositions[0]), Ready: fnv1.Ready_READY_FALSE},
						"export-template-object":   {Resource: inObject(t, cacheKubeBind.ExportTemplate, "cache-export-template", "kubernetes-provider"), Ready: fnv1.Ready_READY_FALSE},
						"kubebind-export-template": {Resource: asStruct(t, cacheKubeBind.KubeBindTemplate), Ready: fnv1.Ready_READY_FALSE},
					},
				},
				Requirements: askCRDs(askXRDCRD(), "caches.example.org"),
			}},
		},
	}

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := New(logging.NewNopLogger())
			if tc.args.ctx == nil {
				tc.args.ctx = context.Background()
			}
			// Twice: Crossplane calls the function on every reconcile, and the second call answers
			// from the generator's cache of accepted XRDs. Both must be the same.
			for _, call := range []string{"first call", "second call"} {
				rsp, err := f.RunFunction(tc.args.ctx, tc.args.req)

				if diff := cmp.Diff(tc.want.rsp, rsp, protocmp.Transform()); diff != "" {
					t.Errorf("%s\nf.RunFunction(...), %s: -want rsp, +got rsp:\n%s", tc.reason, call, diff)
				}
				if diff := cmp.Diff(tc.want.err, err); diff != "" {
					t.Errorf("%s\nf.RunFunction(...), %s: -want err, +got err:\n%s", tc.reason, call, diff)
				}
			}
		})
	}
}

// dataService returns a DataService named name with the spec given as JSON, as Crossplane sends the
// observed composite.
func dataService(t *testing.T, name, spec string) *structpb.Struct {
	t.Helper()
	return resource.MustStructJSON(`{"apiVersion": "dataservice.klutch.io/v1alpha1", "kind": "DataService",
		"metadata": {"name": "` + name + `"}, "spec": ` + spec + `}`)
}

// generate is what the function must compose for a DataService: the generator's output.
func generate(t *testing.T, name, spec string, d inputv1beta1.Defaults) *generator.Output {
	t.Helper()
	ds := &v1alpha1.DataService{}
	if err := json.Unmarshal([]byte(`{"metadata": {"name": "`+name+`"}, "spec": `+spec+`}`), ds); err != nil {
		t.Fatal(err)
	}
	out, err := generator.Generate(ds, d)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// warnings are the results the function adds for what the generator notes (the grants the API
// needs among them), as warnings of the composite.
func warnings(out *generator.Output) []*fnv1.Result {
	var rs []*fnv1.Result
	for _, n := range out.Notes {
		rs = append(rs, &fnv1.Result{Severity: fnv1.Severity_SEVERITY_WARNING, Message: n, Target: fnv1.Target_TARGET_COMPOSITE.Enum()})
	}
	return rs
}

// hasFatal says whether rsp has a fatal result: warnings (the grants an API needs) do not stop a
// composition.
func hasFatal(rsp *fnv1.RunFunctionResponse) bool {
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			return true
		}
	}
	return false
}

// withStatus is the desired composite the function returns: the DataService's GVK and a status.
// composedDirectly is the desired state of a DataService composed directly (the v2 line), with the status
// of cacheStatus and nothing ready yet: what most cases of TestRunFunction expect.
func composedDirectly(t *testing.T, out *generator.Output) *fnv1.State {
	t.Helper()
	return &fnv1.State{
		Composite: &fnv1.Resource{Resource: withStatus(cacheStatus)},
		Resources: map[string]*fnv1.Resource{
			"xrd":               {Resource: asStruct(t, out.XRD), Ready: fnv1.Ready_READY_FALSE},
			"composition-cache": {Resource: asStruct(t, out.Compositions[0]), Ready: fnv1.Ready_READY_FALSE},
			"export-template":   {Resource: asStruct(t, out.ExportTemplate), Ready: fnv1.Ready_READY_FALSE},
		},
	}
}

func withStatus(status string) *structpb.Struct {
	return resource.MustStructJSON(`{"apiVersion": "dataservice.klutch.io/v1alpha1", "kind": "DataService", "status": ` + status + `}`)
}

func asStruct(t *testing.T, u *unstructured.Unstructured) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(u.DeepCopy().Object)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// withConditions returns u as Crossplane observes it with the given conditions True.
func withConditions(t *testing.T, u *unstructured.Unstructured, types ...string) *structpb.Struct {
	t.Helper()
	o := u.DeepCopy()
	conds := make([]any, 0, len(types))
	for _, typ := range types {
		conds = append(conds, map[string]any{"type": typ, "status": "True", "reason": "WatchingCompositeResource", "lastTransitionTime": "2024-01-01T00:00:00Z"})
	}
	if err := unstructured.SetNestedSlice(o.Object, conds, "status", "conditions"); err != nil {
		t.Fatal(err)
	}
	return asStruct(t, o)
}

// withCrossplaneFields adds what Crossplane v1 and v2 and the API server put on an XR.
func withCrossplaneFields(t *testing.T, s *structpb.Struct) *structpb.Struct {
	t.Helper()
	m := s.AsMap()
	md := m["metadata"].(map[string]any)
	md["uid"] = "0d5f7a8c-0000-4000-8000-000000000000"
	md["resourceVersion"] = "42"
	md["generation"] = 3
	md["finalizers"] = []any{"composite.apiextensions.crossplane.io"}
	md["labels"] = map[string]any{"crossplane.io/composite": "cache"}
	spec := m["spec"].(map[string]any)
	spec["compositionRef"] = map[string]any{"name": "function-dataservice"}
	spec["compositionRevisionRef"] = map[string]any{"name": "function-dataservice-1a2b3c"}
	spec["compositionUpdatePolicy"] = "Automatic"
	spec["resourceRefs"] = []any{map[string]any{"apiVersion": "apiextensions.crossplane.io/v1", "kind": "CompositeResourceDefinition", "name": "xcacheinstances.example.org"}}
	spec["crossplane"] = map[string]any{"compositionRef": map[string]any{"name": "function-dataservice"}}
	m["status"] = map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "False"}}, "api": map[string]any{"group": "example.org"}}
	out, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
