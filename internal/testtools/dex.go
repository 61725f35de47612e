package testtools

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
)

// DexVersion is dex v2.45.1 as the Go module proxy serves it: dex's release tags are no module
// versions (its go.mod replaces api/v2 with a folder of its own), so the pseudo-version of the
// release commit.
const DexVersion = "v0.0.0-20260303133905-11d2eeb52b42"

// Dex returns dex, the OIDC issuer of the web-bind tests, building it on first use
// (test/tools/dex.sh, CGO off).
func Dex(t testing.TB) string {
	t.Helper()
	return buildScript(t, "dex", DexVersion, "dex.sh", DexVersion)
}

// An OIDCIssuer is dex serving on loopback as the identity provider of klutch-bind's backend: its
// mockCallback connector logs every visitor in as the same user without a form, the approval
// screen is skipped, and its one client is the backend. A browser sent to the issuer comes back
// to the backend's callback through redirects only.
type OIDCIssuer struct {
	// URL is the issuer, e.g. http://127.0.0.1:PORT/dex.
	URL string
	// ClientID and ClientSecret are the backend's static client.
	ClientID, ClientSecret string
}

// startDex starts dex on addr, in memory, with one static client redirecting to redirectURL, until
// t ends, and waits for its OIDC discovery document.
func (r *runDir) startDex(t testing.TB, bin, addr, redirectURL string) (*OIDCIssuer, *process) {
	t.Helper()
	iss := &OIDCIssuer{URL: "http://" + addr + "/dex", ClientID: "klutch-bind", ClientSecret: randomHex(t, 16)}
	config := r.path(t, "dex", "config.yaml")
	writeFile(t, config, fmt.Sprintf(`issuer: %s
storage: {type: memory}
web: {http: %q}
logger: {level: debug}
oauth2: {skipApprovalScreen: true}
staticClients:
- id: %s
  name: klutch-bind example-backend
  secret: %s
  redirectURIs: [%s]
connectors:
- {type: mockCallback, id: mock, name: Mock}
`, iss.URL, addr, iss.ClientID, iss.ClientSecret, strconv.Quote(redirectURL)), 0o600)
	p := r.startFor(t, nil, "dex", processGrace, nil, bin, "serve", config)
	discovery := iss.URL + "/.well-known/openid-configuration"
	r.waitFor(t, "dex to serve "+discovery, p, startTimeout, func() (bool, string) {
		return httpOK(http.DefaultClient, discovery)
	})
	r.lap(t, "dex serving OIDC at %s (mockCallback connector, client %s)", iss.URL, iss.ClientID)
	return iss, p
}
