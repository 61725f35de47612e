package testtools

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"
)

// TestSignServerCert checks that a function's server certificate verifies against the CA that
// signed it for 127.0.0.1, whatever form Crossplane's CA key is stored in.
func TestSignServerCert(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		key   any
		block *pem.Block
	}{
		"RSAPKCS1": {key: rsaKey, block: &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}},
		"RSAPKCS8": {key: rsaKey, block: &pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}},
		"ECSEC1":   {key: ecKey, block: &pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			caPEM := selfSignedCA(t, tc.key)
			certPEM, keyPEM, err := SignServerCert(caPEM, pem.EncodeToMemory(tc.block), "function-x", []net.IP{net.IPv4(127, 0, 0, 1)}, []string{"localhost"})
			if err != nil {
				t.Fatalf("SignServerCert: %v", err)
			}
			if len(keyPEM) == 0 {
				t.Fatal("no key")
			}
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(caPEM)
			b, _ := pem.Decode(certPEM)
			cert, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cert.Verify(x509.VerifyOptions{DNSName: "127.0.0.1", Roots: pool}); err != nil {
				t.Errorf("certificate does not verify for 127.0.0.1 against the CA: %v", err)
			}
		})
	}
	t.Run("NotPEMShouldFail", func(t *testing.T) {
		if _, _, err := SignServerCert([]byte("nope"), []byte("nope"), "x", nil, nil); err == nil {
			t.Error("SignServerCert accepted a CA that is not PEM")
		}
	})
}

func selfSignedCA(t *testing.T, key any) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	var pub any
	switch k := key.(type) {
	case *rsa.PrivateKey:
		pub = &k.PublicKey
	case *ecdsa.PrivateKey:
		pub = &k.PublicKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
