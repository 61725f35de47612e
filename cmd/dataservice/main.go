// Command dataservice is the package toolkit of function-dataservice: it generates the XRDs,
// Compositions and APIServiceExportTemplates of DataService specs offline (with the same generator
// the composition function runs), builds Crossplane packages from them without a Docker engine,
// and pushes them to OCI registries.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/alecthomas/kong"
	"github.com/posener/complete"
	"github.com/willabides/kongplete"

	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// cli is the command tree. Each command lives in a file of its own.
type cli struct {
	Init        initCmd        `cmd:"" help:"Write a DataService to start from: from an operator's CRD (--from-crd), or an a9s service broker's service."`
	Generate    generateCmd    `cmd:"" help:"Generate XRDs, Compositions and APIServiceExportTemplates from DataService specs."`
	Import      importCmd      `cmd:"" help:"Write the DataService spec that regenerates an existing XRD, Composition and export template."`
	Build       buildCmd       `cmd:"" help:"Build a Configuration package (.xpkg) from a package root, or the Function package with 'build function'."`
	Push        pushCmd        `cmd:"" help:"Push package files to an OCI registry; several become one multi-platform package."`
	Inspect     inspectCmd     `cmd:"" help:"Show the meta, objects, layers, digests and platforms of a package file or reference."`
	Extract     extractCmd     `cmd:"" help:"Extract package.yaml (or the examples) of a package file or reference."`
	Plans       plansCmd       `cmd:"" help:"Show which plan and service changes existing instances may make, as the API server evaluates the generated rules."`
	Docs        docsCmd        `cmd:"" help:"Write a catalog page per DataService for app developers: API, services, plans, plan changes, fields, an example."`
	CheckCompat checkCompatCmd `cmd:"" name:"check-compat" aliases:"diff" help:"Compare two releases of data service APIs and classify each change as safe or breaking for existing claims."`
	Explain     explainCmd     `cmd:"" help:"Show the fields of a DataService, as kubectl explain would, without a cluster."`
	Version     versionCmd     `cmd:"" help:"Print the version."`

	Completions kongplete.InstallCompletions `cmd:"" help:"Install shell completions (bash, zsh, fish)."`
}

// streams are where commands write: results to Out, progress and diagnostics to Err.
type streams struct {
	Out io.Writer
	Err io.Writer
}

func main() {
	var c cli
	parser := kong.Must(&c,
		kong.Name("dataservice"),
		kong.Description("Turn DataService specs into Crossplane APIs and packages for Klutch.\n\n"+
			"  dataservice generate -f examples/klutch -o _output/package\n"+
			"  dataservice build _output/package -o dataservices.xpkg\n"+
			"  dataservice push localhost:5000/platform/dataservices:v1 -f dataservices.xpkg"),
		kong.UsageOnError(),
		kong.Vars{"crossplane_constraint": xpline.V1.PackageConstraint},
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
	)
	kongplete.Complete(parser,
		kongplete.WithPredictor("file", complete.PredictFiles("*")),
		kongplete.WithPredictor("dir", complete.PredictDirs("*")),
	)
	kctx, err := parser.Parse(os.Args[1:])
	parser.FatalIfErrorf(err)
	ctx, sig := interruptible()
	kctx.BindTo(ctx, (*context.Context)(nil))
	kctx.BindTo(streams{Out: os.Stdout, Err: os.Stderr}, (*streams)(nil))
	if err := kctx.Run(); err != nil {
		if s, ok := sig(); ok {
			fmt.Fprintf(os.Stderr, "dataservice: interrupted (%v): %v\n", s, err)
			os.Exit(128 + int(s))
		}
		fmt.Fprintf(os.Stderr, "dataservice: error: %v\n", err)
		os.Exit(exitCode(err))
	}
}

// interruptible returns a context that ends on the first SIGINT or SIGTERM, and a function that
// tells which signal ended it. Commands stop at the next safe point and remove what they had half
// written (file writes are atomic: a temporary file renamed over the target); a second signal
// ends the process at once, the default handling being restored after the first.
func interruptible() (context.Context, func() (syscall.Signal, bool)) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	var got atomic.Value
	go func() {
		s := <-ch
		signal.Stop(ch)
		got.Store(s)
		cancel()
	}()
	return ctx, func() (syscall.Signal, bool) {
		s, ok := got.Load().(os.Signal)
		if !ok {
			return 0, false
		}
		n, ok := s.(syscall.Signal)
		return n, ok
	}
}

// exitError carries an exit code other than 1, e.g. 2 for "stale" in generate --check.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// exitCode finds the exitError in err: kong's Run joins the command's error with its hooks' errors.
func exitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return 1
}
