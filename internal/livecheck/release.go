// Package livecheck judges a change of a data service's API by the instances that exist: it
// evaluates each existing composite (on Crossplane v1 the cluster-scoped composite of a claim,
// which carries the claim's spec and its claimRef; on v2 the composite app developers create)
// against what a new release composes, and says which instances the change would break, and how,
// and which it would resize. It is the one evaluation the composition function runs before it
// applies a change and `dataservice check-compat --kubeconfig` runs offline: both give it the two
// releases (release.go, each read as its resolved API with its XRD and Compositions) and the
// instances (instance.go); it does no I/O.
//
// An instance is broken by a change (evaluate.go) when
//   - a value it holds is no longer offered or defined: its plan, service or composition, an enum
//     value (NotOffered), a field removed (FieldRemoved), a field newly required (NewlyRequired),
//     a field it leaves unset that gets another default (DefaultChanged);
//   - its composed resources could no longer be rendered: its composition maps a value it holds
//     (its plan) with a function-patch-and-transform map that has no entry for it any more, which
//     P&T answers with a fatal result (Unrenderable);
//   - an update that keeps its values would be refused by an API server without ratcheting
//     (before Kubernetes 1.30, and the app clusters klutch-bind's konnector installs the schema on
//     may be older): the new schema's validation is run on the instance with the API server's own
//     code, as planmatrix does, without ratcheting (RefusedWithoutRatcheting);
//   - its whole API is replaced (another XRD name or Crossplane line): Crossplane would delete it
//     with the old XRD (APIReplaced).
//
// A change of the values a plan gives (its catalog: memory 4Gi → 8Gi) resizes every instance on the
// plan: values.go reads what each plan gives from the Compositions' map transforms and reports
// each change with the instances it resizes; shrinking a value the backend cannot shrink (a
// storage size) is a breaking Shrink.
package livecheck

import (
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/planmatrix"
	"github.com/function-dataservice/function-dataservice/internal/resolved"
)

// Release is what one release of an API composes, as its instances meet it: the resolved API, the
// XRD with the schema its composites are validated against, and what each Composition maps.
type Release struct {
	// API is the resolved API of the release.
	API *resolved.API
	// XRD is the CompositeResourceDefinition.
	XRD *unstructured.Unstructured
	// Compositions are the Compositions of the XRD, by name.
	Compositions map[string]*unstructured.Unstructured

	// schema validates composites as the API server does, at every served version.
	schema *planmatrix.API
	// version is the referenceable version, which instances are validated at.
	version string
	// maps are the map transforms of each Composition, by name.
	maps map[string][]mapPatch
}

// errReadRelease is the error of a release that cannot be read.
const errReadRelease = "cannot read the API of XRD %s"

// ReadRelease reads a release from what was generated or is observed in a cluster: an XRD and
// its Compositions (others are skipped), the resolved API read back with generator.ReadAPI.
func ReadRelease(xrd *unstructured.Unstructured, compositions []*unstructured.Unstructured) (*Release, error) {
	api, _, err := generator.ReadAPI(xrd, compositions)
	if err != nil {
		return nil, errors.Wrapf(err, errReadRelease, xrd.GetName())
	}
	return NewRelease(api, xrd, compositions)
}

// NewRelease is a release of a resolved API (generator.Output.Resolved, or ReadAPI's), the XRD
// written from it and its Compositions. It compiles the XRD's rules, as the API server does.
func NewRelease(api *resolved.API, xrd *unstructured.Unstructured, compositions []*unstructured.Unstructured) (*Release, error) {
	r := &Release{API: api, XRD: xrd, Compositions: map[string]*unstructured.Unstructured{}, maps: map[string][]mapPatch{}}
	for _, c := range compositions {
		mp, err := mapPatches(c)
		if err != nil {
			return nil, err
		}
		r.Compositions[c.GetName()] = c
		r.maps[c.GetName()] = mp
	}
	schema, err := planmatrix.LoadComposites(xrd)
	if err != nil {
		return nil, errors.Wrapf(err, errReadRelease, xrd.GetName())
	}
	r.schema = schema
	r.version = api.Referenceable()
	if schema.Version(r.version) == nil {
		r.version = schema.Versions[len(schema.Versions)-1].Name
	}
	return r, nil
}

// structural is the schema of the composites' CRD at the version instances are validated at.
func (r *Release) structural() *structuralschema.Structural {
	return r.schema.Version(r.version).Validator().Structural()
}

// Identity names the API a release serves: its XRD and Crossplane line. Instances live in the
// CRDs of one XRD; a release with another identity replaces the API.
func (r *Release) Identity() string { return r.XRD.GetName() + " (Crossplane " + r.API.Line.Name + ")" }
