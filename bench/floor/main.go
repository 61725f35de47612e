// Command floor is the floor of bench/function.sh: a composition function that answers every
// request with the desired state function-dataservice composed for the benchmark's request,
// computed once at start-up, over the same gRPC server (internal/fnserver: the same flags,
// credentials, interceptors and services). What it costs per request is what any function pays
// to receive the request and send the same three objects; what function-dataservice costs above
// it is its own work.
//
//	floor --insecure --address 127.0.0.1:9446 --metrics-address 127.0.0.1:8082
package main

import (
	"context"

	"github.com/alecthomas/kong"
	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/function-dataservice/function-dataservice/bench/fixtures"
	"github.com/function-dataservice/function-dataservice/function"
	"github.com/function-dataservice/function-dataservice/internal/fnserver"
)

type cli struct {
	fnserver.Flags `embed:""`

	Spec        string `default:"examples/klutch/mongodb.yaml" type:"existingfile" help:"DataService the benchmark's requests are built from (as loadgen's --spec)."`
	Composition string `default:"examples/render/composition.yaml" type:"existingfile" help:"Composition whose first step's input function-dataservice gets (as loadgen's --composition)."`
}

// floor answers with a precomputed response.
type floor struct {
	fnv1.UnimplementedFunctionRunnerServiceServer
	// rsp is function-dataservice's response to the benchmark's request: only its tag and the
	// request's context are the request's own.
	rsp *fnv1.RunFunctionResponse
}

func (f *floor) RunFunction(_ context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	rsp := response.To(req, response.DefaultTTL)
	// Shared, never changed: the encoder only reads them.
	rsp.Desired = f.rsp.GetDesired()
	rsp.Results = f.rsp.GetResults()
	rsp.Conditions = f.rsp.GetConditions()
	return rsp, nil
}

func (c *cli) Run() error {
	set, err := fixtures.Load(fixtures.Source{Spec: c.Spec, Composition: c.Composition})
	if err != nil {
		return err
	}
	// The response to the request loadgen sends function-dataservice, once it has composed it
	// (the steady state that function.sh measures).
	rsp, err := function.New(logging.NewNopLogger()).RunFunction(context.Background(), set.Requests[fixtures.Ours])
	if err != nil {
		return err
	}
	return c.Flags.Run("floor", "bench", func(logging.Logger) fnserver.Function {
		return fnserver.Function{FunctionRunnerServiceServer: &floor{rsp: rsp}}
	})
}

func main() {
	ctx := kong.Parse(&cli{}, kong.Name("floor"),
		kong.Description("A composition function that returns function-dataservice's precomputed response: the floor of bench/function.sh."))
	ctx.FatalIfErrorf(ctx.Run())
}
