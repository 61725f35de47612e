package planmatrix

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/crvalidate"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/reference"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

const mongodbSpec = "../../examples/klutch/mongodb.yaml"

// spec reads a DataService file and applies edit to it.
func spec(t *testing.T, path string, edit func(*v1alpha1.DataService)) *v1alpha1.DataService {
	t.Helper()
	ds := testtools.ReadDataService(t, path)
	if edit != nil {
		edit(ds)
	}
	return ds
}

// domainOf is the domain of the API the generator resolves of ds.
func domainOf(t *testing.T, ds *v1alpha1.DataService) Domain {
	t.Helper()
	a, err := generator.Resolve(ds, inputv1beta1.Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	return DomainOf(a)
}

// generated loads the XRD the generator makes of ds.
func generated(t *testing.T, ds *v1alpha1.DataService, opts ...crvalidate.Option) *API {
	t.Helper()
	out, err := generator.Generate(ds, inputv1beta1.Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := Load(out.XRD, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// The rules of Klutch's hand-written MongoDB XRD (crossplane-api/api/a9s/mongodb/definition.yaml),
// as their comments say them: sizes only grow (nano < small < big), a replicated instance never
// becomes single, and SSL is kept as it is; the service never changes.
const (
	ruleSizes   = "!(self.contains('nano') && oldSelf.contains('small')) && !(self.contains('nano') && oldSelf.contains('big')) && !(self.contains('small') && oldSelf.contains('big'))"
	ruleReplica = "!(self.contains('-single-') && oldSelf.contains('-replica-'))"
	ruleSSL     = "oldSelf.contains('ssl') == self.contains('ssl')"
)

var (
	refusedSize    = Refusal{Path: "spec.plan", Rule: ruleSizes, Message: "Transition from bigger to smaller plan size is not supported."}
	refusedReplica = Refusal{Path: "spec.plan", Rule: ruleReplica, Message: "Migration from replicated to single Data Service Instance is not supported."}
	refusedSSL     = Refusal{Path: "spec.plan", Rule: ruleSSL, Message: "Plan migrations not possible from Non-SSL to SSL and SSL to Non-SSL"}
	refusedService = Refusal{Path: "spec.service", Rule: "self == oldSelf", Message: "Service is an immutable field"}
)

// mongodbMeaning is what the hand-written rules mean for a change from one plan to another, each
// rule that refuses in the order the XRD lists them.
func mongodbMeaning(from, to string) []Refusal {
	size := func(p string) int {
		for i, s := range []string{"nano", "small", "big"} {
			if strings.Contains(p, "-"+s) {
				return i
			}
		}
		panic(p)
	}
	var rs []Refusal
	if size(to) < size(from) {
		rs = append(rs, refusedSize)
	}
	if strings.Contains(from, "-replica-") && strings.Contains(to, "-single-") {
		rs = append(rs, refusedReplica)
	}
	if strings.Contains(from, "ssl") != strings.Contains(to, "ssl") {
		rs = append(rs, refusedSSL)
	}
	return rs
}

// grid is the matrix of values by meaning.
func grid(values []string, meaning func(from, to string) []Refusal) [][]Cell {
	var cells [][]Cell
	for _, f := range values {
		var row []Cell
		for _, to := range values {
			rs := meaning(f, to)
			row = append(row, Cell{From: f, To: to, Allowed: len(rs) == 0, Refusals: rs})
		}
		cells = append(cells, row)
	}
	return cells
}

var mongodbPlans = []string{
	"mongodbsspl-single-nano", "mongodbsspl-single-small", "mongodbsspl-single-big",
	"mongodbsspl-single-nano-ssl", "mongodbsspl-single-small-ssl", "mongodbsspl-single-big-ssl",
	"mongodbsspl-replica-small", "mongodbsspl-replica-big", "mongodbsspl-replica-small-ssl", "mongodbsspl-replica-big-ssl",
}

var mongodbServices = []string{"a9s-mongodb50", "a9s-mongodb70"}

// mongodbResult is the whole result the MongoDB API must have, pair by pair.
func mongodbResult() Result {
	var planCtx, svcCtx []Instance
	for _, s := range mongodbServices {
		planCtx = append(planCtx, Instance{Version: "v1", Composition: "a9s-mongodb", Service: s})
	}
	for _, p := range mongodbPlans {
		svcCtx = append(svcCtx, Instance{Version: "v1", Composition: "a9s-mongodb", Plan: p})
	}
	return Result{
		API: "xmongodbinstances.anynines.com", Group: "anynines.com", Kind: "MongodbInstance",
		Domain: Domain{Compositions: []string{"a9s-mongodb"}, Services: mongodbServices, Plans: mongodbPlans},
		Matrices: []Matrix{
			{Field: FieldPlan, Contexts: planCtx, Values: mongodbPlans, Cells: grid(mongodbPlans, mongodbMeaning)},
			{Field: FieldService, Contexts: svcCtx, Values: mongodbServices, Cells: grid(mongodbServices, func(f, t string) []Refusal {
				if f != t {
					return []Refusal{refusedService}
				}
				return nil
			})},
		},
	}
}

func TestCompute(t *testing.T) {
	type args struct {
		ds   *v1alpha1.DataService
		opts []crvalidate.Option
	}
	type want struct {
		result Result
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"MongoDBMatrixIsWhatKlutchsRulesMean": {
			reason: "Every plan and service change of Klutch's MongoDB is allowed or refused as its hand-written rules mean, each refusal naming every rule that refuses, the first first.",
			args:   args{ds: spec(t, mongodbSpec, nil)},
			want:   want{result: mongodbResult()},
		},
		"MutableServiceMayChange": {
			reason: "A mutable service has no transition rule: every service change is allowed.",
			args: args{ds: spec(t, mongodbSpec, func(ds *v1alpha1.DataService) {
				ds.Spec.Service = &v1alpha1.ServiceField{Mutable: true}
			})},
			want: want{result: func() Result {
				r := mongodbResult()
				r.Matrices[1].Cells = grid(mongodbServices, func(string, string) []Refusal { return nil })
				return r
			}()},
		},
		"RuleErrorOnSomePairsIsReported": {
			reason: "A rule that fails at runtime on some pairs (an index out of bounds for plan names of three parts) is reported with each pair and the rule, its cells marked unevaluated; the pairs it evaluates on are in the matrix.",
			args: args{ds: spec(t, mongodbSpec, func(ds *v1alpha1.DataService) {
				ds.Spec.Compositions[0].Plans = []string{"mongodbsspl-single-nano", "mongodbsspl-single-nano-ssl"}
				ds.Spec.Compositions[0].Services = []string{"a9s-mongodb50"}
				ds.Spec.Plan.Changes = []v1alpha1.PlanChange{{Rule: "self.split('-')[3] == oldSelf.split('-')[3]"}}
			})},
			want: want{result: func() Result {
				plans := []string{"mongodbsspl-single-nano", "mongodbsspl-single-nano-ssl"}
				svc := "a9s-mongodb50"
				at := func(p string) Instance {
					return Instance{Version: "v1", Composition: "a9s-mongodb", Service: svc, Plan: p}
				}
				rule := "self.split('-')[3] == oldSelf.split('-')[3]"
				bad := func(from, to string) EvalError {
					f := at(from)
					return EvalError{From: &f, To: at(to), Path: "spec.plan", Rule: rule,
						Detail: "index out of bounds: 3 evaluating rule: This plan change is not supported."}
				}
				return Result{
					API: "xmongodbinstances.anynines.com", Group: "anynines.com", Kind: "MongodbInstance",
					Domain: Domain{Compositions: []string{"a9s-mongodb"}, Services: []string{svc}, Plans: plans},
					Matrices: []Matrix{
						{Field: FieldPlan, Contexts: []Instance{{Version: "v1", Composition: "a9s-mongodb", Service: svc}}, Values: plans, Cells: [][]Cell{
							{{From: plans[0], To: plans[0], Unevaluated: true}, {From: plans[0], To: plans[1], Unevaluated: true}},
							{{From: plans[1], To: plans[0], Unevaluated: true}, {From: plans[1], To: plans[1], Allowed: true}},
						}},
						{Field: FieldService, Contexts: []Instance{{Version: "v1", Composition: "a9s-mongodb", Plan: plans[0]}}, Values: []string{svc},
							Cells: [][]Cell{{{From: svc, To: svc, Unevaluated: true}}}},
						{Field: FieldService, Contexts: []Instance{{Version: "v1", Composition: "a9s-mongodb", Plan: plans[1]}}, Values: []string{svc},
							Cells: [][]Cell{{{From: svc, To: svc, Allowed: true}}}},
					},
					Errors: []EvalError{bad(plans[0], plans[0]), bad(plans[0], plans[1]), bad(plans[1], plans[0]), bad(plans[0], plans[0])},
				}
			}()},
		},
		"CostBudgetExceededIsReported": {
			reason: "Rules that exhaust the cost budget are reported with the pair and the rules at the field, not skipped.",
			args: args{
				ds: spec(t, mongodbSpec, func(ds *v1alpha1.DataService) {
					// One field with rules: the API server walks fields in map order, and the budget
					// runs out at whichever it reaches first.
					ds.Spec.Compositions[0].Plans = []string{"mongodbsspl-single-nano"}
					ds.Spec.Compositions[0].Services = nil
					ds.Spec.Compositions[0].Backend.Fields = ds.Spec.Compositions[0].Backend.Fields[1:]
					ds.Spec.Plan.Changes = []v1alpha1.PlanChange{{Immutable: true}, {Rule: "self.size() > 0"}}
				}),
				opts: []crvalidate.Option{crvalidate.WithCostBudget(1)},
			},
			want: want{result: func() Result {
				in := Instance{Version: "v1", Composition: "a9s-mongodb", Plan: "mongodbsspl-single-nano"}
				return Result{
					API: "xmongodbinstances.anynines.com", Group: "anynines.com", Kind: "MongodbInstance",
					Domain: Domain{Compositions: []string{"a9s-mongodb"}, Plans: []string{in.Plan}},
					Matrices: []Matrix{
						{Field: FieldPlan, Contexts: []Instance{{Version: "v1", Composition: "a9s-mongodb"}}, Values: []string{in.Plan},
							Cells: [][]Cell{{{From: in.Plan, To: in.Plan, Unevaluated: true}}}},
					},
					Errors: []EvalError{
						{To: in, Path: "spec.plan", Rule: "self == oldSelf\nself.size() > 0", Detail: "validation failed due to running out of cost budget, no further validation rules will be run"},
						{From: &in, To: in, Path: "spec.plan", Rule: "self == oldSelf\nself.size() > 0", Detail: "validation failed due to running out of cost budget, no further validation rules will be run"},
					},
				}
			}()},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			a := generated(t, tc.args.ds, tc.args.opts...)
			got, err := Compute(context.Background(), a, domainOf(t, tc.args.ds))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want.result, got, cmpopts.IgnoreUnexported(Refusal{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s\nCompute(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestGeneratedMongoDBMatchesKlutch evaluates Klutch's hand-written MongoDB XRD the same way: the
// generated API allows and refuses exactly the changes Klutch's does.
func TestGeneratedMongoDBMatchesKlutch(t *testing.T) {
	p, err := reference.Path("crossplane-api", "api", "a9s", "mongodb", "definition.yaml")
	if err != nil {
		t.Skip(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(data, &u.Object); err != nil {
		t.Fatal(err)
	}
	ref, err := Load(u)
	if err != nil {
		t.Fatal(err)
	}
	ds := spec(t, mongodbSpec, nil)
	d := domainOf(t, ds)
	want, err := Compute(context.Background(), ref, d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Compute(context.Background(), generated(t, ds), d)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Refusal{})); diff != "" {
		t.Errorf("generated MongoDB plan matrix differs from Klutch's hand-written XRD's: -klutch, +generated:\n%s", diff)
	}
}
