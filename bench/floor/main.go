// Command floor is the floor of bench/function.sh: a composition function that answers every
// request with the desired state function-dataservice composed for the benchmark's request,
// computed once at start-up (fixtures.Floor), over the same gRPC server (internal/fnserver: the
// same flags, credentials, interceptors and services). What it costs per request is what any
// function pays to receive the request and send the same three objects; what function-dataservice
// costs above it is its own work.
//
//	floor --insecure --address 127.0.0.1:9446 --metrics-address 127.0.0.1:8082
package main

import (
	"github.com/alecthomas/kong"
	"github.com/crossplane/function-sdk-go/logging"

	"github.com/function-dataservice/function-dataservice/bench/fixtures"
	"github.com/function-dataservice/function-dataservice/internal/fnserver"
)

type cli struct {
	fnserver.Flags `embed:""`

	Spec        string `default:"examples/klutch/mongodb.yaml" type:"existingfile" help:"DataService the benchmark's requests are built from (as loadgen's --spec)."`
	Composition string `default:"examples/render/composition.yaml" type:"existingfile" help:"Composition whose first step's input function-dataservice gets (as loadgen's --composition)."`
}

func (c *cli) Run() error {
	set, err := fixtures.Load(fixtures.Source{Spec: c.Spec, Composition: c.Composition})
	if err != nil {
		return err
	}
	fl, err := fixtures.NewFloor(set)
	if err != nil {
		return err
	}
	return c.Flags.Run("floor", "bench", func(logging.Logger) fnserver.Function {
		return fnserver.Function{FunctionRunnerServiceServer: fl}
	})
}

func main() {
	ctx := kong.Parse(&cli{}, kong.Name("floor"),
		kong.Description("A composition function that returns function-dataservice's precomputed response: the floor of bench/function.sh."))
	ctx.FatalIfErrorf(ctx.Run())
}
