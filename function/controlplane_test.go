package function

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
)

// v22 are the capabilities Crossplane v2.2.1 advertises (its internal/xfn SupportedCapabilities).
var v22 = []fnv1.Capability{
	fnv1.Capability_CAPABILITY_CAPABILITIES,
	fnv1.Capability_CAPABILITY_REQUIRED_RESOURCES,
	fnv1.Capability_CAPABILITY_CREDENTIALS,
	fnv1.Capability_CAPABILITY_CONDITIONS,
	fnv1.Capability_CAPABILITY_REQUIRED_SCHEMAS,
}

// onV22 is the meta of a request of Crossplane v2.2, which advertises its capabilities.
func onV22(tag string) *fnv1.RequestMeta { return &fnv1.RequestMeta{Tag: tag, Capabilities: v22} }

func withMeta(req *fnv1.RunFunctionRequest, caps []fnv1.Capability) *fnv1.RunFunctionRequest {
	req.Meta = &fnv1.RequestMeta{Tag: req.GetMeta().GetTag(), Capabilities: caps}
	return req
}

// xrdCRD is the CRD of XRDs as Crossplane delivers it, serving the versions named.
func xrdCRD(versions ...string) *structpb.Struct {
	vs := make([]string, 0, len(versions))
	for _, v := range versions {
		vs = append(vs, `{"name": "`+v+`", "served": true, "storage": `+map[bool]string{true: "true", false: "false"}[v == versions[len(versions)-1]]+`}`)
	}
	// A version no longer served does not count.
	vs = append(vs, `{"name": "v1beta1", "served": false, "storage": false}`)
	return resource.MustStructJSON(`{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": {"name": "compositeresourcedefinitions.apiextensions.crossplane.io"},
		"spec": {"group": "apiextensions.crossplane.io", "scope": "Cluster", "versions": [` + strings.Join(vs, ", ") + `]}}`)
}

// withCRD is req as Crossplane 1.x sends it once asked for the CRD of XRDs: in extra_resources.
func withCRD(req *fnv1.RunFunctionRequest, versions ...string) *fnv1.RunFunctionRequest {
	req.ExtraResources = map[string]*fnv1.Resources{"crossplane-xrd-crd": {Items: []*fnv1.Resource{{Resource: xrdCRD(versions...)}}}}
	return req
}

// withoutCRD is req as Crossplane sends it when what was asked for does not exist (render without
// --extra-resources): the key, without items.
func withoutCRD(req *fnv1.RunFunctionRequest) *fnv1.RunFunctionRequest {
	req.ExtraResources = map[string]*fnv1.Resources{"crossplane-xrd-crd": {}}
	return req
}

// askXRDCRD is what the function asks a Crossplane that advertises no capabilities for, as every
// Crossplane line reads it.
func askXRDCRD() *fnv1.Requirements {
	return &fnv1.Requirements{ExtraResources: map[string]*fnv1.ResourceSelector{
		"crossplane-xrd-crd": {
			ApiVersion: "apiextensions.k8s.io/v1",
			Kind:       "CustomResourceDefinition",
			Match:      &fnv1.ResourceSelector_MatchName{MatchName: "compositeresourcedefinitions.apiextensions.crossplane.io"},
		},
	}}
}

// inObject is how a namespaced object is composed on Crossplane 1.x: inside a provider-kubernetes
// Object named name.
func inObject(t *testing.T, u *unstructured.Unstructured, name, providerConfig string) *structpb.Struct {
	t.Helper()
	return asStruct(t, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kubernetes.crossplane.io/v1alpha2",
		"kind":       "Object",
		"metadata":   map[string]any{"name": name},
		"spec": map[string]any{
			"forProvider":       map[string]any{"manifest": u.DeepCopy().Object},
			"providerConfigRef": map[string]any{"name": providerConfig},
			"deletionPolicy":    "Delete",
			"readiness":         map[string]any{"policy": "SuccessfulCreate"},
		},
	}})
}

func TestDecideControlPlane(t *testing.T) {
	cases := map[string]struct {
		reason string
		in     inputv1beta1.ControlPlane
		req    *fnv1.RunFunctionRequest
		line   string // "" while unanswered
		ask    bool
		assume bool
	}{
		"InputV1":          {"The input's line wins over what Crossplane says.", inputv1beta1.ControlPlane{Crossplane: "v1"}, withMeta(&fnv1.RunFunctionRequest{}, v22), "v1", false, false},
		"InputV2":          {"The input's line is never asked about.", inputv1beta1.ControlPlane{Crossplane: "v2"}, &fnv1.RunFunctionRequest{}, "v2", false, false},
		"Capabilities":     {"Crossplane v2.2 and later advertise capabilities.", inputv1beta1.ControlPlane{}, withMeta(&fnv1.RunFunctionRequest{}, v22), "v2", false, false},
		"FirstCall":        {"Before v2.2 the CRD is asked for; the first call has no answer.", inputv1beta1.ControlPlane{Crossplane: "auto"}, &fnv1.RunFunctionRequest{}, "", true, false},
		"CRDServesV2":      {"Crossplane v2.0 and v2.1 serve XRDs v2.", inputv1beta1.ControlPlane{}, withCRD(&fnv1.RunFunctionRequest{}, "v1", "v2"), "v2", true, false},
		"CRDServesV1":      {"Crossplane 1.x serves XRDs v1 only.", inputv1beta1.ControlPlane{}, withCRD(&fnv1.RunFunctionRequest{}, "v1"), "v1", true, false},
		"NoCRD":            {"Without the CRD, 1.x is assumed.", inputv1beta1.ControlPlane{}, withoutCRD(&fnv1.RunFunctionRequest{}), "v1", true, true},
		"RequiredResource": {"A CRD delivered in required_resources counts too.", inputv1beta1.ControlPlane{}, &fnv1.RunFunctionRequest{RequiredResources: map[string]*fnv1.Resources{"crossplane-xrd-crd": {Items: []*fnv1.Resource{{Resource: xrdCRD("v1", "v2")}}}}}, "v2", true, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cp := decideControlPlane(tc.in, observe(tc.req))
			if cp.line.Name != tc.line || cp.ask != tc.ask || (cp.assumed != "") != tc.assume || cp.unanswered != (tc.line == "") {
				t.Errorf("%s\ndecideControlPlane(...): line %q, ask %t, assumed %q, unanswered %t; want line %q, ask %t, assumed %t",
					tc.reason, cp.line.Name, cp.ask, cp.assumed, cp.unanswered, tc.line, tc.ask, tc.assume)
			}
			if cp.providerConfig != "kubernetes-provider" {
				t.Errorf("providerConfig %q, want Klutch's kubernetes-provider", cp.providerConfig)
			}
		})
	}
}

func TestObjectName(t *testing.T) {
	if got := objectName("mongodb", nameExportTemplate); got != "mongodb-export-template" {
		t.Errorf("objectName(mongodb, export-template) = %q", got)
	}
	long := strings.Repeat("a.", 120) + "example-data-service"
	a, b := objectName(long, nameExportTemplate), objectName(long+"s", nameExportTemplate)
	for _, n := range []string{a, b} {
		if msgs := validation.IsDNS1123Subdomain(n); len(msgs) > 0 {
			t.Errorf("objectName of a long DataService name: %q is no object name: %v", n, msgs)
		}
	}
	if a == b {
		t.Errorf("objectName of two long DataService names: both %q", a)
	}
}
