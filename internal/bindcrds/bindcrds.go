// Package bindcrds holds the CRDs of the export templates the generator writes, as klutch-bind and
// upstream kube-bind ship them (vendored unmodified; README.md names their origins), and validates
// objects against them with the API server's own validation (internal/crvalidate): what a control
// plane with those CRDs would refuse, the generator refuses before writing it.
package bindcrds

import (
	_ "embed"
	"fmt"
	"sync"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/internal/crvalidate"
)

// KlutchBindCRD is klutch-bind's APIServiceExportTemplate CRD
// (example-backend.klutch.anynines.com), as its contrib/deploy/crd ships it.
//
//go:embed klutch-bind/example-backend.klutch.anynines.com_apiserviceexporttemplates.yaml
var KlutchBindCRD []byte

// KubeBindCRD is upstream kube-bind's APIServiceExportTemplate CRD (kube-bind.io), as its
// deploy/crd ships it.
//
//go:embed kube-bind/kube-bind.io_apiserviceexporttemplates.yaml
var KubeBindCRD []byte

// KlutchBind validates klutch-bind's APIServiceExportTemplates (v1alpha1).
var KlutchBind = validatorOf(KlutchBindCRD, "v1alpha1")

// KubeBind validates kube-bind's APIServiceExportTemplates (v1alpha2).
var KubeBind = validatorOf(KubeBindCRD, "v1alpha2")

// validatorOf returns the validator of version of the CRD in data, built once, on first use: a
// process that never writes a template never compiles the CRD's rules.
func validatorOf(data []byte, version string) func() (*crvalidate.Validator, error) {
	return sync.OnceValues(func() (*crvalidate.Validator, error) {
		crd := &extv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(data, crd); err != nil {
			return nil, fmt.Errorf("cannot read the vendored CRD: %w", err)
		}
		for _, v := range crd.Spec.Versions {
			if v.Name != version {
				continue
			}
			if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
				return nil, fmt.Errorf("CRD %s: version %s has no schema", crd.Name, version)
			}
			val, err := crvalidate.New(v.Schema.OpenAPIV3Schema)
			if err != nil {
				return nil, fmt.Errorf("CRD %s, version %s: %w", crd.Name, version, err)
			}
			return val, nil
		}
		return nil, fmt.Errorf("CRD %s serves no version %s", crd.Name, version)
	})
}
