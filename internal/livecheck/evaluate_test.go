package livecheck

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

const (
	mongodb   = "../../examples/klutch/mongodb.yaml"
	mongodbV2 = "../../examples/klutch-v2/mongodb.yaml"
	valkeyV1  = "../../examples/internal/v1/valkey.yaml"
	valkeyV2  = "../../examples/internal/v2/valkey.yaml"
)

// generated is the release a DataService generates, as the function composes it.
func generated(t *testing.T, ds *v1alpha1.DataService) *Release {
	t.Helper()
	out, err := generator.Generate(ds, inputv1beta1.Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRelease(out.Resolved, out.XRD, out.Compositions)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// observed is the release a DataService generates, read back from its objects as the function
// reads what is observed in the cluster.
func observed(t *testing.T, ds *v1alpha1.DataService) *Release {
	t.Helper()
	out, err := generator.Generate(ds, inputv1beta1.Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := ReadRelease(out.XRD, out.Compositions)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// composite is an existing composite of an API of line l with spec, named after its claim on v1.
func composite(l xpline.Line, ns, name, composition string, spec map[string]any) map[string]any {
	spec = clone(spec)
	md := map[string]any{"name": name + "-x7k2p"}
	if l.Claims {
		spec["compositionRef"] = map[string]any{"name": composition}
		spec["claimRef"] = map[string]any{"apiVersion": "example.org/v1", "kind": "Claim", "namespace": ns, "name": name}
		spec["resourceRefs"] = []any{map[string]any{"apiVersion": "example.org/v1", "kind": "Backend", "name": name}}
	} else {
		md = map[string]any{"name": name, "namespace": ns}
		spec["crossplane"] = map[string]any{"compositionRef": map[string]any{"name": composition}}
	}
	return map[string]any{"apiVersion": "example.org/v1", "kind": "XComposite", "metadata": md, "spec": spec}
}

func clone(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func instances(l xpline.Line, objs ...map[string]any) []Instance {
	out := make([]Instance, len(objs))
	for i, o := range objs {
		out[i] = InstanceOf(l, o)
	}
	return out
}

// without returns vs without v.
func without(vs []string, v string) []string {
	return slices.DeleteFunc(slices.Clone(vs), func(s string) bool { return s == v })
}

func TestEvaluate(t *testing.T) {
	type want struct {
		changes []Change
		resizes []ValueChange
		total   int
		stopped bool
	}
	mongo := func(ns, name, plan string) map[string]any {
		return composite(xpline.V1, ns, name, "a9s-mongodb", map[string]any{"service": "a9s-mongodb70", "plan": plan})
	}
	valkey := func(l xpline.Line, ns, name, plan string) map[string]any {
		return composite(l, ns, name, "valkey", map[string]any{"service": "valkey-8", "plan": plan})
	}
	mongoInstances := instances(xpline.V1,
		mongo("team-a", "orders-db", "mongodbsspl-single-big"),
		mongo("team-b", "carts-db", "mongodbsspl-single-small"),
		mongo("team-a", "users-db", "mongodbsspl-single-big"))
	valkeyInstances := instances(xpline.V1,
		valkey(xpline.V1, "team-a", "cache", "medium"),
		valkey(xpline.V1, "team-b", "sessions", "small"))
	xrdObj := func(name string) Object { return Object{Kind: ObjectXRD, Name: name} }
	compObj := func(name string) Object { return Object{Kind: ObjectComposition, Name: name} }

	cases := map[string]struct {
		reason    string
		path      string
		edit      func(ds *v1alpha1.DataService)
		instances []Instance
		opts      Options
		want      want
	}{
		"UnchangedBreaksNothing": {
			reason:    "A release that changes nothing breaks no instance.",
			path:      mongodb,
			instances: mongoInstances,
		},
		"ListedPlanRemovedInUse": {
			reason: "Removing a listed plan that instances use breaks them: it is no longer offered, as the XRD's enum and offering rule say.",
			path:   mongodb,
			edit: func(ds *v1alpha1.DataService) {
				ds.Spec.Compositions[0].Plans = without(ds.Spec.Compositions[0].Plans, "mongodbsspl-single-big")
				ds.Spec.Plan.Changes[0].NoDownsizing.Sizes = []string{"nano", "small"}
			},
			instances: mongoInstances,
			want: want{changes: []Change{{
				Kinds: []Kind{NotOffered}, Path: "spec.plan", Value: "mongodbsspl-single-big",
				In:        []Object{xrdObj("xmongodbinstances.anynines.com")},
				Instances: []string{"team-a/orders-db", "team-a/users-db"},
			}}},
		},
		"ListedPlanRemovedUnused": {
			reason: "Removing a plan no instance uses breaks nothing that exists.",
			path:   mongodb,
			edit: func(ds *v1alpha1.DataService) {
				ds.Spec.Compositions[0].Plans = without(ds.Spec.Compositions[0].Plans, "mongodbsspl-replica-big-ssl")
			},
			instances: mongoInstances,
		},
		"ListedPlanHidden": {
			reason: "Hiding a plan in use keeps it for the instances that have it: an update keeping it passes without ratcheting.",
			path:   mongodb,
			edit: func(ds *v1alpha1.DataService) {
				ds.Spec.Plan.Hidden = []string{"mongodbsspl-single-big"}
			},
			instances: mongoInstances,
		},
		"CatalogPlanRemoved": {
			reason: "Removing a catalog plan in use breaks it twice: not offered, and its composition has no values for it (P&T's map has no key).",
			path:   valkeyV1,
			edit: func(ds *v1alpha1.DataService) {
				ds.Spec.Plan.Catalog = slices.DeleteFunc(ds.Spec.Plan.Catalog, func(o v1alpha1.Offering) bool { return o.Name == "medium" })
				ds.Spec.Plan.Changes[0].NoDownsizing.Sizes = []string{"small", "large"}
			},
			instances: valkeyInstances,
			want: want{changes: []Change{{
				Kinds: []Kind{NotOffered, Unrenderable}, Path: "spec.plan", Value: "medium",
				In:        []Object{xrdObj("xvalkeyinstances.internal.example.com"), compObj("valkey")},
				Instances: []string{"team-a/cache"},
			}}},
		},
		"CatalogPlanHidden": {
			reason: "Hiding a catalog plan keeps its values: nothing breaks.",
			path:   valkeyV1,
			edit: func(ds *v1alpha1.DataService) {
				ds.Spec.Plan.Hidden = []string{"medium"}
			},
			instances: valkeyInstances,
		},
		"CatalogValueGrows": {
			reason: "A plan's memory growing resizes every instance on the plan, in place: reported with them, not held back.",
			path:   valkeyV1,
			edit: func(ds *v1alpha1.DataService) {
				ds.Spec.Plan.Catalog[1].Values["memory"] = extv1.JSON{Raw: []byte(`"8Gi"`)}
			},
			instances: valkeyInstances,
			want: want{resizes: []ValueChange{
				{Composition: "valkey", Field: "spec.plan", Value: "medium", Resource: "valkey", Path: "spec.forProvider.manifest.spec.resources.requests.memory", Old: "4Gi", New: "8Gi", Count: 1, Instances: []string{"team-a/cache"}},
				{Composition: "valkey", Field: "spec.plan", Value: "medium", Resource: "valkey", Path: "spec.forProvider.manifest.spec.resources.limits.memory", Old: "4Gi", New: "8Gi", Count: 1, Instances: []string{"team-a/cache"}},
			}},
		},
		"CatalogStorageShrinks": {
			reason: "A plan's storage shrinking cannot be made by the backend: a breaking Shrink, held back in the Composition.",
			path:   valkeyV1,
			edit: func(ds *v1alpha1.DataService) {
				ds.Spec.Plan.Catalog[1].Values["storage"] = extv1.JSON{Raw: []byte(`"5Gi"`)}
			},
			instances: valkeyInstances,
			want: want{changes: []Change{{
				Kinds: []Kind{Shrink}, Path: "spec.plan", Value: "medium",
				In:        []Object{compObj("valkey")},
				Instances: []string{"team-a/cache"},
			}}},
		},
		"CatalogPlanRemovedV2": {
			reason: "On Crossplane v2 the composites are the instances, named by namespace and name.",
			path:   valkeyV2,
			edit: func(ds *v1alpha1.DataService) {
				ds.Spec.Plan.Catalog = slices.DeleteFunc(ds.Spec.Plan.Catalog, func(o v1alpha1.Offering) bool { return o.Name == "small" })
				ds.Spec.Plan.Changes[0].NoDownsizing.Sizes = []string{"medium", "large"}
			},
			instances: instances(xpline.V2, valkey(xpline.V2, "team-a", "cache", "medium"), valkey(xpline.V2, "team-b", "sessions", "small")),
			want: want{changes: []Change{{
				Kinds: []Kind{NotOffered, Unrenderable}, Path: "spec.plan", Value: "small",
				In:        []Object{xrdObj("valkeyinstances.internal.example.com"), compObj("valkey")},
				Instances: []string{"team-b/sessions"},
			}}},
		},
		"ParameterRemoved": {
			reason: "A parameter an instance sets, removed from the schema, would be dropped by the API server.",
			path:   mongodb,
			edit: func(ds *v1alpha1.DataService) {
				ds.Spec.Parameters = nil
			},
			instances: instances(xpline.V1, composite(xpline.V1, "team-a", "orders-db", "a9s-mongodb", map[string]any{
				"service": "a9s-mongodb70", "plan": "mongodbsspl-single-big",
				"parameters": map[string]any{"setClusterParameter": map[string]any{"changeStreamOptions": map[string]any{}}},
			})),
			want: want{changes: []Change{{
				Kinds: []Kind{FieldRemoved}, Path: "spec.parameters",
				In:        []Object{xrdObj("xmongodbinstances.anynines.com")},
				Instances: []string{"team-a/orders-db"},
			}}},
		},
		"ParameterRequiredAndDefaulted": {
			reason: "A parameter made required is unset in an instance; one that gets a default it did not have changes under the instance.",
			path:   mongodb,
			edit: func(ds *v1alpha1.DataService) {
				ds.Spec.Parameters.Schema.Raw = []byte(`{"type": "object", "required": ["maxConnections"], "properties": {
					"maxConnections": {"type": "integer"},
					"setClusterParameter": {"type": "object", "properties": {"changeStreamOptions": {"type": "object", "default": {"enabled": true}, "properties": {"enabled": {"type": "boolean"}}}}}}}`)
			},
			instances: instances(xpline.V1, composite(xpline.V1, "team-a", "orders-db", "a9s-mongodb", map[string]any{
				"service": "a9s-mongodb70", "plan": "mongodbsspl-single-big",
				"parameters": map[string]any{"setClusterParameter": map[string]any{}},
			})),
			want: want{changes: []Change{
				{
					Kinds: []Kind{NewlyRequired}, Path: "spec.parameters.maxConnections",
					In:        []Object{xrdObj("xmongodbinstances.anynines.com")},
					Instances: []string{"team-a/orders-db"},
				},
				{
					Kinds: []Kind{DefaultChanged}, Path: "spec.parameters.setClusterParameter.changeStreamOptions", Value: `{"enabled":true}`,
					In:        []Object{xrdObj("xmongodbinstances.anynines.com")},
					Instances: []string{"team-a/orders-db"},
				},
			}},
		},
		"RuleRefusesUnchangedValue": {
			reason: "A new rule an instance's value fails refuses every update of it where the API server does not ratchet.",
			path:   mongodb,
			edit: func(ds *v1alpha1.DataService) {
				ds.Spec.Rules = append(ds.Spec.Rules, v1alpha1.Rule{Rule: "!self.plan.contains('big')", Message: "no big plans"})
			},
			instances: mongoInstances,
			want: want{changes: []Change{{
				Kinds: []Kind{RefusedWithoutRatcheting}, Path: "spec", Value: "no big plans",
				In:        []Object{xrdObj("xmongodbinstances.anynines.com")},
				Instances: []string{"team-a/orders-db", "team-a/users-db"},
			}}},
		},
		"Bounded": {
			reason: "Beyond MaxInstances instances are counted, not evaluated: the report says so and holds the change back.",
			path:   mongodb,
			edit: func(ds *v1alpha1.DataService) {
				ds.Spec.Plan.Hidden = []string{"mongodbsspl-single-big"}
			},
			instances: mongoInstances,
			opts:      Options{MaxInstances: 2},
			want:      want{stopped: true},
		},
		"GroupChanged": {
			reason: "Another group is another XRD: Crossplane deletes the instances with the old one.",
			path:   mongodb,
			edit: func(ds *v1alpha1.DataService) {
				ds.Spec.Group = "example.org"
			},
			instances: mongoInstances[:1],
			want: want{changes: []Change{{
				Kinds: []Kind{APIReplaced}, Value: "xmongodbinstances.example.org (Crossplane v1)",
				In:        []Object{xrdObj("xmongodbinstances.anynines.com"), compObj("a9s-mongodb")},
				Instances: []string{"team-a/orders-db"},
			}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ds := testtools.ReadDataService(t, tc.path)
			old := observed(t, ds)
			next := ds.DeepCopy()
			if tc.edit != nil {
				tc.edit(next)
			}
			r, err := Evaluate(context.Background(), old, generated(t, next), tc.instances, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if r.Total != len(tc.instances) || (r.Stopped != "") != tc.want.stopped || (r.Evaluated < r.Total) != tc.want.stopped {
				t.Errorf("%s\nEvaluated %d of %d, stopped %q", tc.reason, r.Evaluated, r.Total, r.Stopped)
			}
			if r.Breaking() != (len(tc.want.changes) > 0 || tc.want.stopped) {
				t.Errorf("%s\nBreaking() = %t", tc.reason, r.Breaking())
			}
			if diff := cmp.Diff(tc.want.changes, r.Changes, cmpopts.EquateEmpty(), cmpopts.IgnoreFields(Change{}, "What", "Fix")); diff != "" {
				t.Errorf("%s\nChanges: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.resizes, r.Resizes, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nResizes: -want, +got:\n%s", tc.reason, diff)
			}
			for _, c := range r.Changes {
				t.Log(c.Message())
			}
			for _, v := range r.Resizes {
				t.Log(v.ResizeMessage())
			}
		})
	}
}

// TestMessage pins the message a user reads on the DataService.
func TestMessage(t *testing.T) {
	c := Change{
		Kinds: []Kind{NotOffered}, Path: "spec.plan", Value: "medium",
		Instances: []string{"team-a/orders-db", "team-b/carts", "team-c/a", "team-c/b"},
	}
	c.What = describe(finding{kind: NotOffered, path: "spec.plan", value: "medium"})
	c.Fix = fix(finding{kind: NotOffered, path: "spec.plan"})
	want := `plan "medium" is no longer offered (NotOffered): 4 instances use it (team-a/orders-db, team-b/carts, team-c/a, and 1 more); ` +
		`hide it with spec.plan.hidden instead (instances that have it keep it, new ones cannot choose it), ` +
		`or annotate the DataService with dataservice.klutch.io/allow-breaking-changes: "true" to apply it anyway`
	if got := c.Message(); got != want {
		t.Errorf("Message():\nwant %s\ngot  %s", want, got)
	}
}
