// Command function-dataservice serves the function-dataservice composition function over gRPC: for a
// DataService composite resource it composes the data service's XRD, Compositions and
// APIServiceExportTemplate.
package main

import (
	"github.com/alecthomas/kong"

	"github.com/crossplane/function-sdk-go/logging"

	"github.com/function-dataservice/function-dataservice/function"
	"github.com/function-dataservice/function-dataservice/internal/fnserver"
	"github.com/function-dataservice/function-dataservice/internal/version"
)

// cli holds the flags of the function server (fnserver.Flags) and --version.
type cli struct {
	fnserver.Flags `embed:""`

	Version kong.VersionFlag `help:"Print the version and exit."`
}

// Run serves the function until SIGTERM or SIGINT, then stops gracefully. Before it listens, it
// composes a built-in DataService once (function.WarmUp), so that no call pays the process's
// one-time work.
func (c *cli) Run() error {
	return c.Flags.Run("function-dataservice", version.Version, func(log logging.Logger) fnserver.Function {
		fn := function.New(log)
		return fnserver.Function{FunctionRunnerServiceServer: fn, Ready: fn.WarmUp}
	})
}

func main() {
	ctx := kong.Parse(&cli{},
		kong.Name("function-dataservice"),
		kong.Description("A Crossplane composition function that composes the XRD, Compositions and APIServiceExportTemplate of a DataService.\n\n"+
			"  function-dataservice --tls-certs-dir /tls/server     # as Crossplane runs it\n"+
			"  function-dataservice --insecure --debug             # for crossplane render (Development runtime)\n\n"+
			"It serves until SIGTERM or SIGINT, then refuses new calls, lets the calls in flight finish and exits 0."),
		kong.Vars{"version": version.Version},
		kong.UsageOnError(),
	)
	ctx.FatalIfErrorf(ctx.Run())
}
