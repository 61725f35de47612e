package backendcrd

import (
	"context"
	"fmt"
	"slices"
	"strings"

	ptv1beta1 "github.com/crossplane-contrib/function-patch-and-transform/input/v1beta1"
	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Resource is a composed resource as the generator describes it: what the check needs of it.
type Resource struct {
	// Path is where the DataService declares the resource, e.g. spec.compositions[0].backend.
	Path *field.Path
	// Base is the resource's base as composed: apiVersion, kind, the DataService's base and what
	// the generator set in it.
	Base map[string]any
	// Implied names the DataService field behind a path of Base the generator set (e.g.
	// spec.providerConfigRef.name from the backend's providerConfig), by the path as fieldpath
	// writes it.
	Implied map[string]*field.Path
	// Patches are the resource's patches, in order.
	Patches []Patch
	// ReadinessChecks are the resource's readiness checks; none is P&T's default, the Ready
	// condition, reported at ReadinessPath.
	ReadinessChecks []ReadinessCheck
	ReadinessPath   *field.Path
	// ConnectionDetails are the resource's connection details.
	ConnectionDetails []ConnectionDetail
	// Composites are what an instance of each plan and service the composition offers makes the
	// composite: the objects it composes are checked, one per distinct object.
	Composites []Composite
	// CompositeSchema is the composite's schema, which types what an instance sets (a parameter,
	// a field of the API); nil types nothing.
	CompositeSchema *extv1.JSONSchemaProps
}

// Patch is a patch of the resource and the DataService field it comes from.
type Patch struct {
	// Path is the DataService field the patch comes from: a mapping (…fields[3]), a status
	// mapping (…status[0]), or the field that implies it (…backend.providerConfig).
	Path *field.Path
	// Field is the child of Path that holds the composed resource's path: "to" for a mapping,
	// "from" for a status mapping, "" when Path itself is reported.
	Field string
	// Source says what the patch maps, for messages, e.g. plan.replicas.
	Source string
	// Declared is where a catalog value's type is declared (spec.plan.values[3]), nil for other
	// sources: a value of the wrong type may be declared of the right one there.
	Declared *field.Path
	// Patch is the patch as generated.
	Patch ptv1beta1.ComposedPatch
}

// ReadinessCheck is a readiness check and where the DataService declares it.
type ReadinessCheck struct {
	Path  *field.Path
	Check ptv1beta1.ReadinessCheck
}

// ConnectionDetail is a connection detail and where the DataService declares it.
type ConnectionDetail struct {
	Path   *field.Path
	Detail ptv1beta1.ConnectionDetail
}

// Composite is a composite an instance makes, and the label that names it in messages ("plan
// small, service valkey-8").
type Composite struct {
	Label  string
	Object map[string]any
}

// Result is what Check found.
type Result struct {
	// Errs are the errors, each at the DataService field at fault.
	Errs field.ErrorList
	// Checked are the kinds checked against a CRD, each once, in the order met.
	Checked []schema.GroupVersionKind
	// Unchecked are the kinds composed that no CRD of the Set defines, each once, in the order
	// met: not checked.
	Unchecked []schema.GroupVersionKind
}

// providerKubernetesGroups are the groups of provider-kubernetes' Object, which creates the
// object of its spec.forProvider.manifest.
var providerKubernetesGroups = []string{"kubernetes.crossplane.io", "kubernetes.m.crossplane.io"}

var (
	manifestPath       = fieldpath.Segments{fieldpath.Field("spec"), fieldpath.Field("forProvider"), fieldpath.Field("manifest")}
	manifestStatusPath = fieldpath.Segments{fieldpath.Field("status"), fieldpath.Field("atProvider"), fieldpath.Field("manifest")}
)

// target is an object of a composed resource checked against a CRD version: the resource itself,
// or the manifest of a provider-kubernetes Object.
type target struct {
	crd     *CRD
	version string
	schema  *extv1.JSONSchemaProps
	gvk     schema.GroupVersionKind
	// prefix is where the object is in the composed resource, statusPrefix where its status is
	// read from: none for the resource itself.
	prefix, statusPrefix fieldpath.Segments
}

func (t *target) name() string { return t.gvk.GroupVersion().String() + " " + t.gvk.Kind }

// Check checks the resources against the CRDs of s. Resources whose kind s does not define are
// not checked (Result.Unchecked).
func Check(ctx context.Context, s *Set, rs []Resource) Result {
	var res Result
	seen := map[schema.GroupVersionKind]bool{}
	note := func(gvk schema.GroupVersionKind, checked bool) {
		if seen[gvk] {
			return
		}
		seen[gvk] = true
		if checked {
			res.Checked = append(res.Checked, gvk)
		} else {
			res.Unchecked = append(res.Unchecked, gvk)
		}
	}
	for i := range rs {
		r := &rs[i]
		apiVersion, _, _ := unstructured.NestedString(r.Base, "apiVersion")
		kind, _, _ := unstructured.NestedString(r.Base, "kind")
		var targets []*target
		t, errs, ok := s.target(r.Path, apiVersion, kind)
		res.Errs = append(res.Errs, errs...)
		if gv, err := schema.ParseGroupVersion(apiVersion); err == nil && kind != "" {
			note(gv.WithKind(kind), ok)
		}
		if t != nil {
			targets = append(targets, t)
		}
		if gv, err := schema.ParseGroupVersion(apiVersion); err == nil && kind == "Object" && slices.Contains(providerKubernetesGroups, gv.Group) {
			mav, _, _ := unstructured.NestedString(r.Base, "spec", "forProvider", "manifest", "apiVersion")
			mk, _, _ := unstructured.NestedString(r.Base, "spec", "forProvider", "manifest", "kind")
			mp := r.Path.Child("base", "spec", "forProvider", "manifest")
			mt, errs, ok := s.target(mp, mav, mk)
			res.Errs = append(res.Errs, errs...)
			if mgv, err := schema.ParseGroupVersion(mav); err == nil && mk != "" {
				note(mgv.WithKind(mk), ok)
			}
			if mt != nil {
				mt.prefix, mt.statusPrefix = manifestPath, manifestStatusPath
				targets = append(targets, mt)
			}
		}
		if len(targets) == 0 {
			continue
		}
		res.Errs = append(res.Errs, checkResource(ctx, r, targets)...)
	}
	return res
}

// target finds the CRD version of apiVersion and kind: nil and false when s defines no such kind,
// nil and errors when it does but not that version.
func (s *Set) target(p *field.Path, apiVersion, kind string) (*target, field.ErrorList, bool) {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil || kind == "" {
		return nil, nil, false
	}
	c := s.Lookup(gv.WithKind(kind).GroupKind())
	if c == nil {
		return nil, nil, false
	}
	v := c.Version(gv.Version)
	switch {
	case v == nil:
		return nil, field.ErrorList{field.Invalid(p.Child("apiVersion"), apiVersion, fmt.Sprintf("CRD %s (%s) has no version %s: it serves %s", c.Object.Name, c.Where, gv.Version, servedList(c)))}, true
	case !v.Served:
		return nil, field.ErrorList{field.Invalid(p.Child("apiVersion"), apiVersion, fmt.Sprintf("CRD %s (%s) does not serve version %s: it serves %s", c.Object.Name, c.Where, gv.Version, servedList(c)))}, true
	case schemaOf(v) == nil:
		return nil, nil, false
	}
	return &target{crd: c, version: v.Name, schema: schemaOf(v), gvk: gv.WithKind(kind)}, nil, true
}

func servedList(c *CRD) string {
	var out []string
	for _, v := range c.Served() {
		out = append(out, c.Object.Spec.Group+"/"+v)
	}
	if len(out) == 0 {
		return "no version"
	}
	return strings.Join(out, ", ")
}

// checker holds what checking one resource found, so that the API server's verdicts do not
// repeat what the path and type checks said.
type checker struct {
	r       *Resource
	targets []*target
	errs    field.ErrorList
	// silenced are the paths of the composed resource whose errors are already reported.
	silenced []fieldpath.Segments
	// badPath are the patches whose path of the composed resource does not exist.
	badPath map[int]bool
}

func checkResource(ctx context.Context, r *Resource, targets []*target) field.ErrorList {
	c := &checker{r: r, targets: targets, badPath: map[int]bool{}}
	for _, t := range targets {
		c.checkBase(t)
	}
	c.checkPatches()
	c.checkReadiness()
	c.checkConnectionDetails()
	c.checkComposed(ctx)
	return c.errs
}

// locate parses a path of the composed resource (of its status when status is set) and finds the
// target that holds it, and the path within it; false when it does not parse (the generator
// refuses it) or no target holds it (it is not checked).
func (c *checker) locate(path string, status bool) (t *target, segs, rel fieldpath.Segments, ok bool) {
	segs, err := fieldpath.Parse(path)
	if err != nil {
		return nil, nil, nil, false
	}
	t, rel = c.inner(segs, status)
	return t, segs, rel, t != nil
}

// inner returns the target that holds a path of the composed resource, and the path within it.
func (c *checker) inner(p fieldpath.Segments, status bool) (*target, fieldpath.Segments) {
	for i := len(c.targets) - 1; i >= 0; i-- {
		t := c.targets[i]
		prefix := t.prefix
		if status {
			prefix = t.statusPrefix
		}
		if hasPrefix(p, prefix) {
			return t, p[len(prefix):]
		}
	}
	return nil, nil
}

func hasPrefix(p, prefix fieldpath.Segments) bool {
	if len(p) < len(prefix) {
		return false
	}
	for i := range prefix {
		if p[i] != prefix[i] {
			return false
		}
	}
	return true
}

// written is a path within t as the DataService writes it: below the Object's manifest for a
// manifest.
func written(prefix, rel fieldpath.Segments) string {
	return append(slices.Clone(prefix), rel...).String()
}
