package function

import (
	"context"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/backendcrd"
	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// generateFn generates the objects of a DataService, type-checking what it composes against crds,
// stopping once ctx ends.
type generateFn func(ctx context.Context, ds *v1alpha1.DataService, d inputv1beta1.Defaults, crds *backendcrd.Set) (*generator.Output, error)

// generateWithin generates the objects of a DataService unless ctx ends first, in which case it
// returns ctx's error at once. Compiling the CEL rules of a large spec takes seconds; a caller that
// has gone (Crossplane's deadline passed, the reconcile was cancelled) is not kept waiting, and its
// generation stops at the generator's next check of ctx (between the API server's checks of the
// parts of the XRD), giving its slot back: abandoned generations kept the slots busy, and a small
// DataService behind them timed out. Generations run in a bounded number of slots, so callers
// that give up again and again cannot pile work up. done, when not nil, is called with the
// generator's error once it returns, whether the caller waited or not.
func (f *Function) generateWithin(ctx context.Context, ds *v1alpha1.DataService, d inputv1beta1.Defaults, crds *backendcrd.Set, done func(error)) (*generator.Output, error) {
	if err := ctx.Err(); err != nil {
		return nil, err // select below would pick a free slot as readily as the ended context
	}
	select {
	case f.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	type result struct {
		out *generator.Output
		err error
	}
	results := make(chan result, 1)
	go func() {
		defer func() { <-f.slots }()
		out, err := f.generate(ctx, ds, d, crds)
		if done != nil {
			done(err)
		}
		results <- result{out, err}
	}()
	select {
	case r := <-results:
		return r.out, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
