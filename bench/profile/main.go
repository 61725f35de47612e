// Command profile serves function-dataservice (warmed up as its binary is) or the floor over the
// gRPC server both run in bench/function.sh (fnserver.NewServer, with the metrics interceptor), in
// plain text, and writes a CPU profile of a window of the load that bench/loadgen sends it: where
// the CPU of a steady-state request goes, ours against the floor's. It exits after the window.
//
//	profile --target function-dataservice --address 127.0.0.1:9443 --cpuprofile ours.pprof &
//	loadgen --address 127.0.0.1:9443 --target function-dataservice --concurrency 16 --duration 5s
//	go tool pprof -top -cum ours.pprof
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"runtime/pprof"
	"time"

	"github.com/alecthomas/kong"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/function-dataservice/function-dataservice/bench/fixtures"
	"github.com/function-dataservice/function-dataservice/function"
	"github.com/function-dataservice/function-dataservice/internal/fnserver"
)

type cli struct {
	Target      string        `required:"" enum:"function-dataservice,floor" help:"What to serve: our function or the floor (fixtures.Floor)."`
	Address     string        `default:"127.0.0.1:9443" help:"Address to serve at, in plain text." placeholder:"HOST:PORT"`
	CPUProfile  string        `name:"cpuprofile" required:"" placeholder:"FILE" help:"Write the CPU profile of the window to FILE."`
	After       time.Duration `default:"2500ms" help:"Start profiling this long after serving: loadgen's connection, first request and warm-up (1s) come first."`
	For         time.Duration `default:"4s" help:"Profile for this long: within loadgen's measured --duration (5s)."`
	Spec        string        `default:"examples/klutch/mongodb.yaml" type:"existingfile" help:"DataService the requests are built from (as loadgen's --spec), for the floor."`
	Composition string        `default:"examples/render/composition.yaml" type:"existingfile" help:"Composition whose first step's input function-dataservice gets (as loadgen's --composition), for the floor."`
}

func main() {
	c := &cli{}
	ctx := kong.Parse(c, kong.Name("profile"),
		kong.Description("Serve function-dataservice or the floor and write a CPU profile of a window of the load."))
	ctx.FatalIfErrorf(c.Run())
}

func (c *cli) Run() error {
	var fn fnv1.FunctionRunnerServiceServer
	if c.Target == "floor" {
		set, err := fixtures.Load(fixtures.Source{Spec: c.Spec, Composition: c.Composition})
		if err != nil {
			return err
		}
		if fn, err = fixtures.NewFloor(set); err != nil {
			return err
		}
	} else {
		f := function.New(logging.NewNopLogger())
		if err := f.WarmUp(context.Background()); err != nil {
			return err
		}
		fn = f
	}
	srv := fnserver.NewServer(fn, insecure.NewCredentials(), 4<<20, true)
	lis, err := net.Listen("tcp", c.Address)
	if err != nil {
		return err
	}
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	time.Sleep(c.After)
	f, err := os.Create(c.CPUProfile)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return err
	}
	time.Sleep(c.For)
	pprof.StopCPUProfile()
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", c.CPUProfile, err)
	}
	return nil
}
