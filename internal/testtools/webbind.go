package testtools

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// A WebBindBackend is klutch-bind's example-backend serving app developers (OIDC mode, not
// --control-plane-mode), with dex as its identity provider: `kubectl bind URL/export` starts the
// web flow /authorize -> dex -> /callback -> /resources -> /bind.
type WebBindBackend struct {
	// URL is where the backend serves, e.g. http://127.0.0.1:PORT.
	URL string
	// Issuer is the OIDC issuer it logs users in with.
	Issuer *OIDCIssuer
}

// ExportURL is what an app developer passes to `kubectl bind`.
func (w *WebBindBackend) ExportURL() string { return w.URL + "/export" }

// StartWebBindBackend starts dex and klutch-bind's example-backend in OIDC mode against cp, both on
// free ports of 127.0.0.1 until t ends, and enables what the backend's /bind needs of the control
// plane: the service account token controller, whose tokens (and CA) are what each app cluster
// gets to reach the control plane with.
func (cp *ControlPlane) StartWebBindBackend(t testing.TB, kb *KlutchBind) *WebBindBackend {
	t.Helper()
	cp.enableServiceAccountTokens(t)
	ports := freePorts(t, 2)
	dexAddr, addr := "127.0.0.1:"+strconv.Itoa(ports[0]), "127.0.0.1:"+strconv.Itoa(ports[1])
	w := &WebBindBackend{URL: "http://" + addr}
	iss, dex := cp.run.startDex(t, Dex(t), dexAddr, w.URL+"/callback")
	cp.addExtra(dex, t)
	w.Issuer = iss
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	// The backend reads dex's discovery document once, at start. --external-ca-file is the CA the
	// kubeconfig it hands each app cluster trusts: the API server's, as an operator passes it (the
	// backend's own kubeconfig names a file, whose CA it does not inline).
	p := cp.run.startFor(t, nil, "klutch-bind-backend-oidc", processGrace, nil, kb.Backend,
		"--kubeconfig="+cp.Kubeconfig, "--listen-address="+addr,
		"--oidc-issuer-url="+iss.URL, "--oidc-issuer-client-id="+iss.ClientID,
		"--oidc-issuer-client-secret="+iss.ClientSecret, "--oidc-callback-url="+w.URL+"/callback",
		"--cookie-signing-key="+base64.StdEncoding.EncodeToString(key),
		"--consumer-scope=Namespaced", "--external-ca-file="+cp.Config.CAFile, "-v=4")
	cp.run.waitFor(t, "klutch-bind backend to serve "+w.ExportURL(), p, startTimeout, func() (bool, string) {
		return httpOK(http.DefaultClient, w.ExportURL())
	})
	cp.addExtra(p, t)
	cp.run.lap(t, "klutch-bind backend serving app developers on %s (OIDC, issuer %s)", w.URL, iss.URL)
	return w
}

// enableServiceAccountTokens restarts kube-controller-manager with the service account token
// controller: the backend's /bind creates a ServiceAccount and its legacy token Secret in the app
// cluster's namespace and waits (10 s) for the controller to fill in the token and ca.crt. It stays
// on for the control plane's later tests, as it is on in every real cluster.
func (cp *ControlPlane) enableServiceAccountTokens(t testing.TB) {
	t.Helper()
	if cp.kcmArgs != nil {
		return
	}
	cp.kcmArgs = []string{
		// pflag appends a repeated --controllers to the list StartControllerManager gives.
		"--controllers=serviceaccount-token",
		"--service-account-private-key-file=" + filepath.Join(cp.Dir, "pki", "sa.key"),
		"--root-ca-file=" + cp.Config.CAFile,
	}
	cp.StartControllerManager(t)
}

// StartAppKonnector starts klutch-bind's konnector as it runs in an app cluster (not in
// control-plane mode): against app, where it installs the APIServiceBinding CRD that `kubectl bind`
// waits for, and then serves each APIServiceBinding the CLI creates with the kubeconfig of the
// control plane cp the CLI stored beside it. Its health server binds ":8080" on every interface: it
// runs in a network namespace of its own, both API servers forwarded into it, until t ends.
func (app *ControlPlane) StartAppKonnector(t testing.TB, kb *KlutchBind, cp *ControlPlane) {
	t.Helper()
	n := newIsolatedNet(t, t, "klutch-bind-konnector")
	n.forwardIn(t, app.apiAddr)
	n.forwardIn(t, cp.apiAddr)
	p := app.run.startFor(t, n, "klutch-bind-konnector", processGrace, nil, kb.Konnector, "--kubeconfig="+app.Kubeconfig, "-v=4")
	app.run.waitFor(t, "klutch-bind konnector to serve its health check on :8080 in its network namespace", p, startTimeout, func() (bool, string) {
		return n.listening("127.0.0.1:8080")
	})
	app.addExtra(p, t)
	app.WaitForConditions(t, crdGVK, client.ObjectKey{Name: "apiservicebindings.klutch.anynines.com"}, "Established")
	app.run.lap(t, "klutch-bind konnector serving the app cluster; APIServiceBinding CRD established there")
}
