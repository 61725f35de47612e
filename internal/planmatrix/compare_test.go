package planmatrix

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
)

func TestCompare(t *testing.T) {
	var (
		nano, small, big          = "mongodbsspl-single-nano", "mongodbsspl-single-small", "mongodbsspl-single-big"
		nanoSSL, smallSSL, bigSSL = "mongodbsspl-single-nano-ssl", "mongodbsspl-single-small-ssl", "mongodbsspl-single-big-ssl"
		rSmall, rBig              = "mongodbsspl-replica-small", "mongodbsspl-replica-big"
		rSmallSSL, rBigSSL        = "mongodbsspl-replica-small-ssl", "mongodbsspl-replica-big-ssl"
	)
	refusedKeepReplica := Refusal{Path: "spec.plan", Rule: "oldSelf.contains('-replica-') == self.contains('-replica-')",
		Message: "Plan migrations not possible from Non-Replica to Replica and Replica to Non-Replica"}
	perService := func(field string, pairs [][2]string, r *Refusal) []Delta {
		var out []Delta
		for _, s := range mongodbServices {
			for _, p := range pairs {
				out = append(out, Delta{Field: field, Context: Instance{Version: "v1", Composition: "a9s-mongodb", Service: s}, From: p[0], To: p[1], Refusal: r})
			}
		}
		return out
	}
	edit := func(f func(*v1alpha1.DataService)) *v1alpha1.DataService { return spec(t, mongodbSpec, f) }

	cases := map[string]struct {
		reason    string
		old, next *v1alpha1.DataService
		want      Comparison
		breaking  bool
	}{
		"Unchanged": {
			reason: "The same rules answer every change the same.",
			old:    edit(nil), next: edit(nil),
			want: Comparison{},
		},
		"ShorterSizeListIsLooser": {
			reason: "Dropping nano from a noDownsizing size list only allows moves down to nano that only that rule refused: nothing an instance could do before is refused now.",
			old:    edit(nil),
			next: edit(func(ds *v1alpha1.DataService) {
				ds.Spec.Plan.Changes[0].NoDownsizing.Sizes = []string{"small", "big"}
			}),
			want: Comparison{NewlyAllowed: perService(FieldPlan, [][2]string{
				{small, nano}, {big, nano}, {smallSSL, nanoSSL}, {bigSSL, nanoSSL},
			}, &refusedSize)},
		},
		"KeepingReplicaIsTighter": {
			reason: "A rule that keeps replication as it is refuses the moves from single to replicated plans the old rules allowed, each pair named with the rule that now refuses it.",
			old:    edit(nil),
			next: edit(func(ds *v1alpha1.DataService) {
				ds.Spec.Plan.Changes = append(ds.Spec.Plan.Changes, v1alpha1.PlanChange{Keep: &v1alpha1.Keep{Feature: "-replica-", Label: "Replica"}})
			}),
			want: Comparison{NewlyRefused: perService(FieldPlan, [][2]string{
				{nano, rSmall}, {nano, rBig}, {small, rSmall}, {small, rBig}, {big, rBig},
				{nanoSSL, rSmallSSL}, {nanoSSL, rBigSSL}, {smallSSL, rSmallSSL}, {smallSSL, rBigSSL}, {bigSSL, rBigSSL},
			}, &refusedKeepReplica)},
			breaking: true,
		},
		"HiddenPlanIsKeptByExistingInstances": {
			reason: "A hidden plan is refused to new instances and to changes, but instances that have it keep it: nothing they could do before is refused now.",
			old:    edit(nil),
			next: edit(func(ds *v1alpha1.DataService) {
				ds.Spec.Plan.Hidden = []string{nano}
			}),
			want: func() Comparison {
				var c Comparison
				for _, s := range mongodbServices {
					c.KeptOnly = append(c.KeptOnly, Delta{Field: FieldPlan, Context: Instance{Version: "v1", Composition: "a9s-mongodb", Service: s}, To: nano,
						Refusal: &Refusal{Path: "spec.plan", Rule: "(oldSelf.hasValue() && oldSelf.value() == self) || !(self in ['mongodbsspl-single-nano'])",
							Message: "Plan no longer offered (kept only for instances that have it): mongodbsspl-single-nano"}})
				}
				return c
			}(),
		},
		"RemovedPlanIsNoLongerOffered": {
			reason: "A plan the new release does not offer can no longer be held: the enum refuses it.",
			old:    edit(nil),
			next: edit(func(ds *v1alpha1.DataService) {
				ds.Spec.Compositions[0].Plans = ds.Spec.Compositions[0].Plans[1:]
			}),
			want: func() Comparison {
				var c Comparison
				for _, s := range mongodbServices {
					c.NoLongerOffered = append(c.NoLongerOffered, Delta{Field: FieldPlan, Context: Instance{Version: "v1", Composition: "a9s-mongodb", Service: s}, To: nano,
						Refusal: &Refusal{Path: "spec.plan", Message: `Unsupported value: "mongodbsspl-single-nano": supported values: "mongodbsspl-single-small", "mongodbsspl-single-big", "mongodbsspl-single-nano-ssl", "mongodbsspl-single-small-ssl", "mongodbsspl-single-big-ssl", "mongodbsspl-replica-small", "mongodbsspl-replica-big", "mongodbsspl-replica-small-ssl", "mongodbsspl-replica-big-ssl"`}})
				}
				return c
			}(),
			breaking: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := Union(domainOf(t, tc.old), domainOf(t, tc.next))
			o, err := Compute(context.Background(), generated(t, tc.old), d)
			if err != nil {
				t.Fatal(err)
			}
			n, err := Compute(context.Background(), generated(t, tc.next), d)
			if err != nil {
				t.Fatal(err)
			}
			got := Compare(o, n)
			// The service matrix of a plan no longer offered (or hidden) is not about plans: leave it
			// out.
			got.NoLongerOffered = filterField(got.NoLongerOffered, FieldPlan)
			got.KeptOnly = filterField(got.KeptOnly, FieldPlan)
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreUnexported(Refusal{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nCompare(): -want, +got:\n%s", tc.reason, diff)
			}
			if got.Breaking() != tc.breaking {
				t.Errorf("%s\nBreaking(): want %v, got %v", tc.reason, tc.breaking, got.Breaking())
			}
		})
	}
}

func filterField(ds []Delta, field string) []Delta {
	var out []Delta
	for _, d := range ds {
		if d.Field == field {
			out = append(out, d)
		}
	}
	return out
}
