package generator_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// TestGenerateStopsWithItsContext: a generation whose caller gave up stops at the next check of
// its context, in the loops of the API server's checks, and remembers no verdict it did not reach:
// generating again finds every error. Abandoned generations kept the function's worker slots, and
// a small DataService behind them timed out.
func TestGenerateStopsWithItsContext(t *testing.T) {
	ds, err := v1alpha1.Decode([]byte(validSpec))
	if err != nil {
		t.Fatal(err)
	}
	// Costly CEL within the limits: 15 rules of about 1,000 bytes, and one that does not
	// compile.
	var chain []string
	for i := range 40 {
		chain = append(chain, fmt.Sprintf("self.plan == 'p%02d'", i))
	}
	for i := range 15 {
		ds.Spec.Rules = append(ds.Spec.Rules, v1alpha1.Rule{Rule: strings.Join(chain, " || ") + fmt.Sprintf(" || %d == %d", i, i), Message: "m"})
	}
	ds.Spec.Rules = append(ds.Spec.Rules, v1alpha1.Rule{Rule: "self.nope == 1", Message: "m"})

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if out, err := generator.GenerateContext(ctx, ds, inputv1beta1.Defaults{}, nil); out != nil || !errors.Is(err, context.Canceled) {
		t.Errorf("GenerateContext(cancelled): %v, %v; want context.Canceled", out, err)
	}
	// One cache, and so one Checker, for a generation stopped early and one to its end.
	c := generator.NewCache(64 << 20)
	ctx, cancel = context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = generator.GenerateContext(ctx, ds, inputv1beta1.Defaults{}, c)
	stopped := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("GenerateContext(1 ms): %v; want it stopped with context.DeadlineExceeded", err)
	}
	start = time.Now()
	_, err = generator.GenerateContext(context.Background(), ds, inputv1beta1.Defaults{}, c)
	t.Logf("stopped after %v; a whole generation took %v", stopped, time.Since(start))
	var inv *generator.InvalidError
	if !errors.As(err, &inv) || !strings.Contains(err.Error(), "nope") {
		t.Errorf("Generate after a stopped generation: %v; want the rule that does not compile reported", err)
	}
}
