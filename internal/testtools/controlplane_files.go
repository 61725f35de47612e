package testtools

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
)

func httpOK(c *http.Client, url string) (bool, string) {
	resp, err := c.Get(url) //nolint:noctx // Loopback probe.
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close() //nolint:errcheck // Only read.
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Sprintf("%s: %s: %s", url, resp.Status, strings.TrimSpace(string(b)))
	}
	return true, ""
}

// kubeconfig is a kubeconfig of the admin token for host, trusting the CA in caFile.
func kubeconfig(host, caFile, token string) string {
	return kubeconfigOf(host, "certificate-authority", caFile, token)
}

// kubeconfigOf is the one kubeconfig text of the tests: the CA given as caKey (a file, or
// certificate-authority-data for a kubeconfig read elsewhere) with the value ca.
func kubeconfigOf(host, caKey, ca, token string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster: {server: %q, %s: %q}
users:
- name: admin
  user: {token: %q}
contexts:
- name: e2e
  context: {cluster: e2e, user: admin}
current-context: e2e
`, host, caKey, ca, token)
}

// writeServiceAccountKeys writes the key pair kube-apiserver signs and verifies service account
// tokens with.
func writeServiceAccountKeys(t testing.TB, keyPath, pubPath string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("cannot generate the service account key: %v", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatalf("cannot encode the service account public key: %v", err)
	}
	writeFile(t, keyPath, string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})), 0o600)
	writeFile(t, pubPath, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})), 0o644)
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("cannot read random bytes: %v", err)
	}
	return hex.EncodeToString(b)
}

func writeFile(t testing.TB, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatalf("cannot write %s: %v", path, err)
	}
}
