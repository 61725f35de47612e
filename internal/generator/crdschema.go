package generator

import (
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
)

// CRDSchema is the openAPIV3Schema of the CRD Crossplane derives from one version's schema of a
// generated XRD: the claim CRD on Crossplane v1 when claim is true, else the composite's. It is
// what the API server validates app developers' objects against, Crossplane's machinery fields
// (compositionRef …) included, so that tools evaluating the XRD's rules in-process (dataservice
// plans, docs) compile them against the same fields a control plane does. line is
// v1alpha1.CrossplaneV1 or CrossplaneV2; xrdSchema is not modified.
func CRDSchema(line string, claim bool, xrdSchema *extv1.JSONSchemaProps) *extv1.JSONSchemaProps {
	inject := legacySpecProps()
	switch {
	case line == v1alpha1.CrossplaneV2:
		inject = modernSpecProps()
	case claim:
		inject = claimSpecProps()
	}
	return crossplaneSchema(xrdSchema.DeepCopy(), inject)
}
