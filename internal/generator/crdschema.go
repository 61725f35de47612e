package generator

import (
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// CRDSchema is the openAPIV3Schema of the CRD Crossplane derives from one version's schema of a
// generated XRD: the claim CRD when claim is true (a line with claims), else the composite's. It is
// what the API server validates app developers' objects against, Crossplane's machinery fields
// (compositionRef …) included, so that tools evaluating the XRD's rules in-process (dataservice
// plans, docs, check-compat) compile them against the same fields a control plane does. xrdSchema
// is not modified.
func CRDSchema(line xpline.Line, claim bool, xrdSchema *extv1.JSONSchemaProps) *extv1.JSONSchemaProps {
	inject := line.CompositeSpecProperties()
	if claim && line.Claims {
		inject = line.ClaimSpecProperties()
	}
	return crossplaneSchema(xrdSchema.DeepCopy(), inject)
}
