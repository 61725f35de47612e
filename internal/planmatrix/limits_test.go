package planmatrix

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// TestEachQuestionAskedOnce counts what Compute asks the API server's validation: versions with
// one schema are evaluated as one, and an instance is created (and kept unchanged) once for the
// plan and the service grids that both hold it. Before, MongoDB served in three versions took
// 3 × (2 creates per instance + every change of both grids) = 840 evaluations.
func TestEachQuestionAskedOnce(t *testing.T) {
	one := spec(t, mongodbSpec, nil)
	three := spec(t, mongodbSpec, func(ds *v1alpha1.DataService) {
		ds.Spec.Versions = []v1alpha1.APIVersion{{Name: "v1alpha1"}, {Name: "v1beta1"}, {Name: "v1"}}
	})
	a1, a3 := generated(t, one), generated(t, three)
	r1, err := Compute(context.Background(), a1, domainOf(t, one))
	if err != nil {
		t.Fatal(err)
	}
	r3, err := Compute(context.Background(), a3, domainOf(t, three))
	if err != nil {
		t.Fatal(err)
	}
	s, p := len(mongodbServices), len(mongodbPlans)
	// Each instance created once and changed to itself once, then every other change of each grid.
	want := s*p + s*p + s*p*(p-1) + p*s*(s-1)
	if got := a3.Evaluations(); got != want {
		t.Errorf("three versions of one schema: %d evaluations, want %d (each instance and change once)", got, want)
	}
	if got := a1.Evaluations(); got != want {
		t.Errorf("one version: %d evaluations, want %d", got, want)
	}
	// What three versions answer is one version's answer, in each version's contexts.
	contexts := cmpopts.IgnoreFields(Matrix{}, "Contexts")
	if diff := cmp.Diff(r1.Matrices, r3.Matrices, contexts, cmpopts.IgnoreUnexported(Refusal{})); diff != "" {
		t.Errorf("the versions' matrices differ from one version's: -one, +three:\n%s", diff)
	}
	for i, m := range r3.Matrices {
		if got, want := len(m.Contexts), 3*len(r1.Matrices[i].Contexts); got != want {
			t.Errorf("%s matrix: %d contexts, want %d (each version's)", m.Field, got, want)
		}
	}
}

// TestLimits: a spec within the generator's limits may ask for billions of evaluations (n plans
// take n² changes per composition and service). Compute counts them first and refuses beyond
// MaxEvaluations, naming the limit, before it asks any question it would not finish.
func TestLimits(t *testing.T) {
	t.Run("CreatesRefusedBeforeAnyIsEvaluated", func(t *testing.T) {
		// The domain of a spec at the generator's limits: every composition, service and plan.
		d := Domain{}
		for i := range generator.MaxCompositions {
			d.Compositions = append(d.Compositions, fmt.Sprintf("c%d", i))
		}
		for i := range generator.MaxServices {
			d.Services = append(d.Services, fmt.Sprintf("s%d", i))
		}
		for i := range generator.MaxPlans {
			d.Plans = append(d.Plans, fmt.Sprintf("p%d", i))
		}
		a := generated(t, spec(t, mongodbSpec, nil))
		_, err := Compute(context.Background(), a, d)
		assertTooLarge(t, err, fmt.Sprintf("1 version schema × %d compositions × %d services × %d plans to create, before any change", generator.MaxCompositions, generator.MaxServices, generator.MaxPlans))
		if n := a.Evaluations(); n != 0 {
			t.Errorf("%d evaluations before refusing, want none", n)
		}
	})
	t.Run("RulesWeigh", func(t *testing.T) {
		// Every evaluation runs every rule: 30,000 creates of a schema holding 14 KiB of rules
		// take the work of 138,000 evaluations of one holding little.
		heavy := spec(t, mongodbSpec, func(ds *v1alpha1.DataService) {
			for i := range 15 {
				ds.Spec.Rules = append(ds.Spec.Rules, v1alpha1.Rule{Rule: strings.Repeat(fmt.Sprintf("self.plan != 'x%d' && ", i), 45) + "true", Message: "never"})
			}
		})
		d := Domain{Compositions: []string{"a9s-mongodb"}, Services: mongodbServices[:1]}
		for i := range 30_000 {
			d.Plans = append(d.Plans, fmt.Sprintf("p%d", i))
		}
		a := generated(t, heavy)
		_, err := Compute(context.Background(), a, d)
		assertTooLarge(t, err, "1 composition × 1 service × 30000 plans to create, before any change; each evaluation runs 14.4 KiB of CEL rules and counts as 4.61")
		if n := a.Evaluations(); n != 0 {
			t.Errorf("%d evaluations before refusing, want none", n)
		}
	})
	t.Run("ChangesRefusedBeforeAnyIsEvaluated", func(t *testing.T) {
		// One composition offering as many plans as the generator allows: 2,048 creates, then 4
		// million changes.
		ds := spec(t, mongodbSpec, func(ds *v1alpha1.DataService) {
			ds.Spec.Compositions[0].Services = ds.Spec.Compositions[0].Services[:1]
			ds.Spec.Compositions[0].Plans = nil
			for i := range generator.MaxPlans {
				family, size, ssl := []string{"single", "replica"}[i%2], []string{"nano", "small", "big"}[i%3], []string{"", "-ssl"}[i/6%2]
				ds.Spec.Compositions[0].Plans = append(ds.Spec.Compositions[0].Plans, fmt.Sprintf("mongodbsspl-%s-%s%s-%d", family, size, ssl, i))
			}
		})
		a := generated(t, ds)
		_, err := Compute(context.Background(), a, domainOf(t, ds))
		// Every change of the plan grid, and each plan's service grid of one service.
		assertTooLarge(t, err, fmt.Sprintf("%d changes in %d grids, the largest of %d values, after the creates", generator.MaxPlans*generator.MaxPlans+generator.MaxPlans, generator.MaxPlans+1, generator.MaxPlans))
		// The plan grid's creates, and the service grid's, which are the same instances.
		if n := a.Evaluations(); n != generator.MaxPlans {
			t.Errorf("%d evaluations before refusing, want the %d creates only", n, generator.MaxPlans)
		}
	})
}

// TestCPULimit: what an evaluation costs depends on what its rules do, which counting cannot
// tell; Compute stops once its evaluations have spent MaxCPU, naming the limit, and asks nothing
// more.
func TestCPULimit(t *testing.T) {
	ds := spec(t, mongodbSpec, nil)
	a := generated(t, ds)
	// A clock on which every evaluation takes a second.
	t0 := time.Now()
	var cpu time.Duration
	a.clock = func() instant { cpu += time.Second; return instant{cpu: cpu, wall: t0.Add(cpu)} }
	_, err := Compute(context.Background(), a, domainOf(t, ds))
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Spent == 0 {
		t.Fatalf("want a TooLargeError for time, got %v", err)
	}
	for _, want := range []string{"were stopped after 31s of CPU, at most 30s are spent (the plan matrix's time limit), and 30 evaluations", "(1.0333s each)", "simplify the rules"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, err)
		}
	}
	if n := a.Evaluations(); n != 30 {
		t.Errorf("%d evaluations, want the 30 made within the limit", n)
	}
}

// TestCPULimitIsThisCompute: the CPU time a process spends beside Compute (other tests, other
// Computes at once) is not Compute's: what it spends is at most the time that passed.
func TestCPULimitIsThisCompute(t *testing.T) {
	ds := spec(t, mongodbSpec, nil)
	a := generated(t, ds)
	// A process whose other goroutines spend a minute of CPU while a second passes.
	t0 := time.Now()
	var calls time.Duration
	a.clock = func() instant {
		calls++
		return instant{cpu: calls * time.Minute, wall: t0.Add(calls * time.Millisecond)}
	}
	if _, err := Compute(context.Background(), a, domainOf(t, ds)); err != nil {
		t.Fatalf("the time of the process is not the time of Compute: %v", err)
	}
}

func assertTooLarge(t *testing.T, err error, detail string) {
	t.Helper()
	var tl *TooLargeError
	if !errors.As(err, &tl) {
		t.Fatalf("want a TooLargeError, got %v", err)
	}
	for _, want := range []string{detail, fmt.Sprintf("at most %d are made", MaxEvaluations), "offer fewer plans"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q: %v", want, err)
		}
	}
}
