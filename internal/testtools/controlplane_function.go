package testtools

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// installTimeout bounds how long Crossplane gets to pull, unpack and activate a package.
const installTimeout = 3 * time.Minute

var (
	functionGVK = schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: "Function"}
)

// A FunctionServer is a composition function running as a local process, serving gRPC over mTLS on
// 127.0.0.1 with a server certificate signed by Crossplane's root CA: what a Function's Deployment
// would be in a cluster.
type FunctionServer struct {
	// Name is the function's name (its log is logs/function-NAME.log).
	Name string
	// Address is host:port it serves on; Endpoint the gRPC target Crossplane dials.
	Address, Endpoint string
	// CertsDir holds tls.crt, tls.key (the server certificate) and ca.crt (Crossplane's root CA,
	// which signs the client certificate Crossplane presents).
	CertsDir string
	// Cert is the server certificate, PEM.
	Cert []byte
}

// StartFunction starts a composition function binary (built on function-sdk-go: it takes --address
// and --tls-certs-dir) on a free port of 127.0.0.1, with a server certificate for 127.0.0.1 signed by
// Crossplane's root CA, and waits until it listens. args are added to its flags (e.g. "--debug").
func (cp *ControlPlane) StartFunction(t testing.TB, name, bin string, args ...string) *FunctionServer {
	t.Helper()
	dir := cp.run.mkdir(t, "tls", "function-"+name)
	cert := cp.signCert(t, name, dir, []string{"localhost", name})
	addr := "127.0.0.1:" + strconv.Itoa(freePorts(t, 1)[0])
	p := cp.run.start(t, "function-"+name, processGrace, nil, bin,
		append([]string{"--address=" + addr, "--tls-certs-dir=" + dir}, args...)...)
	cp.run.waitFor(t, "function "+name+" to listen on "+addr, p, startTimeout, func() (bool, string) {
		return listening(addr)
	})
	cp.Reach(t, addr)
	cp.run.lap(t, "function %s serving on %s (mTLS)", name, addr)
	return &FunctionServer{Name: name, Address: addr, Endpoint: "dns:///" + addr, CertsDir: dir, Cert: cert}
}

// InstallFunction creates a pkg.crossplane.io/v1 Function named name from the package source (an
// OCI reference Crossplane pulls, e.g. 127.0.0.1:PORT/org/fn:v1.0.0), plays the runtime for its
// revision with fs (see ServeFunctionRevision) and waits until the Function is Installed and Healthy.
func (cp *ControlPlane) InstallFunction(t testing.TB, name, source string, fs *FunctionServer) {
	t.Helper()
	fn := &unstructured.Unstructured{}
	fn.SetGroupVersionKind(functionGVK)
	fn.SetName(name)
	_ = unstructured.SetNestedField(fn.Object, source, "spec", "package")
	if err := cp.Client.Create(context.Background(), fn); err != nil {
		t.Fatalf("cannot create Function %s: %v", name, err)
	}
	cp.ServeFunctionRevision(t, name, fs)
	cp.WaitForFunction(t, name)
}

// WaitForFunction waits until the Function named name is Installed and Healthy.
func (cp *ControlPlane) WaitForFunction(t testing.TB, name string) {
	t.Helper()
	cp.Eventually(t, "Function "+name+" to become Installed and Healthy", installTimeout, func(ctx context.Context) (bool, string) {
		fn := &unstructured.Unstructured{}
		fn.SetGroupVersionKind(functionGVK)
		if err := cp.Client.Get(ctx, client.ObjectKey{Name: name}, fn); err != nil {
			return false, err.Error()
		}
		for _, c := range []string{"Installed", "Healthy"} {
			if s, msg := Condition(fn, c); s != "True" {
				return false, c + "=" + s + " (" + msg + ")"
			}
		}
		return true, ""
	})
	cp.run.lap(t, "Function %s installed and healthy", name)
}

// ServeFunctionRevision plays the package runtime for the active revision of the Function named
// name, which the External runtime leaves to someone else: it stores fs's server certificate in a
// Secret, points the revision's status at fs (endpoint dns:///127.0.0.1:PORT, tlsServerSecretName)
// and marks its runtime healthy. Crossplane then dials fs for every composition step naming the
// Function. It waits for Crossplane to have created the revision (that is, pulled the package).
func (cp *ControlPlane) ServeFunctionRevision(t testing.TB, name string, fs *FunctionServer) {
	t.Helper()
	rev := cp.activeRevision(t, "FunctionRevisionList", "Function", name).GetName()

	ctx := context.Background()
	secretName := name + "-tls-server"
	ca, err := os.ReadFile(cp.CACert)
	if err != nil {
		t.Fatalf("cannot read Crossplane's root CA: %v", err)
	}
	key, err := os.ReadFile(filepath.Join(fs.CertsDir, "tls.key"))
	if err != nil {
		t.Fatalf("cannot read the server key of function %s: %v", name, err)
	}
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: CrossplaneNamespace, Name: secretName},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{"tls.crt": fs.Cert, "tls.key": key, "ca.crt": ca},
	}
	if err := cp.Client.Create(ctx, sec); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("cannot create Secret %s/%s: %v", CrossplaneNamespace, secretName, err)
	}

	cp.updateRevisionStatus(t, schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: "FunctionRevision"}, rev, func(r *unstructured.Unstructured) {
		_ = unstructured.SetNestedField(r.Object, fs.Endpoint, "status", "endpoint")
		_ = unstructured.SetNestedField(r.Object, secretName, "status", "tlsServerSecretName")
		setCondition(r, map[string]any{
			"type": "RuntimeHealthy", "status": "True", "reason": "HealthyPackageRevision",
			"message":            "served by a local process on " + fs.Address,
			"lastTransitionTime": time.Now().UTC().Format(time.RFC3339),
		})
	})
	cp.run.lap(t, "FunctionRevision %s served by %s", rev, fs.Endpoint)
}

// setCondition replaces the condition of the same type in status.conditions, or adds it.
func setCondition(u *unstructured.Unstructured, c map[string]any) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	out := make([]any, 0, len(conds)+1)
	for _, e := range conds {
		if m, ok := e.(map[string]any); ok && m["type"] == c["type"] {
			continue
		}
		out = append(out, e)
	}
	out = append(out, c)
	_ = unstructured.SetNestedSlice(u.Object, out, "status", "conditions")
}

// signCert writes tls.key, tls.crt (a server certificate for 127.0.0.1 and dnsNames, signed by
// Crossplane's root CA) and ca.crt (the root CA) into dir and returns the certificate.
func (cp *ControlPlane) signCert(t testing.TB, name, dir string, dnsNames []string) []byte {
	t.Helper()
	caPEM, err := os.ReadFile(cp.CACert)
	if err != nil {
		t.Fatalf("cannot read Crossplane's root CA: %v", err)
	}
	caKeyPEM, err := os.ReadFile(cp.CAKey)
	if err != nil {
		t.Fatalf("cannot read Crossplane's root CA key: %v", err)
	}
	certPEM, keyPEM, err := SignServerCert(caPEM, caKeyPEM, name, []net.IP{net.IPv4(127, 0, 0, 1)}, dnsNames)
	if err != nil {
		t.Fatalf("cannot sign a server certificate for %s: %v", name, err)
	}
	writeFile(t, filepath.Join(dir, "tls.crt"), string(certPEM), 0o600)
	writeFile(t, filepath.Join(dir, "tls.key"), string(keyPEM), 0o600)
	writeFile(t, filepath.Join(dir, "ca.crt"), string(caPEM), 0o600)
	return certPEM
}

// SignServerCert issues a TLS server certificate (and a new ECDSA P-256 key) for the given IPs and
// DNS names, signed by the CA in caPEM/caKeyPEM, valid for two days. Both are returned as PEM.
func SignServerCert(caPEM, caKeyPEM []byte, commonName string, ips []net.IP, dnsNames []string) (certPEM, keyPEM []byte, err error) {
	caBlock, _ := pem.Decode(caPEM)
	if caBlock == nil {
		return nil, nil, errors.New("CA certificate is not PEM")
	}
	ca, err := x509.ParseCertificate(caBlock.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot parse the CA certificate: %w", err)
	}
	caKey, err := parsePrivateKey(caKeyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot parse the CA key: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"Crossplane"}, CommonName: commonName},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(48 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  ips,
		DNSNames:     dnsNames,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot sign the certificate: %w", err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
	if _, err := tls.X509KeyPair(certPEM, keyPEM); err != nil {
		return nil, nil, fmt.Errorf("issued an unusable key pair: %w", err)
	}
	return certPEM, keyPEM, nil
}

// parsePrivateKey reads a PEM private key in PKCS#1, PKCS#8 or SEC 1 form.
func parsePrivateKey(b []byte) (any, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("not PEM")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		switch k.(type) {
		case *rsa.PrivateKey, *ecdsa.PrivateKey:
			return k, nil
		}
		return nil, fmt.Errorf("unsupported key type %T", k)
	}
	if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	return nil, fmt.Errorf("unsupported private key (PEM type %q)", block.Type)
}
