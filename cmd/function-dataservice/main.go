// Command function-dataservice serves the function-dataservice composition function over gRPC: for a
// DataService composite resource it composes the data service's XRD, Compositions and
// APIServiceExportTemplate.
package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/alecthomas/kong"

	sdk "github.com/crossplane/function-sdk-go"

	"github.com/function-dataservice/function-dataservice/function"
	"github.com/function-dataservice/function-dataservice/internal/version"
)

// cli holds the flags of the function server. They are those of function-template-go, so the
// function runs like every other Crossplane function, plus the metrics listener.
type cli struct {
	Debug bool `help:"Emit debug logs in addition to info logs." short:"d"`

	Network            string           `default:"tcp"   help:"Network on which to listen for gRPC connections."`
	Address            string           `default:":9443" help:"Address at which to listen for gRPC connections."`
	TLSCertsDir        string           `env:"TLS_SERVER_CERTS_DIR" help:"Directory containing server certs (tls.key, tls.crt) and the CA used to verify client certificates (ca.crt)." placeholder:"DIR" type:"path"`
	Insecure           bool             `help:"Run without mTLS credentials, e.g. for crossplane render's Development runtime. If you supply this flag --tls-certs-dir will be ignored."`
	MaxRecvMessageSize int              `default:"4"     help:"Maximum size of received messages in MB."`
	MetricsAddress     string           `default:":8080" help:"Address at which to serve Prometheus metrics (/metrics). Give each function on one host its own, or an empty address (--metrics-address=) to serve none."`
	Version            kong.VersionFlag `help:"Print the version and exit."`
}

// Run serves the function until the gRPC server fails.
func (c *cli) Run() error {
	if c.TLSCertsDir == "" && !c.Insecure {
		return fmt.Errorf("no credentials to serve gRPC with: pass --tls-certs-dir DIR (or set TLS_SERVER_CERTS_DIR) holding tls.crt, tls.key and ca.crt, as Crossplane's function runtime does, or --insecure to serve plain text locally (crossplane render)")
	}
	if c.TLSCertsDir != "" && !c.Insecure {
		// The SDK would report only the first file it cannot open; say what the folder must hold.
		for _, f := range []string{"tls.crt", "tls.key", "ca.crt"} {
			if _, err := os.Stat(filepath.Join(c.TLSCertsDir, f)); err != nil {
				return fmt.Errorf("--tls-certs-dir %s: %w: the folder must hold the server certificate and key (tls.crt, tls.key) and the CA that signed Crossplane's client certificate (ca.crt)", c.TLSCertsDir, err)
			}
		}
	}
	// The SDK serves metrics in the background and drops the error when it cannot listen, so a
	// second function on the same host would run without metrics and nobody would know.
	if c.MetricsAddress != "" {
		if err := checkListen(c.MetricsAddress); err != nil {
			return fmt.Errorf("cannot serve metrics at %q: %w: pass --metrics-address with a free address, e.g. 127.0.0.1:8081, or --metrics-address= to serve none", c.MetricsAddress, err)
		}
	}

	log, err := sdk.NewLogger(c.Debug)
	if err != nil {
		return err
	}
	log.Info("Serving function-dataservice", "version", version.Version, "address", c.Address, "insecure", c.Insecure, "metrics-address", c.MetricsAddress)

	return sdk.Serve(function.New(log),
		sdk.Listen(c.Network, c.Address),
		sdk.MTLSCertificates(c.TLSCertsDir),
		sdk.Insecure(c.Insecure),
		sdk.MaxRecvMessageSize(c.MaxRecvMessageSize*1024*1024),
		sdk.WithMetricsServer(c.MetricsAddress))
}

// checkListen tells whether address can be listened on now.
func checkListen(address string) error {
	l, err := net.Listen("tcp", address)
	if err != nil {
		return err
	}
	return l.Close()
}

func main() {
	ctx := kong.Parse(&cli{},
		kong.Name("function-dataservice"),
		kong.Description("A Crossplane composition function that composes the XRD, Compositions and APIServiceExportTemplate of a DataService.\n\n"+
			"  function-dataservice --tls-certs-dir /tls/server     # as Crossplane runs it\n"+
			"  function-dataservice --insecure --debug             # for crossplane render (Development runtime)"),
		kong.Vars{"version": version.Version},
		kong.UsageOnError(),
	)
	ctx.FatalIfErrorf(ctx.Run())
}
