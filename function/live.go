package function

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/livecheck"
)

// A change of a DataService that breaks instances of its API that exist is held back: before the
// function composes an XRD or Compositions other than those Crossplane observed, it asks Crossplane
// for the existing composites of the API (one requirement, requirements.go: on Crossplane 1.x the
// cluster-scoped composites of the claims, which carry each claim's spec and claimRef; on v2 the
// composites app developers create) and evaluates each against what it is about to compose
// (internal/livecheck, the evaluation `dataservice check-compat --kubeconfig` runs too). When a
// change breaks any, the objects the change is in are composed as observed, and a Warning result
// and the DataService's ChangesApplied condition name the change, how many instances it breaks, the
// first of them and the fix; the other objects apply, in the same reconcile. The annotation
// dataservice.klutch.io/allow-breaking-changes: "true" applies it anyway, and says so. Nothing is
// asked while the observed objects are what the DataService generates, so a reconcile of an
// unchanged DataService costs what it did.

const (
	// requiredInstances names the requirement of the API's existing composites.
	requiredInstances = "dataservice-instances"

	// conditionChangesApplied is the DataService's condition that says whether every change of its
	// spec is applied.
	conditionChangesApplied = "ChangesApplied"
	reasonApplied           = "Applied"
	reasonHeldBack          = "BreakingChangesHeldBack"
	reasonAllowed           = "BreakingChangesAllowed"

	// annotationApplied (v1alpha1.AnnotationBreakingChangesApplied), on the composed XRD, records
	// the breaking changes the DataService's annotation applied: the message of its ChangesApplied
	// condition. The condition is set in the reconcile that applies the change, and Crossplane may
	// lose that write (a status update that conflicts, a later reconcile that read the XR before
	// it; both seen on a control plane); the XRD, applied with the change, keeps it, so every later
	// reconcile sets the condition again. It stays while the DataService keeps the annotation,
	// until another breaking change replaces it.
	annotationApplied = v1alpha1.AnnotationBreakingChangesApplied
	// maxRecord bounds the record, cut on a rune boundary (an annotation may hold 256 KiB with the
	// others, a condition's message 32 KiB).
	maxRecord = 4 << 10
)

// pending is a change of the API Crossplane has not applied: the observed XRD and Compositions the
// generated ones would replace.
type pending struct {
	xrd          *unstructured.Unstructured
	compositions []*unstructured.Unstructured
	// changed lists the composed resources the change is in.
	changed []resource.Name
}

// pendingChange finds what the generated objects change of the observed ones: nil when there is
// no observed XRD (a new API has no instances), or every generated XRD and Composition that is
// observed is contained in what is observed (the API server and Crossplane add defaults and
// metadata) and no observed Composition is gone.
func pendingChange(list []composedObject, observed map[resource.Name]resource.ObservedComposed) *pending {
	o, ok := observed[nameXRD]
	if !ok || o.Resource == nil {
		return nil
	}
	// Only an XRD that names its API has instances to ask for (an observed object always has its
	// spec; what a test or crossplane render observes may be a stub of its status).
	group, _, _ := unstructured.NestedString(o.Resource.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(o.Resource.Object, "spec", "names", "kind")
	if group == "" || kind == "" {
		return nil
	}
	p := &pending{xrd: &o.Resource.Unstructured}
	generated := map[resource.Name]bool{}
	for _, c := range list {
		gk := c.obj.GroupVersionKind().GroupKind()
		if gk != xrdKind && gk != compositionKind {
			continue
		}
		generated[c.name] = true
		// A Composition not composed yet is new: no instance selects it.
		if o, ok := observed[c.name]; ok && o.Resource != nil && (!contained(c.obj.Object["spec"], o.Resource.Object["spec"]) || o.Resource.GetName() != c.obj.GetName()) {
			p.changed = append(p.changed, c.name)
		}
	}
	for _, n := range sortedNames(observed) {
		o := observed[n]
		if o.Resource == nil || o.Resource.GroupVersionKind().GroupKind() != compositionKind {
			continue
		}
		p.compositions = append(p.compositions, &o.Resource.Unstructured)
		if !generated[n] {
			p.changed = append(p.changed, n)
		}
	}
	if len(p.changed) == 0 {
		return nil
	}
	return p
}

// contained says whether every field of want is in got with the same value: maps by key (an empty
// map or list also matches nothing), lists item by item, numbers by value.
func contained(want, got any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return len(w) == 0 && got == nil
		}
		for k, v := range w {
			if !contained(v, g[k]) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok {
			return len(w) == 0 && got == nil
		}
		if len(g) != len(w) {
			return false
		}
		for i := range w {
			if !contained(w[i], g[i]) {
				return false
			}
		}
		return true
	}
	if a, ok := number(want); ok {
		b, ok := number(got)
		return ok && a == b
	}
	return want == got
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func sortedNames[V any](m map[resource.Name]V) []resource.Name {
	out := make([]resource.Name, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// instancesRequirement asks for the existing composites of the observed XRD's API, at its
// referenceable version, in every namespace.
func (p *pending) instancesRequirement() requirement {
	group, _, _ := unstructured.NestedString(p.xrd.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(p.xrd.Object, "spec", "names", "kind")
	versions, _, _ := unstructured.NestedSlice(p.xrd.Object, "spec", "versions")
	version := ""
	for _, v := range versions {
		m, _ := v.(map[string]any)
		if name, _ := m["name"].(string); name != "" && (m["referenceable"] == true || version == "") {
			version = name
		}
	}
	return requirement{name: requiredInstances, selector: &fnv1.ResourceSelector{
		ApiVersion: group + "/" + version,
		Kind:       kind,
		Match:      &fnv1.ResourceSelector_MatchLabels{MatchLabels: &fnv1.MatchLabels{}},
	}}
}

// liveVerdict is what the evaluation of a pending change decided.
type liveVerdict struct {
	report *livecheck.Report
	// allowed says the DataService's annotation applies breaking changes.
	allowed bool
	// keep are the composed resources composed as observed.
	keep []resource.Name
}

// errEvaluate is the error of a pending change that cannot be evaluated.
const errEvaluate = "cannot evaluate the change of the API against its existing instances"

// judge evaluates a pending change against the instances Crossplane delivered: the observed
// release (its XRD and Compositions, read back as the resolved API) against the generated one.
func judge(ctx context.Context, ds *v1alpha1.DataService, out *generator.Output, p *pending, items []*fnv1.Resource, max int) (*liveVerdict, error) {
	old, err := livecheck.ReadRelease(p.xrd, p.compositions)
	if err != nil {
		return nil, errors.Wrap(err, errEvaluate)
	}
	next, err := livecheck.NewRelease(out.Resolved, out.XRD, out.Compositions)
	if err != nil {
		return nil, errors.Wrap(err, errEvaluate)
	}
	instances := make([]livecheck.Instance, 0, min(len(items), max))
	for _, it := range items[:min(len(items), max)] {
		instances = append(instances, livecheck.InstanceOf(old.API.Line, instanceFields(it.GetResource())))
	}
	r, err := livecheck.Evaluate(ctx, old, next, instances, livecheck.Options{MaxInstances: max})
	if err != nil {
		return nil, errors.Wrap(err, errEvaluate)
	}
	// Instances beyond the bound are counted, not evaluated.
	if len(items) > len(instances) {
		r.Total = len(items)
		r.Stopped = fmt.Sprintf("the function evaluates at most %d instances per reconcile", max)
	}
	v := &liveVerdict{report: r, allowed: allowsBreakingChanges(ds)}
	if !r.Breaking() || v.allowed {
		return v, nil
	}
	if r.Evaluated < r.Total {
		// What the change does to the rest is unknown: everything it changes waits.
		v.keep = p.changed
		return v, nil
	}
	for _, o := range r.HeldBack() {
		n := nameXRD
		if o.Kind == livecheck.ObjectComposition {
			n = resource.Name("composition-" + o.Name)
		}
		if !slices.Contains(v.keep, n) {
			v.keep = append(v.keep, n)
		}
	}
	return v, nil
}

// instanceFields is what the evaluation reads of a composite: its name, namespace and spec. Its
// status and managed fields, half of what Crossplane delivers, are not converted.
func instanceFields(s *structpb.Struct) map[string]any {
	f := s.GetFields()
	md := map[string]any{}
	for _, k := range []string{"name", "namespace"} {
		if v, ok := f["metadata"].GetStructValue().GetFields()[k]; ok {
			md[k] = v.GetStringValue()
		}
	}
	out := map[string]any{"apiVersion": f["apiVersion"].GetStringValue(), "kind": f["kind"].GetStringValue(), "metadata": md}
	if spec := f["spec"].GetStructValue(); spec != nil {
		out["spec"] = spec.AsMap()
	}
	return out
}

// allowsBreakingChanges says whether the DataService's annotation applies breaking changes.
func allowsBreakingChanges(ds *v1alpha1.DataService) bool {
	return ds.GetAnnotations()[v1alpha1.AnnotationAllowBreakingChanges] == "true"
}

// holdBack composes the kept resources as observed: their spec, name, labels and annotations, not
// what the API server and Crossplane write (status, uid, managed fields …). A kept Composition the
// DataService no longer generates is composed too.
func (v *liveVerdict) holdBack(desired map[resource.Name]*resource.DesiredComposed, observed map[resource.Name]resource.ObservedComposed) error {
	for _, n := range v.keep {
		o, ok := observed[n]
		if !ok || o.Resource == nil {
			continue // nothing observed to keep: composed as generated
		}
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": o.Resource.GetAPIVersion(), "kind": o.Resource.GetKind(), "spec": o.Resource.Object["spec"]}}
		u.SetName(o.Resource.GetName())
		u.SetLabels(o.Resource.GetLabels())
		u.SetAnnotations(o.Resource.GetAnnotations())
		cd, err := composed.From(u)
		if err != nil {
			return errors.Wrapf(err, "cannot compose %s %q as observed", u.GetKind(), u.GetName())
		}
		ready := resource.ReadyFalse
		if d, ok := desired[n]; ok {
			ready = d.Ready
		} else if isReady(u, o) {
			ready = resource.ReadyTrue
		}
		desired[n] = &resource.DesiredComposed{Resource: cd, Ready: ready}
	}
	return nil
}

// respond reports the verdict: a Warning result per breaking change (or one for instances not
// evaluated) and the ChangesApplied condition; a Normal result per resize. It returns the record
// of breaking changes applied to compose on the XRD: what the annotation applies now, or, when the
// annotation applies a change that breaks nothing, prev, what it applied before (Crossplane
// observes the objects of one change one at a time: a reconcile that observes the applied XRD and
// a Composition still as it was evaluates a change that breaks nothing).
func (v *liveVerdict) respond(rsp *fnv1.RunFunctionResponse, prev string) string {
	r := v.report
	var msgs []string
	for _, c := range r.Changes {
		if v.allowed {
			msgs = append(msgs, c.Summary())
			continue
		}
		msgs = append(msgs, c.Message())
	}
	if r.Evaluated < r.Total {
		m := fmt.Sprintf("%d instances of the API exist and %d were evaluated (%s): what the change does to the others is unknown", r.Total, r.Evaluated, r.Stopped)
		if !v.allowed {
			m += fmt.Sprintf("; check it with dataservice check-compat --kubeconfig, then annotate the DataService with %s: \"true\" to apply it", v1alpha1.AnnotationAllowBreakingChanges)
		}
		msgs = append(msgs, m)
	}
	for _, rs := range r.Resizes {
		response.Normal(rsp, rs.ResizeMessage())
	}
	switch {
	case len(msgs) == 0 && v.allowed && prev != "":
		response.ConditionTrue(rsp, conditionChangesApplied, reasonAllowed).WithMessage(prev)
		return prev
	case len(msgs) == 0:
		response.ConditionTrue(rsp, conditionChangesApplied, reasonApplied).WithMessage(fmt.Sprintf("no change breaks the %d existing instances", r.Total))
	case v.allowed:
		for _, m := range msgs {
			response.Warning(rsp, errors.Errorf("applied although it breaks existing instances, as %s asks: %s", v1alpha1.AnnotationAllowBreakingChanges, m))
		}
		record := cutRecord("applied as " + v1alpha1.AnnotationAllowBreakingChanges + " asks, breaking existing instances: " + strings.Join(msgs, " | "))
		response.ConditionTrue(rsp, conditionChangesApplied, reasonAllowed).WithMessage(record)
		return record
	default:
		for _, m := range msgs {
			response.Warning(rsp, errors.Errorf("held back: %s", m))
		}
		response.ConditionFalse(rsp, conditionChangesApplied, reasonHeldBack).WithMessage("held back: " + strings.Join(msgs, " | "))
	}
	return ""
}

// cutRecord cuts a record to maxRecord bytes, on a rune boundary.
func cutRecord(s string) string {
	if len(s) <= maxRecord {
		return s
	}
	const more = " …"
	n := maxRecord - len(more)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + more
}

// appliedRecord is the record of breaking changes applied that the observed XRD carries, while
// the observed DataService keeps the annotation that applied them; "" otherwise.
func appliedRecord(observed *fnv1.State) string {
	annotations := func(r *fnv1.Resource) map[string]*structpb.Value {
		return r.GetResource().GetFields()["metadata"].GetStructValue().GetFields()["annotations"].GetStructValue().GetFields()
	}
	if annotations(observed.GetComposite())[v1alpha1.AnnotationAllowBreakingChanges].GetStringValue() != "true" {
		return ""
	}
	return annotations(observed.GetResources()[string(nameXRD)])[annotationApplied].GetStringValue()
}

// withRecord sets the record of breaking changes applied on the composed XRD, unless the XRD is
// not composed. The XRD is copied: as generated, it is the generator's, shared by every call.
func withRecord(desired map[resource.Name]*resource.DesiredComposed, record string) {
	d, ok := desired[nameXRD]
	if !ok || record == "" {
		return
	}
	u := d.Resource.DeepCopy()
	a := u.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a[annotationApplied] = record
	u.SetAnnotations(a)
	desired[nameXRD] = &resource.DesiredComposed{Resource: u, Ready: d.Ready}
}

// msgApplied is the message of the ChangesApplied condition once the observed objects are what the
// DataService generates.
const msgApplied = "the XRD and Compositions are what the DataService generates"

// changesStale says whether the observed DataService's ChangesApplied condition is not what a
// reconcile that finds nothing pending says: with record (breaking changes the annotation applied,
// appliedRecord), True with reason BreakingChangesAllowed and the record as its message; without,
// True for another reason (a held-back change gone, or an annotation removed).
func changesStale(xr map[string]any, record string) bool {
	conds, _, _ := unstructured.NestedSlice(xr, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] != conditionChangesApplied {
			continue
		}
		if record != "" {
			return m["status"] != "True" || m["reason"] != reasonAllowed || m["message"] != record
		}
		return m["status"] != "True" || m["reason"] == reasonAllowed
	}
	return record != ""
}
