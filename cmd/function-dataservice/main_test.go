package main

import (
	"net"
	"strings"
	"testing"

	"github.com/function-dataservice/function-dataservice/internal/fnserver"
)

// TestRunRefusesToStart covers what the server checks before it serves: each case fails before a
// listener is opened, with a message that says what to pass.
func TestRunRefusesToStart(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	empty := t.TempDir()

	cases := map[string]struct {
		reason string
		cli    cli
		want   []string
	}{
		"NoCredentialsAndNotInsecure": {
			reason: "Crossplane always talks mTLS: without certificates the server serves nothing unless --insecure asks for plain text.",
			cli:    cli{Flags: fnserver.Flags{Address: "127.0.0.1:0", MetricsAddress: ""}},
			want:   []string{"no credentials", "--tls-certs-dir", "TLS_SERVER_CERTS_DIR", "--insecure"},
		},
		"IncompleteCertsDir": {
			reason: "A certificate folder without the server key pair and the client CA is named with what it must hold.",
			cli:    cli{Flags: fnserver.Flags{Address: "127.0.0.1:0", TLSCertsDir: empty, MetricsAddress: ""}},
			want:   []string{"--tls-certs-dir " + empty, "tls.crt", "tls.key", "ca.crt"},
		},
		"MetricsAddressInUse": {
			reason: "The SDK would drop the metrics listener's error, so a second instance on the same metrics address is refused instead of running without metrics.",
			cli:    cli{Flags: fnserver.Flags{Address: "127.0.0.1:0", Insecure: true, MetricsAddress: busy.Addr().String()}},
			want:   []string{"cannot serve metrics at", busy.Addr().String(), "--metrics-address"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.cli.Run()
			if err == nil {
				t.Fatalf("%s\nRun(): want an error, got none", tc.reason)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s\nRun(): error does not mention %q: %v", tc.reason, w, err)
				}
			}
		})
	}
}
