package backendcrd

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	ptv1beta1 "github.com/crossplane-contrib/function-patch-and-transform/input/v1beta1"
	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/resource"
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

// pathProblem says why rel does not exist in t, "" when it does: the path as written up to the
// first segment that does not exist, why, and the nearest valid path.
func (t *target) pathProblem(rel fieldpath.Segments, prefix fieldpath.Segments) string {
	f := lookup(t.schema, rel)
	if f.ok() {
		return ""
	}
	return t.describe(rel, prefix, f)
}

func (t *target) describe(rel, prefix fieldpath.Segments, f found) string {
	bad := written(prefix, rel[:min(f.at+1, len(rel))])
	parent := written(prefix, rel[:f.at])
	var why string
	switch f.why {
	case fieldOfList:
		ex := append(slices.Clone(rel[:f.at]), fieldpath.FieldOrIndex("0"))
		ex = append(ex, rel[f.at:]...)
		why = fmt.Sprintf("no such field in %s: %s is a list, index it, e.g. %s", t.name(), parent, written(prefix, ex))
	case fieldOfScalar:
		why = fmt.Sprintf("no such field in %s: %s is %s", t.name(), parent, article(f.parentType))
	case indexOfNonList:
		why = fmt.Sprintf("not a list in %s: %s is %s", t.name(), parent, article(f.parentType))
	case noSuchMetadata:
		why = fmt.Sprintf("no such field of metadata (an object's metadata is Kubernetes' ObjectMeta): its fields are %s", strings.Join(sortedKeys(objectMetaFields), ", "))
	case metadataMap:
		why = fmt.Sprintf("no such field: %s holds strings, e.g. %s[example.org/key]", parent, written(prefix, rel[:f.at-1]))
	default:
		why = "no such field in " + t.name()
	}
	msg := bad + ": " + why
	if s := suggest(t.schema, rel, f); s != nil {
		msg += "; did you mean " + written(prefix, s) + "?"
	} else if names := fields(f.parent); f.why == noSuchField && len(names) > 0 {
		msg += fmt.Sprintf("; %s has %s", orRoot(parent, t), listSome(names, 12))
	}
	return msg
}

func orRoot(p string, t *target) string {
	if p == "" {
		return t.gvk.Kind
	}
	return p
}

func listSome(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(" and %d more", len(names)-n)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkBase reports every field of the base that t does not have.
func (c *checker) checkBase(t *target) {
	base := c.r.Base
	if len(t.prefix) > 0 {
		m, ok, _ := unstructured.NestedMap(base, segmentNames(t.prefix)...)
		if !ok {
			return
		}
		base = m
	}
	var visit func(v any, rel fieldpath.Segments)
	visit = func(v any, rel fieldpath.Segments) {
		if len(rel) > 0 {
			f := lookup(t.schema, rel)
			if !f.ok() {
				full := append(slices.Clone(t.prefix), rel...)
				p := c.basePath(full)
				c.errs = append(c.errs, field.Invalid(p, shortValue(v), t.describe(rel, t.prefix, f)))
				c.silence(full)
				return
			}
			if f.open {
				return
			}
		}
		switch x := v.(type) {
		case map[string]any:
			for _, k := range sortedKeys(x) {
				visit(x[k], append(slices.Clone(rel), fieldpath.Field(k)))
			}
		case []any:
			for i, e := range x {
				visit(e, append(slices.Clone(rel), fieldpath.FieldOrIndex(fmt.Sprint(i))))
			}
		}
	}
	visit(base, nil)
}

// basePath is the DataService field of a path of the base: the field that implied it, or the
// base's own field.
func (c *checker) basePath(full fieldpath.Segments) *field.Path {
	for i := len(full); i > 0; i-- {
		if p, ok := c.r.Implied[full[:i].String()]; ok {
			return p
		}
	}
	return toFieldPath(c.r.Path.Child("base"), full)
}

// toFieldPath appends segs to p as field.Path writes them.
func toFieldPath(p *field.Path, segs fieldpath.Segments) *field.Path {
	for _, s := range segs {
		switch {
		case s.Type == fieldpath.SegmentIndex:
			p = p.Index(int(s.Index))
		case strings.ContainsAny(s.Field, "./[]"):
			p = p.Key(s.Field)
		default:
			p = p.Child(s.Field)
		}
	}
	return p
}

func segmentNames(segs fieldpath.Segments) []string {
	out := make([]string, len(segs))
	for i, s := range segs {
		out[i] = s.Field
	}
	return out
}

// shortValue is a value as an error shows it: a scalar as it is, an object or list as {…}, […].
func shortValue(v any) any {
	switch v.(type) {
	case map[string]any:
		return "{…}"
	case []any:
		return "[…]"
	}
	return v
}

func (c *checker) silence(p fieldpath.Segments) { c.silenced = append(c.silenced, p) }

func (c *checker) silent(p fieldpath.Segments) bool {
	for _, s := range c.silenced {
		if hasPrefix(p, s) {
			return true
		}
	}
	return false
}

// patchPath is where an error about a patch's path of the composed resource is reported.
func (p *Patch) patchPath() *field.Path {
	if p.Field == "" {
		return p.Path
	}
	return p.Path.Child(p.Field)
}

// checkPatches checks every path a patch writes or reads on the composed resource, and the type
// of what it writes, over every composite.
func (c *checker) checkPatches() {
	for i := range c.r.Patches {
		p := &c.r.Patches[i]
		status := !fromComposite(p.Patch)
		path := p.Patch.ToFieldPath
		if status {
			path = p.Patch.FromFieldPath
		}
		if path == nil {
			continue
		}
		segs, err := fieldpath.Parse(*path)
		if err != nil {
			continue
		}
		t, rel := c.inner(segs, status)
		if t == nil {
			continue
		}
		prefix := t.prefix
		if status {
			prefix = t.statusPrefix
		}
		f := lookup(t.schema, rel)
		if !f.ok() {
			c.errs = append(c.errs, field.Invalid(p.patchPath(), *path, t.describe(rel, prefix, f)))
			c.silence(segs)
			c.badPath[i] = true
		}
	}
}

// fits says whether a value of type vt may be written where f leads.
func fits(vt string, f found) bool {
	switch {
	case f.open || f.typ == typeAny || vt == typeAny:
		return true
	case f.typ == typeIntOrString:
		return vt == typeString || vt == typeInteger
	case f.typ == typeNumber:
		return vt == typeNumber || vt == typeInteger
	}
	return vt == f.typ
}

// convertHint says how a value of type vt becomes one of type tt: the transform to add, and the
// type to declare a catalog value of.
func convertHint(p *Patch, vt, tt string, quantities bool) string {
	var to string
	switch {
	case tt == typeInteger && (vt == typeString || vt == typeNumber || vt == typeBoolean):
		to = "int64"
	case tt == typeNumber && (vt == typeString || vt == typeBoolean):
		to = "float64"
	case tt == typeBoolean && (vt == typeString || vt == typeInteger || vt == typeNumber):
		to = "bool"
	case (tt == typeString || tt == typeIntOrString) && (vt == typeInteger || vt == typeNumber || vt == typeBoolean):
		to = "string"
	}
	var hints []string
	if p.Declared != nil && (tt == typeInteger || tt == typeBoolean || tt == typeString || tt == typeIntOrString) {
		want := tt
		if tt == typeIntOrString {
			want = typeString
		}
		hints = append(hints, fmt.Sprintf("declare the value type: %s at %s", want, p.Declared))
	}
	if to != "" {
		format := ""
		if to == "float64" && quantities {
			format = ", format: quantity"
		}
		hints = append(hints, fmt.Sprintf("add transforms: [{type: convert, convert: {toType: %s%s}}]", to, format))
	}
	if len(hints) == 0 {
		return "map a value of that type"
	}
	return strings.Join(hints, ", or ")
}

// checkTypes reports the patches whose values do not fit their targets, and the patches P&T
// would fail on, over the composed objects.
func (c *checker) checkTypes(objs []composed) {
	for i := range c.r.Patches {
		p := &c.r.Patches[i]
		if !fromComposite(p.Patch) || p.Patch.ToFieldPath == nil {
			continue
		}
		segs, err := fieldpath.Parse(*p.Patch.ToFieldPath)
		if err != nil || c.badPath[i] {
			continue
		}
		var failed *patchValue
		var types []string
		quantities := true
		for _, o := range objs {
			pv := o.values[i]
			if pv.err != nil {
				failed = &pv
				break
			}
			if !pv.ok {
				continue
			}
			if !slices.Contains(types, pv.v.typ) {
				types = append(types, pv.v.typ)
			}
			if s, ok := pv.v.v.(string); !pv.v.known || !ok || !isQuantity(s) {
				quantities = false
			}
		}
		if failed != nil {
			at := p.Path
			if failed.transform >= 0 {
				at = p.Path.Child("transforms").Index(failed.transform)
			}
			c.errs = append(c.errs, field.Invalid(at, *p.Patch.ToFieldPath, "function-patch-and-transform would fail on it at every reconcile: "+failed.err.Error()))
			c.silence(segs)
			continue
		}
		t, rel := c.inner(segs, false)
		if t == nil {
			continue
		}
		f := lookup(t.schema, rel)
		for _, vt := range types {
			if fits(vt, f) {
				continue
			}
			what := article(vt)
			if p.Source != "" {
				what += " (" + p.Source + ")"
			}
			c.errs = append(c.errs, field.Invalid(p.patchPath(), *p.Patch.ToFieldPath, fmt.Sprintf("%s mapped onto %s, %s in %s: %s",
				what, written(t.prefix, rel), article(f.typ), t.name(), convertHint(p, vt, f.typ, quantities))))
			c.silence(segs)
			break
		}
	}
}

// checkReadiness checks the fields readiness checks read, and that the default check has a Ready
// condition to read.
func (c *checker) checkReadiness() {
	if len(c.r.ReadinessChecks) == 0 {
		for _, t := range c.targets {
			if len(t.prefix) > 0 {
				continue // a manifest: the Object has conditions of its own
			}
			f := lookup(t.schema, fieldpath.Segments{fieldpath.Field("status"), fieldpath.Field("conditions")})
			if !f.ok() || (!f.open && f.typ != typeArray) {
				c.errs = append(c.errs, field.Required(c.r.ReadinessPath, fmt.Sprintf(
					"%s has no status.conditions, so P&T's default readiness check (the condition Ready is True) would never pass and the composite would never be ready: declare readinessChecks on a field its status has (%s), e.g. {type: MatchTrue, fieldPath: status.ready} or {type: NonEmpty, fieldPath: status.phase}, or {type: None}",
					t.name(), strings.Join(statusFields(t.schema), ", "))))
			}
		}
		return
	}
	for _, rc := range c.r.ReadinessChecks {
		if rc.Check.FieldPath == nil || *rc.Check.FieldPath == "" {
			if rc.Check.Type == ptv1beta1.ReadinessCheckTypeMatchCondition {
				c.checkConditions(rc)
			}
			continue
		}
		segs, err := fieldpath.Parse(*rc.Check.FieldPath)
		if err != nil {
			continue
		}
		t, rel := c.inner(segs, true)
		if t == nil {
			continue
		}
		f := lookup(t.schema, rel)
		if !f.ok() {
			c.errs = append(c.errs, field.Invalid(rc.Path.Child("fieldPath"), *rc.Check.FieldPath, t.describe(rel, t.statusPrefix, f)))
			continue
		}
		want := map[ptv1beta1.ReadinessCheckType]string{
			ptv1beta1.ReadinessCheckTypeMatchTrue: typeBoolean, ptv1beta1.ReadinessCheckTypeMatchFalse: typeBoolean,
			ptv1beta1.ReadinessCheckTypeMatchString: typeString, ptv1beta1.ReadinessCheckTypeMatchInteger: typeInteger,
		}[rc.Check.Type]
		if want != "" && !fits(want, f) {
			c.errs = append(c.errs, field.Invalid(rc.Path.Child("type"), rc.Check.Type, fmt.Sprintf(
				"%s reads %s, and %s is %s in %s: use a check of its type, or {type: NonEmpty}", rc.Check.Type, article(want), written(t.statusPrefix, rel), article(f.typ), t.name())))
		}
	}
}

// checkConditions checks that a MatchCondition check on the resource itself has conditions to read.
func (c *checker) checkConditions(rc ReadinessCheck) {
	for _, t := range c.targets {
		if len(t.prefix) > 0 {
			continue
		}
		if f := lookup(t.schema, fieldpath.Segments{fieldpath.Field("status"), fieldpath.Field("conditions")}); !f.ok() {
			c.errs = append(c.errs, field.Invalid(rc.Path.Child("type"), rc.Check.Type, fmt.Sprintf(
				"%s has no status.conditions for a MatchCondition check to read: check a field its status has (%s)", t.name(), strings.Join(statusFields(t.schema), ", "))))
		}
	}
}

// statusFields lists the fields of a schema's status, for messages.
func statusFields(s *extv1.JSONSchemaProps) []string {
	st, ok := s.Properties["status"]
	if !ok || len(st.Properties) == 0 {
		return []string{"none declared"}
	}
	var out []string
	for _, n := range fields(&st) {
		out = append(out, "status."+n)
	}
	if len(out) > 12 {
		out = append(out[:12], fmt.Sprintf("and %d more", len(out)-12))
	}
	return out
}

// checkConnectionDetails checks the fields connection details read.
func (c *checker) checkConnectionDetails() {
	for _, cd := range c.r.ConnectionDetails {
		if cd.Detail.Type != ptv1beta1.ConnectionDetailTypeFromFieldPath || cd.Detail.FromFieldPath == nil {
			continue
		}
		segs, err := fieldpath.Parse(*cd.Detail.FromFieldPath)
		if err != nil {
			continue
		}
		t, rel := c.inner(segs, true)
		if t == nil {
			continue
		}
		if msg := t.pathProblem(rel, t.statusPrefix); msg != "" {
			c.errs = append(c.errs, field.Invalid(cd.Path.Child("fromFieldPath"), *cd.Detail.FromFieldPath, msg))
		}
	}
}

// placeholder is the value that stands for an unknown one at a path of the composed resource.
func (c *checker) placeholder(p fieldpath.Segments) any {
	t, rel := c.inner(p, false)
	if t == nil {
		return "placeholder"
	}
	return placeholderOf(lookup(t.schema, rel))
}

// checkComposed composes the resource for every composite, checks the patches' values, and has
// every distinct object validated as the API server validates it.
func (c *checker) checkComposed(ctx context.Context) {
	composites := c.r.Composites
	if len(composites) == 0 {
		composites = []Composite{{Object: map[string]any{}}}
	}
	type distinct struct {
		composed
		labels []string
	}
	var objs []composed
	var uniq []*distinct
	byKey := map[string]*distinct{}
	for _, comp := range composites {
		o := compose(c.r, comp.Object, c.placeholder)
		objs = append(objs, o)
		b, _ := json.Marshal(o.obj)
		d := byKey[string(b)]
		if d == nil {
			d = &distinct{composed: o}
			byKey[string(b)] = d
			uniq = append(uniq, d)
		}
		d.labels = append(d.labels, comp.Label)
	}
	c.checkTypes(objs)

	type verdict struct {
		err    *field.Error
		labels []string
	}
	var verdicts []*verdict
	byMsg := map[string]*verdict{}
	for _, d := range uniq {
		for _, t := range c.targets {
			obj := d.obj
			if len(t.prefix) > 0 {
				m, ok, _ := unstructured.NestedMap(obj, segmentNames(t.prefix)...)
				if !ok {
					continue
				}
				obj = m
			}
			if _, ok := obj["metadata"]; !ok {
				// Crossplane names what it composes (provider-kubernetes an Object's manifest
				// without a name): the object the API server sees has metadata.
				obj = maps.Clone(obj)
				obj["metadata"] = map[string]any{"name": "composed"}
			}
			v, err := t.crd.Validator(t.version)
			if err != nil {
				c.errs = append(c.errs, field.Invalid(c.r.Path, t.name(), fmt.Sprintf("the API server would not serve CRD %s (%s): %v", t.crd.Object.Name, t.crd.Where, err)))
				return
			}
			for _, e := range v.Create(ctx, obj) {
				fe := c.attribute(t, d.composed, e)
				if fe == nil {
					continue
				}
				k := fe.Field + "\x00" + fe.Detail
				if vd, ok := byMsg[k]; ok {
					vd.labels = append(vd.labels, d.labels...)
					continue
				}
				vd := &verdict{err: fe, labels: slices.Clone(d.labels)}
				byMsg[k] = vd
				verdicts = append(verdicts, vd)
			}
		}
	}
	for _, vd := range verdicts {
		e := vd.err
		if l := labelOf(vd.labels, len(composites)); l != "" {
			e.Detail = l + ": " + e.Detail
		}
		c.errs = append(c.errs, e)
	}
}

// labelOf names the composites an error is about: none when it is about every one.
func labelOf(labels []string, of int) string {
	var named []string
	for _, l := range labels {
		if l != "" && !slices.Contains(named, l) {
			named = append(named, l)
		}
	}
	if len(named) == 0 || len(named) == of && of > 1 {
		return ""
	}
	return strings.Join(named, "; ")
}

// attribute turns an error of the API server about a composed object into one about the
// DataService field at fault; nil for errors already reported or about what the instance gives.
func (c *checker) attribute(t *target, o composed, e *field.Error) *field.Error {
	if strings.HasPrefix(e.Detail, "unknown field") || (e.Field == "<nil>" && strings.HasPrefix(e.Detail, "some validation rules were not checked")) {
		return nil // the path checks report unknown fields, with the nearest valid path
	}
	rel, err := fieldpath.Parse(e.Field)
	if e.Field == "<nil>" || e.Field == "" || err != nil {
		rel = nil
	}
	full := append(slices.Clone(t.prefix), rel...)
	if c.silent(full) {
		return nil
	}
	for _, p := range o.placeholders {
		if hasPrefix(full, p) {
			return nil
		}
	}
	shown := *e
	shown.Field = written(t.prefix, rel)
	if shown.Field == "" {
		shown.Field = t.gvk.Kind
	}
	msg := fmt.Sprintf("%s refuses the composed object: %s", t.name(), shown.Error())
	// The patch that wrote the field, the last one when several did.
	for i := len(c.r.Patches) - 1; i >= 0; i-- {
		p := &c.r.Patches[i]
		if !fromComposite(p.Patch) || p.Patch.ToFieldPath == nil {
			continue
		}
		to, err := fieldpath.Parse(*p.Patch.ToFieldPath)
		if err == nil && len(rel) > 0 && hasPrefix(full, to) {
			return field.Invalid(p.patchPath(), *p.Patch.ToFieldPath, msg)
		}
	}
	if len(rel) > 0 && allFields(full) {
		// A value the base sets; an object of the base is only where the rule sits.
		if v, ok, _ := unstructured.NestedFieldNoCopy(c.r.Base, segmentNames(full)...); ok {
			if _, isObject := v.(map[string]any); !isObject {
				return field.Invalid(c.basePath(full), shortValue(v), msg)
			}
		}
	}
	if e.Type == field.ErrorTypeRequired && len(rel) > 0 {
		msg += fmt.Sprintf(": set it in %s, or map a value to it", toFieldPath(c.r.Path.Child("base"), full))
	}
	return field.Invalid(c.r.Path, t.name(), msg)
}

func allFields(segs fieldpath.Segments) bool {
	for _, s := range segs {
		if s.Type != fieldpath.SegmentField {
			return false
		}
	}
	return true
}

// isQuantity says whether s is a Kubernetes quantity, e.g. 4Gi or 500m.
func isQuantity(s string) bool {
	_, err := resource.ParseQuantity(s)
	return err == nil
}
