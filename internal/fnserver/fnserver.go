// Package fnserver serves a composition function over gRPC as Crossplane runs it, with the flags of
// function-template-go: the server of function-dataservice, and of the floor it is benchmarked
// against (bench/floor), so that both are measured over the same server.
package fnserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	grpcprometheus "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/reflection"

	sdk "github.com/crossplane/function-sdk-go"
	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	fnv1beta1 "github.com/crossplane/function-sdk-go/proto/v1beta1"
)

// shutdownGrace bounds how long the calls in flight may take to finish once the server is told to
// stop: Kubernetes kills a pod 30 seconds after SIGTERM by default, and a call cut off by SIGKILL
// is only retried by Crossplane later anyway.
const shutdownGrace = 25 * time.Second

// Flags are the flags of a function server. They are those of function-template-go, so the
// function runs like every other Crossplane function, plus the metrics listener. Embed them in a
// kong command.
type Flags struct {
	Debug bool `help:"Emit debug logs in addition to info logs." short:"d"`

	Network            string `default:"tcp"   help:"Network on which to listen for gRPC connections."`
	Address            string `default:":9443" help:"Address at which to listen for gRPC connections."`
	TLSCertsDir        string `env:"TLS_SERVER_CERTS_DIR" help:"Directory containing server certs (tls.key, tls.crt) and the CA used to verify client certificates (ca.crt)." placeholder:"DIR" type:"path"`
	Insecure           bool   `help:"Run without mTLS credentials, e.g. for crossplane render's Development runtime. If you supply this flag --tls-certs-dir will be ignored."`
	MaxRecvMessageSize int    `default:"32"    help:"Maximum size of received messages in MB. A request carries the existing instances of an API while a change of it is pending: 10,000 composites of Klutch's MongoDB are 22 MB."`
	MetricsAddress     string `default:":8080" help:"Address at which to serve Prometheus metrics (/metrics). Give each function on one host its own, or an empty address (--metrics-address=) to serve none."`
}

// Function is a composition function as a server runs it: Ready is called once before the server
// listens, to do the one-time work of the process (nil for none).
type Function struct {
	fnv1.FunctionRunnerServiceServer
	Ready func(ctx context.Context) error
}

// Run serves the function that newFn returns until SIGTERM or SIGINT, then stops gracefully: see
// serve. name and version are logged.
func (c *Flags) Run(name, version string, newFn func(log logging.Logger) Function) error {
	return c.run(context.Background(), name, version, newFn)
}

// run is Run, stopping also when parent is done (for tests).
func (c *Flags) run(parent context.Context, name, version string, newFn func(log logging.Logger) Function) error {
	creds, err := c.credentials()
	if err != nil {
		return err
	}
	var metrics net.Listener
	if c.MetricsAddress != "" {
		// The SDK's Serve serves metrics in the background and drops the error when it cannot
		// listen, so a second function on the same host would run without metrics and nobody
		// would know.
		if metrics, err = net.Listen("tcp", c.MetricsAddress); err != nil {
			return fmt.Errorf("cannot serve metrics at %q: %w: pass --metrics-address with a free address, e.g. 127.0.0.1:8081, or --metrics-address= to serve none", c.MetricsAddress, err)
		}
	}

	log, err := sdk.NewLogger(c.Debug)
	if err != nil {
		return err
	}
	fn := newFn(log)
	if fn.Ready != nil {
		// Before listening: a call finds no listener (Crossplane retries it) rather than one
		// that waits for this work.
		start := time.Now()
		if err := fn.Ready(parent); err != nil {
			if metrics != nil {
				metrics.Close()
			}
			return fmt.Errorf("cannot start %s: %w", name, err)
		}
		log.Info("Ready", "took", time.Since(start).String())
	}
	lis, err := net.Listen(c.Network, c.Address)
	if err != nil {
		if metrics != nil {
			metrics.Close()
		}
		return fmt.Errorf("cannot listen for %s connections at %q: %w", c.Network, c.Address, err)
	}
	log.Info("Serving "+name, "version", version, "address", lis.Addr().String(), "insecure", c.Insecure, "metrics-address", c.MetricsAddress)
	lis = limitConnections(lis)

	ctx, stop := signal.NotifyContext(parent, syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv := NewServer(fn.FunctionRunnerServiceServer, creds, c.MaxRecvMessageSize*1024*1024, metrics != nil)
	return serve(ctx, stop, log, srv, lis, metrics)
}

// credentials are the transport credentials the flags ask for, loaded as the SDK loads them: mTLS
// requiring a client certificate signed by ca.crt, or plain text with --insecure.
func (c *Flags) credentials() (credentials.TransportCredentials, error) {
	if c.TLSCertsDir == "" && !c.Insecure {
		return nil, errors.New("no credentials to serve gRPC with: pass --tls-certs-dir DIR (or set TLS_SERVER_CERTS_DIR) holding tls.crt, tls.key and ca.crt, as Crossplane's function runtime does, or --insecure to serve plain text locally (crossplane render)")
	}
	if c.TLSCertsDir != "" && !c.Insecure {
		// The SDK would report only the first file it cannot open; say what the folder must hold.
		for _, f := range []string{"tls.crt", "tls.key", "ca.crt"} {
			if _, err := os.Stat(filepath.Join(c.TLSCertsDir, f)); err != nil {
				return nil, fmt.Errorf("--tls-certs-dir %s: %w: the folder must hold the server certificate and key (tls.crt, tls.key) and the CA that signed Crossplane's client certificate (ca.crt)", c.TLSCertsDir, err)
			}
		}
	}
	o := &sdk.ServeOptions{}
	for _, opt := range []sdk.ServeOption{sdk.MTLSCertificates(c.TLSCertsDir), sdk.Insecure(c.Insecure)} {
		if err := opt(o); err != nil {
			return nil, fmt.Errorf("--tls-certs-dir %s: %w", c.TLSCertsDir, err)
		}
	}
	return o.Credentials, nil
}

// NewServer is the gRPC server the SDK's Serve would build (the v1 and v1beta1 services,
// reflection, the Prometheus interceptor), built here so that it can be stopped gracefully and so
// that requests are decoded only within a bound on the calls served at once.
func NewServer(fn fnv1.FunctionRunnerServiceServer, creds credentials.TransportCredentials, maxRecv int, withMetrics bool) *grpc.Server {
	opts := append([]grpc.ServerOption{grpc.MaxRecvMsgSize(maxRecv), grpc.Creds(creds)}, serverLimits()...)
	var metrics *grpcprometheus.ServerMetrics
	if withMetrics {
		metrics = grpcprometheus.NewServerMetrics()
		opts = append(opts, grpc.ChainUnaryInterceptor(metrics.UnaryServerInterceptor()))
		prometheus.MustRegister(metrics)
	}
	srv := grpc.NewServer(opts...)
	reflection.Register(srv)
	// Both protocol versions share one bound on the calls decoded at once (see limitCalls).
	slots := make(chan struct{}, MaxCalls())
	srv.RegisterService(limitCalls(&fnv1.FunctionRunnerService_ServiceDesc, slots), fn)
	srv.RegisterService(limitCalls(&fnv1beta1.FunctionRunnerService_ServiceDesc, slots), sdk.ServeBeta(fn))
	if metrics != nil {
		metrics.InitializeMetrics(srv)
	}
	return srv
}

// serve serves gRPC on lis (and metrics on metrics, when not nil) until ctx is done, then stops
// gracefully: the listener closes, so new connections are refused and clients on open ones are
// told to go away, while the calls in flight finish (for at most shutdownGrace). A second signal
// during that time ends the process at once: stop restores the default signal handling.
func serve(ctx context.Context, stop func(), log logging.Logger, srv *grpc.Server, lis, metrics net.Listener) error {
	errs := make(chan error, 2)
	go func() { errs <- srv.Serve(lis) }()
	var ms *http.Server
	if metrics != nil {
		ms = &http.Server{Handler: promhttp.HandlerFor(prometheus.DefaultGatherer, promhttp.HandlerOpts{}), ReadHeaderTimeout: 30 * time.Second}
		go func() {
			if err := ms.Serve(metrics); !errors.Is(err, http.ErrServerClosed) {
				errs <- fmt.Errorf("cannot serve metrics: %w", err)
			}
		}()
	}

	select {
	case err := <-errs:
		srv.Stop()
		if ms != nil {
			ms.Close()
		}
		return fmt.Errorf("cannot serve gRPC: %w", err)
	case <-ctx.Done():
	}
	stop()
	// GracefulStop closes the listener too; closing it first means that once this is logged, new
	// connections are refused.
	_ = lis.Close()
	log.Info("Shutting down: refusing new calls, finishing the calls in flight", "grace", shutdownGrace.String())

	stopped := make(chan struct{})
	go func() { srv.GracefulStop(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(shutdownGrace):
		log.Info("Calls still in flight after the grace period: stopping them")
		srv.Stop()
		<-stopped
	}
	if ms != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = ms.Shutdown(sctx)
	}
	log.Info("Stopped")
	return nil
}
