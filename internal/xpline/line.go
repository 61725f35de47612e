// Package xpline says what a Crossplane line (v1 or v2, the value of a DataService's
// spec.crossplaneVersion and of the pipeline input's defaults.crossplaneVersion) means for the
// objects generated for it, and for a control plane that runs it (the input's
// controlPlane.crossplane: v1 is every Crossplane 1.x). It is the one place that knows: the
// generator, the importer, the compatibility check, the function and the input's validation ask a
// Line instead of comparing strings.
package xpline

import (
	"strings"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
)

// XRDGroup is the API group of CompositeResourceDefinitions on every line.
const XRDGroup = "apiextensions.crossplane.io"

// A Line is a Crossplane line a DataService's API is generated for.
type Line struct {
	// Name is the line as a DataService names it: v1 or v2.
	Name string
	// XRDAPIVersion is the apiVersion of the line's XRDs, and of its Compositions' group.
	XRDAPIVersion string
	// Claims says whether app developers create namespaced claims of a cluster-scoped composite
	// (v1), or the composite itself (v2).
	Claims bool
	// CompositionRefPath is the CEL path of the composition reference on what app developers
	// create: a claim (v1) or a composite (v2).
	CompositionRefPath string
	// DefaultScope is the composite's scope when the XRD names none: LegacyCluster on v1
	// (cluster-scoped composites with namespaced claims), Namespaced on v2.
	DefaultScope string
	// PackageConstraint is the oldest Crossplane a Configuration package of the line's XRDs
	// installs on, as a version constraint of its meta (crossplane.yaml spec.crossplane.version).
	PackageConstraint string
	// NamespacedRefs says whether a control plane of the line records a namespace in a composite's
	// spec.resourceRefs. Crossplane 1.x records apiVersion, kind and name only (its
	// internal/xcrd/schemas.go), and writes every ref before it creates anything: a cluster-scoped
	// composite that composes a namespaced resource composes nothing at all there. v2 records the
	// namespace.
	NamespacedRefs bool
}

// The two lines.
var (
	V1 = Line{
		Name:               v1alpha1.CrossplaneV1,
		XRDAPIVersion:      XRDGroup + "/v1",
		Claims:             true,
		CompositionRefPath: "self.compositionRef.name",
		DefaultScope:       "LegacyCluster",
		PackageConstraint:  ">=v1.17.1",
	}
	V2 = Line{
		Name:               v1alpha1.CrossplaneV2,
		XRDAPIVersion:      XRDGroup + "/v2",
		CompositionRefPath: "self.crossplane.compositionRef.name",
		DefaultScope:       v1alpha1.ScopeNamespaced,
		PackageConstraint:  ">=v2.0.0",
		NamespacedRefs:     true,
	}
)

// Default is the line a DataService is generated for when neither it nor the pipeline input names
// one: v1, the line of Klutch's APIs today. The one place that decides it.
var Default = V1

// All lists the lines, oldest first.
var All = []Line{V1, V2}

// Names lists the names of the lines, for messages that say what is supported.
func Names() []string {
	out := make([]string, len(All))
	for i, l := range All {
		out[i] = l.Name
	}
	return out
}

// Named returns the line of a name, false for none.
func Named(name string) (Line, bool) {
	for _, l := range All {
		if l.Name == name {
			return l, true
		}
	}
	return Line{}, false
}

// OfXRD returns the line of an XRD's apiVersion, false when it is not an XRD apiVersion.
func OfXRD(apiVersion string) (Line, bool) {
	for _, l := range All {
		if l.XRDAPIVersion == apiVersion {
			return l, true
		}
	}
	return Line{}, false
}

// Serves says whether a control plane of line l serves the XRDs of line api: Crossplane v2 serves
// both (apiextensions.crossplane.io/v1 XRDs with claims are its legacy kind), 1.x only its own.
func (l Line) Serves(api Line) bool { return l.Name == api.Name || l.Name == V2.Name }

// Version is the version of apiextensions.crossplane.io the line's XRDs have: v1 or v2.
func (l Line) Version() string { return strings.TrimPrefix(l.XRDAPIVersion, XRDGroup+"/") }

// CompositeSpecProperties are the fields Crossplane adds to the spec of the line's composites.
func (l Line) CompositeSpecProperties() map[string]extv1.JSONSchemaProps {
	if !l.Claims {
		return map[string]extv1.JSONSchemaProps{"crossplane": {Type: "object", Properties: machineryProps()}}
	}
	p := machineryProps()
	p["claimRef"] = extv1.JSONSchemaProps{Type: "object", Required: []string{"apiVersion", "kind", "namespace", "name"}, Properties: map[string]extv1.JSONSchemaProps{
		"apiVersion": {Type: "string"}, "kind": {Type: "string"}, "namespace": {Type: "string"}, "name": {Type: "string"},
	}}
	p["writeConnectionSecretToRef"] = extv1.JSONSchemaProps{Type: "object", Required: []string{"name", "namespace"}, Properties: map[string]extv1.JSONSchemaProps{
		"name": {Type: "string"}, "namespace": {Type: "string"},
	}}
	return p
}

// ClaimSpecProperties are the fields Crossplane adds to the spec of the line's claims; nil on a
// line without claims.
func (l Line) ClaimSpecProperties() map[string]extv1.JSONSchemaProps {
	if !l.Claims {
		return nil
	}
	p := machineryProps()
	delete(p, "resourceRefs")
	p["compositeDeletePolicy"] = extv1.JSONSchemaProps{Type: "string", Enum: enumOf("Background", "Foreground")}
	p["resourceRef"] = extv1.JSONSchemaProps{Type: "object", Required: []string{"apiVersion", "kind", "name"}, Properties: map[string]extv1.JSONSchemaProps{
		"apiVersion": {Type: "string"}, "kind": {Type: "string"}, "name": {Type: "string"},
	}}
	p["writeConnectionSecretToRef"] = extv1.JSONSchemaProps{Type: "object", Required: []string{"name"}, Properties: map[string]extv1.JSONSchemaProps{"name": {Type: "string"}}}
	return p
}

func refProps() extv1.JSONSchemaProps {
	return extv1.JSONSchemaProps{Type: "object", Required: []string{"name"}, Properties: map[string]extv1.JSONSchemaProps{"name": {Type: "string"}}}
}

func selectorProps() extv1.JSONSchemaProps {
	return extv1.JSONSchemaProps{Type: "object", Required: []string{"matchLabels"}, Properties: map[string]extv1.JSONSchemaProps{
		"matchLabels": {Type: "object", AdditionalProperties: &extv1.JSONSchemaPropsOrBool{Allows: true, Schema: &extv1.JSONSchemaProps{Type: "string"}}},
	}}
}

func objectRefs() extv1.JSONSchemaProps {
	atomic := "atomic"
	return extv1.JSONSchemaProps{Type: "array", XListType: &atomic, Items: &extv1.JSONSchemaPropsOrArray{Schema: &extv1.JSONSchemaProps{
		Type: "object", Required: []string{"apiVersion", "kind"},
		Properties: map[string]extv1.JSONSchemaProps{"apiVersion": {Type: "string"}, "kind": {Type: "string"}, "name": {Type: "string"}, "namespace": {Type: "string"}},
	}}}
}

// machineryProps are the composition machinery fields every composite and claim has.
func machineryProps() map[string]extv1.JSONSchemaProps {
	return map[string]extv1.JSONSchemaProps{
		"compositionRef":              refProps(),
		"compositionSelector":         selectorProps(),
		"compositionRevisionRef":      refProps(),
		"compositionRevisionSelector": selectorProps(),
		"compositionUpdatePolicy":     {Type: "string", Enum: enumOf("Automatic", "Manual")},
		"resourceRefs":                objectRefs(),
	}
}

func enumOf(vs ...string) []extv1.JSON {
	out := make([]extv1.JSON, len(vs))
	for i, v := range vs {
		out[i] = extv1.JSON{Raw: []byte(`"` + v + `"`)}
	}
	return out
}

// The labels Crossplane v1 puts on a claim's composite, as field paths; a9s providers find the
// bindings, backups and restores of an instance by them, so generated backends copy them.
const (
	LabelClaimName      = "metadata.labels[crossplane.io/claim-name]"
	LabelClaimNamespace = "metadata.labels[crossplane.io/claim-namespace]"
)
