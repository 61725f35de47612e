package function

import (
	"crypto/sha256"
	"fmt"

	"google.golang.org/protobuf/types/known/structpb"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"

	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// The Crossplane line of the control plane that calls the function decides how a DataService's
// objects are composed: on Crossplane 1.x a cluster-scoped composite (the DataService) cannot
// compose a namespaced object (xpline.Line.NamespacedRefs), so the APIServiceExportTemplate goes
// inside a provider-kubernetes Object (object.go). The line is the input's controlPlane.crossplane,
// or detected (auto, the default): Crossplane v2.2 and later advertise their capabilities; an older
// one (every 1.x, v2.0, v2.1, and their crossplane render) is asked for the CRD of XRDs, which
// serves version v2 on Crossplane v2 only. Crossplane can read CRDs on both lines (its chart grants
// it every verb on them).

const (
	// requiredXRDCRD names the function's one resource requirement.
	requiredXRDCRD = "crossplane-xrd-crd"
	// xrdCRDName is the CRD of Crossplane's CompositeResourceDefinitions, cluster-scoped.
	xrdCRDName = "compositeresourcedefinitions." + xpline.XRDGroup
)

// crdState is what a request holds of the CRD of XRDs.
type crdState byte

const (
	// crdNotAsked: the request holds no answer, Crossplane was not asked yet (its first call).
	crdNotAsked crdState = iota
	// crdNotFound: asked, and nothing was delivered (crossplane render without the CRD among its
	// --extra-resources).
	crdNotFound
	crdServesV2
	crdServesNoV2
)

// observation is what a request says of the control plane: all the detection reads, and so part of
// the replay key.
type observation struct {
	capabilities bool
	crd          crdState
	// backends identifies the CRDs of composed kinds the request holds (backends.go).
	backends [sha256.Size]byte
}

// observe reads what a request says of the control plane.
func observe(req *fnv1.RunFunctionRequest) observation {
	o := observation{capabilities: request.AdvertisesCapabilities(req), backends: backendsDigest(req)}
	rs, ok := delivered(req, requiredXRDCRD)
	switch {
	case !ok:
		o.crd = crdNotAsked
	case len(rs.GetItems()) == 0:
		o.crd = crdNotFound
	case servesV2(rs.GetItems()[0].GetResource()):
		o.crd = crdServesV2
	default:
		o.crd = crdServesNoV2
	}
	return o
}

// servesV2 says whether the CRD of XRDs serves version v2.
func servesV2(crd *structpb.Struct) bool {
	for _, v := range crd.GetFields()["spec"].GetStructValue().GetFields()["versions"].GetListValue().GetValues() {
		f := v.GetStructValue().GetFields()
		if f["name"].GetStringValue() == xpline.V2.Version() && f["served"].GetBoolValue() {
			return true
		}
	}
	return false
}

// controlPlane is the control plane as decided for one call.
type controlPlane struct {
	// line is the Crossplane line that calls the function; the zero Line while unanswered.
	line xpline.Line
	// why says how the line was decided, for messages.
	why string
	// ask says Crossplane is asked for the CRD of XRDs: the requirement goes into every response.
	ask bool
	// unanswered says it was not delivered yet: Crossplane calls again with it.
	unanswered bool
	// assumed says the line is assumed, not detected (the warning to give).
	assumed string
	// providerConfig is the provider-kubernetes ProviderConfig of the Objects it composes.
	providerConfig string
}

// decideControlPlane decides the control plane from the input's controlPlane and what the request
// says of it.
func decideControlPlane(in inputv1beta1.ControlPlane, o observation) controlPlane {
	in = in.WithFallbacks()
	cp := controlPlane{providerConfig: in.KubernetesProviderConfig}
	if l, ok := xpline.Named(in.Crossplane); ok {
		cp.line, cp.why = l, "the function's input says controlPlane.crossplane: "+l.Name
		return cp
	}
	if o.capabilities {
		cp.line, cp.why = xpline.V2, "it advertises its capabilities, as Crossplane does from v2.2 on"
		return cp
	}
	cp.ask = true
	switch o.crd {
	case crdNotAsked:
		cp.unanswered = true
	case crdServesV2:
		cp.line, cp.why = xpline.V2, "its CustomResourceDefinition "+xrdCRDName+" serves version v2"
	case crdServesNoV2:
		cp.line, cp.why = xpline.V1, "its CustomResourceDefinition "+xrdCRDName+" serves no version v2"
	default:
		// Only a Crossplane before v2.2 advertises no capabilities, and every real one delivers the
		// CRD: this is crossplane render, whose likeliest target is Klutch's 1.x.
		cp.line, cp.why = xpline.V1, "assumed, see the warning"
		cp.assumed = fmt.Sprintf("cannot tell which Crossplane runs function-dataservice: it advertises no capabilities (Crossplane before v2.2) "+
			"and did not deliver the CustomResourceDefinition %s it was asked for (crossplane render without it among --extra-resources?): "+
			"composing for Crossplane 1.x, namespaced objects inside provider-kubernetes Objects; "+
			"set controlPlane.crossplane (v1 or v2) in the function's input to say which", xrdCRDName)
	}
	return cp
}

// requirement is what the function asks Crossplane for to tell its line (requirements.go): the CRD
// of XRDs, by name, while the line is detected and not advertised. Crossplane 1.x (v1.20.7's
// FetchingFunctionRunner, v1.16's beta render) and v2.0 and v2.1 read it; v2.2 and later are never
// asked: they advertise their capabilities.
func (cp controlPlane) requirement() []requirement {
	if !cp.ask {
		return nil
	}
	return []requirement{{name: requiredXRDCRD, selector: &fnv1.ResourceSelector{
		ApiVersion: "apiextensions.k8s.io/v1",
		Kind:       "CustomResourceDefinition",
		Match:      &fnv1.ResourceSelector_MatchName{MatchName: xrdCRDName},
	}}}
}

// refuse says why the control plane cannot serve an API of line api, "" when it can.
func (cp controlPlane) refuse(name string, api xpline.Line) string {
	if cp.line.Serves(api) {
		return ""
	}
	return fmt.Sprintf("DataService %q generates an API for Crossplane %s (an %s XRD), which Crossplane 1.x cannot serve, and this control plane runs Crossplane 1.x (%s): "+
		"set spec.crossplaneVersion: v1 (or the input's defaults.crossplaneVersion) to generate an API it serves, or compose it on Crossplane v2",
		name, api.Name, api.XRDAPIVersion, cp.why)
}
