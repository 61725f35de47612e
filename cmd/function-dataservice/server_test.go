package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// These tests run the function-dataservice binary built from this checkout, on 127.0.0.1, as
// Crossplane runs it: they are skipped in -short runs.

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// serverBinary builds function-dataservice once per test binary.
func serverBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end: builds and runs the function-dataservice binary")
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "function-dataservice-test-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "function-dataservice")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/function-dataservice")
		cmd.Dir = testtools.RepoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = errors.New(err.Error() + "\n" + string(out))
		}
	})
	if binErr != nil {
		t.Fatalf("cannot build function-dataservice: %v", binErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// server is a running function-dataservice process.
type server struct {
	cmd     *exec.Cmd
	address string
	exited  chan struct{}
	err     error // of Wait, once exited is closed

	mu    sync.Mutex
	lines []string
	seen  chan struct{} // closed and replaced whenever a line arrives
}

var addressLog = regexp.MustCompile(`"address":\s*"([^"]+)"`)

// startServer starts the binary with args on a free loopback port, with debug logs and without
// metrics, waits until it logs the address it serves at, and stops it when the test ends.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	bin := serverBinary(t)
	cmd := exec.Command(bin, append([]string{"--address", "127.0.0.1:0", "--metrics-address=", "--debug"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, exited: make(chan struct{}), seen: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			s.mu.Lock()
			s.lines = append(s.lines, sc.Text())
			close(s.seen)
			s.seen = make(chan struct{})
			s.mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, stderr)
		s.err = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			t.Logf("function-dataservice log:\n%s", strings.Join(s.log(), "\n"))
		}
	})
	line := s.waitFor(t, "Serving function-dataservice")
	m := addressLog.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no address in %q", line)
	}
	s.address = m[1]
	return s
}

func (s *server) log() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

// waitFor waits until the server logs a line containing what, and returns it. The wait is bounded
// only so that a server that never says it fails the test rather than hanging it.
func (s *server) waitFor(t *testing.T, what string) string {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		s.mu.Lock()
		for _, l := range s.lines {
			if strings.Contains(l, what) {
				s.mu.Unlock()
				return l
			}
		}
		seen := s.seen
		s.mu.Unlock()
		select {
		case <-seen:
		case <-s.exited:
			t.Fatalf("function-dataservice exited (%v) before logging %q", s.err, what)
		case <-timeout:
			t.Fatalf("function-dataservice did not log %q", what)
		}
	}
}

// count counts the log lines that contain what.
func (s *server) count(what string) int {
	n := 0
	for _, l := range s.log() {
		if strings.Contains(l, what) {
			n++
		}
	}
	return n
}

// wait waits for the process to exit and returns its exit code.
func (s *server) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-s.exited:
	case <-time.After(2 * time.Minute):
		t.Fatal("function-dataservice did not exit")
	}
	var ee *exec.ExitError
	if errors.As(s.err, &ee) {
		return ee.ExitCode()
	}
	if s.err != nil {
		t.Fatalf("function-dataservice: %v", s.err)
	}
	return 0
}

// dial connects to the server with the given credentials. gRPC connects lazily: errors show on the
// first call.
func dial(t *testing.T, address string, creds credentials.TransportCredentials) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// request is a RunFunctionRequest for a small valid DataService.
func request(t *testing.T) *fnv1.RunFunctionRequest {
	t.Helper()
	xr, err := structpb.NewStruct(map[string]any{
		"apiVersion": "dataservice.klutch.io/v1alpha1", "kind": "DataService", "metadata": map[string]any{"name": "cache"},
		"spec": map[string]any{"group": "example.org", "kind": "CacheInstance", "compositions": []any{map[string]any{
			"name": "cache", "plans": []any{"cache-small"}, "backend": map[string]any{"apiVersion": "example.org/v1", "kind": "Cache"},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	// As Crossplane v2.2 sends it: one that advertises no capabilities is first asked for the CRD of XRDs.
	return &fnv1.RunFunctionRequest{Meta: &fnv1.RequestMeta{Tag: "test", Capabilities: []fnv1.Capability{fnv1.Capability_CAPABILITY_CAPABILITIES}}, Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: xr}}}
}

// call runs a RunFunction call with a bounded deadline (so that a broken server fails the test
// rather than hanging it).
func call(conn *grpc.ClientConn, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return fnv1.NewFunctionRunnerServiceClient(conn).RunFunction(ctx, req)
}

// composed says whether a response composes the XRD of the request, without a fatal result (the
// function warns about what Crossplane must be granted).
func composed(rsp *fnv1.RunFunctionResponse) bool {
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			return false // warnings (the grants the API needs) do not stop a composition
		}
	}
	return rsp.GetDesired().GetResources()["xrd"] != nil
}

// pki is a certificate authority, the server certificate it signed for 127.0.0.1 and localhost,
// and a client certificate it signed, as PEM.
type pki struct {
	caCert, serverCert, serverKey, clientCert, clientKey []byte
	pool                                                 *x509.CertPool
}

func newPKI(t *testing.T, name string) pki {
	t.Helper()
	caKey := newKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name + " CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage) ([]byte, []byte) {
		key := newKey(t)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	}
	p := pki{caCert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	p.serverCert, p.serverKey = leaf(2, "function-dataservice", x509.ExtKeyUsageServerAuth)
	p.clientCert, p.clientKey = leaf(3, "crossplane", x509.ExtKeyUsageClientAuth)
	return p
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// certsDir writes the server's files as Crossplane mounts them: tls.crt, tls.key, ca.crt.
func (p pki) certsDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range map[string][]byte{"tls.crt": p.serverCert, "tls.key": p.serverKey, "ca.crt": p.caCert} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// clientTLS is a client that trusts the server's CA and presents the client certificate of from
// (none when from is nil).
func clientTLS(t *testing.T, server pki, from *pki) credentials.TransportCredentials {
	t.Helper()
	cfg := &tls.Config{RootCAs: server.pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
	if from != nil {
		cert, err := tls.X509KeyPair(from.clientCert, from.clientKey)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return credentials.NewTLS(cfg)
}

// TestServeMTLS starts the function with certificates from --tls-certs-dir, as Crossplane mounts
// them: only clients presenting a certificate signed by ca.crt are answered.
func TestServeMTLS(t *testing.T) {
	crossplane, stranger := newPKI(t, "crossplane"), newPKI(t, "stranger")
	s := startServer(t, "--tls-certs-dir", crossplane.certsDir(t))

	cases := map[string]struct {
		reason string
		creds  credentials.TransportCredentials
		answer bool
	}{
		"ClientCertFromTheCAShouldBeAnswered": {
			reason: "Crossplane presents a client certificate signed by the CA in ca.crt.",
			creds:  clientTLS(t, crossplane, &crossplane),
			answer: true,
		},
		"NoClientCertShouldBeRefused": {
			reason: "mTLS: a client without a certificate is refused during the handshake.",
			creds:  clientTLS(t, crossplane, nil),
		},
		"ClientCertFromAnotherCAShouldBeRefused": {
			reason: "A client certificate signed by a CA other than ca.crt is refused.",
			creds:  clientTLS(t, crossplane, &stranger),
		},
		"PlainTextShouldBeRefused": {
			reason: "Without --insecure the server speaks only TLS.",
			creds:  insecure.NewCredentials(),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			before := s.count("Running function")
			rsp, err := call(dial(t, s.address, tc.creds), request(t))
			if tc.answer {
				if err != nil || !composed(rsp) {
					t.Fatalf("%s\nRunFunction(...) = %v, %v; want the XRD composed", tc.reason, rsp, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("%s\nRunFunction(...) answered: %v", tc.reason, rsp)
			}
			if code := status.Code(err); code != codes.Unavailable {
				t.Errorf("%s\nRunFunction(...): code %s (%v), want Unavailable", tc.reason, code, err)
			}
			t.Logf("refused: %v", err)
			if n := s.count("Running function") - before; n != 0 {
				t.Errorf("%s\nthe function ran %d times for a refused client", tc.reason, n)
			}
		})
	}
}

// TestServeInsecure starts the function with --insecure, as crossplane render's Development
// runtime expects it: plain text is answered (even though a certificate folder is given too), and
// the call shows in the metrics.
func TestServeInsecure(t *testing.T) {
	p := newPKI(t, "crossplane")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	metrics := l.Addr().String()
	l.Close()
	s := startServer(t, "--insecure", "--tls-certs-dir", p.certsDir(t), "--metrics-address", metrics)
	if rsp, err := call(dial(t, s.address, insecure.NewCredentials()), request(t)); err != nil || !composed(rsp) {
		t.Fatalf("RunFunction(...) = %v, %v; want the XRD composed", rsp, err)
	}
	resp, err := http.Get("http://" + metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	want := `grpc_server_handled_total{grpc_code="OK",grpc_method="RunFunction",grpc_service="apiextensions.fn.proto.v1.FunctionRunnerService",grpc_type="unary"} 1`
	if !strings.Contains(string(b), want) {
		t.Errorf("/metrics does not count the call (%s):\n%s", want, b)
	}
}

// hugeRequest is a request whose DataService carries size bytes in a plan description: as large as
// the function's limits must stop.
func hugeRequest(t *testing.T, size int) *fnv1.RunFunctionRequest {
	t.Helper()
	req := request(t)
	spec := req.GetObserved().GetComposite().GetResource().GetFields()["spec"].GetStructValue()
	spec.Fields["plan"] = structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
		"description": structpb.NewStringValue(strings.Repeat("a", size)),
	}})
	return req
}

// TestServeMaxRecvMessageSize sends DataServices of several MiB: larger than
// --max-recv-message-size, gRPC refuses them; within it, the function answers with a fatal result
// that names the limit the DataService breaks, instead of generating objects no API server stores.
func TestServeMaxRecvMessageSize(t *testing.T) {
	const mib = 1 << 20
	cases := map[string]struct {
		reason  string
		args    []string
		size    int
		refused bool
	}{
		"LargerThanTheDefaultShouldBeRefused": {
			reason:  "The default limit is 32 MiB: gRPC refuses a larger request before the function sees it.",
			size:    33 * mib,
			refused: true,
		},
		"WithinTheDefaultShouldBeAFatalResult": {
			reason: "A 3.5 MiB DataService passes gRPC and is refused by the function with the limit it breaks.",
			size:   3*mib + mib/2,
		},
		"WithinAnotherLimitShouldBeAFatalResult": {
			reason: "--max-recv-message-size 8 lets a 5 MiB request through to the function, which refuses the DataService with the limit it breaks.",
			args:   []string{"--max-recv-message-size", "8"},
			size:   5 * mib,
		},
		"LargerThanAnotherLimitShouldBeRefused": {
			reason:  "--max-recv-message-size 8 still refuses a 9 MiB request.",
			args:    []string{"--max-recv-message-size", "8"},
			size:    9 * mib,
			refused: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := startServer(t, append([]string{"--insecure"}, tc.args...)...)
			conn := dial(t, s.address, insecure.NewCredentials())
			rsp, err := call(conn, hugeRequest(t, tc.size))
			if tc.refused {
				if code := status.Code(err); code != codes.ResourceExhausted {
					t.Fatalf("%s\nRunFunction(...): code %s (%v), want ResourceExhausted", tc.reason, code, err)
				}
				// The server is not harmed: a normal request on the same connection is answered.
				if rsp, err := call(conn, request(t)); err != nil || !composed(rsp) {
					t.Fatalf("after a refused request: RunFunction(...) = %v, %v; want the XRD composed", rsp, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\nRunFunction(...): %v", tc.reason, err)
			}
			results := rsp.GetResults()
			if len(results) != 1 || results[0].GetSeverity() != fnv1.Severity_SEVERITY_FATAL {
				t.Fatalf("%s\nRunFunction(...): results %v, want one fatal result", tc.reason, results)
			}
			if msg := results[0].GetMessage(); !strings.Contains(msg, "at most") || len(msg) > 1024 {
				t.Errorf("%s\nfatal result %q: want a short message naming the limit", tc.reason, msg)
			}
			if len(rsp.GetDesired().GetResources()) > 0 {
				t.Errorf("%s\ncomposed %d resources from a DataService beyond the limits", tc.reason, len(rsp.GetDesired().GetResources()))
			}
		})
	}
}

// runFunctionMethod is the full name of the v1 RunFunction method.
const runFunctionMethod = "/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction"

// TestServeShutdown sends SIGTERM to the function while a call is in flight: the call is answered,
// new connections and new calls are refused, and the process exits 0.
func TestServeShutdown(t *testing.T) {
	s := startServer(t, "--insecure")
	conn := dial(t, s.address, insecure.NewCredentials())
	if rsp, err := call(conn, request(t)); err != nil || !composed(rsp) {
		t.Fatalf("RunFunction(...) = %v, %v; want the XRD composed", rsp, err)
	}

	// A call in flight: its stream is open (the headers are sent when it is created), its request
	// not yet sent, so the server waits for it. A second call on the same connection, answered
	// after the server read the first call's headers, makes sure the server knows of it.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	inflight, err := conn.NewStream(ctx, &grpc.StreamDesc{StreamName: "RunFunction"}, runFunctionMethod)
	if err != nil {
		t.Fatal(err)
	}
	if rsp, err := call(conn, request(t)); err != nil || !composed(rsp) {
		t.Fatalf("RunFunction(...) = %v, %v; want the XRD composed", rsp, err)
	}

	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "Shutting down")

	t.Run("NewConnectionsShouldBeRefused", func(t *testing.T) {
		_, err := call(dial(t, s.address, insecure.NewCredentials()), request(t))
		if code := status.Code(err); code != codes.Unavailable {
			t.Errorf("RunFunction(...) on a new connection after SIGTERM: code %s (%v), want Unavailable", code, err)
		}
	})
	t.Run("NewCallsShouldBeRefused", func(t *testing.T) {
		// The server tells the clients of open connections to go away; once this client knows, a
		// new call needs a new connection, which is refused.
		wctx, wcancel := context.WithTimeout(context.Background(), time.Minute)
		defer wcancel()
		for conn.GetState() == connectivity.Ready {
			if !conn.WaitForStateChange(wctx, connectivity.Ready) {
				t.Fatal("the client was not told to go away")
			}
		}
		_, err := call(conn, request(t))
		if code := status.Code(err); code != codes.Unavailable {
			t.Errorf("RunFunction(...) on the open connection after SIGTERM: code %s (%v), want Unavailable", code, err)
		}
	})
	t.Run("CallInFlightShouldBeAnswered", func(t *testing.T) {
		if err := inflight.SendMsg(request(t)); err != nil {
			t.Fatalf("cannot send the request of the call in flight: %v", err)
		}
		rsp := &fnv1.RunFunctionResponse{}
		if err := inflight.RecvMsg(rsp); err != nil {
			t.Fatalf("the call in flight was not answered: %v", err)
		}
		if !composed(rsp) {
			t.Errorf("the call in flight was answered with %v; want the XRD composed", rsp)
		}
	})

	if code := s.wait(t); code != 0 {
		t.Errorf("function-dataservice exited %d after SIGTERM, want 0", code)
	}
	s.waitFor(t, "Stopped")
}
