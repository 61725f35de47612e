package registry

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
)

// maxErrorBody bounds what is kept of a registry's error response: go-containerregistry puts the
// body into its error, which is printed.
const maxErrorBody = 64 << 10

const redacted = "[redacted]"

// credentialHeader finds credentials after a header name as registries, proxies and echo pages
// write them: "Authorization: Basic dXNlcjpwYXNz", `"Authorization":["Bearer x"]`,
// authorization=..., in any case.
var credentialHeader = regexp.MustCompile(`(?i)((?:proxy-)?authorization|x-registry-auth|x-registry-config|cookie|set-cookie)(["'\]\[]*\s*[:=]\s*["'\[]*\s*)((?:basic|bearer|token|negotiate|digest)\s+)?[^\s"',;\]}<>]+`)

// helperOutput is what docker-credential-helpers puts of a failing helper's output into its error
// ("error getting credentials - err: exit status 1, out: `...`"): it may be the secret itself.
var helperOutput = regexp.MustCompile("(?s)out: `.*`")

// Redact removes credentials from a message before it is printed or logged: values after
// Authorization (and similar) headers, the given secrets wherever they appear, and what a
// credential helper printed.
func Redact(msg string, secrets ...string) string {
	for _, s := range secrets {
		if len(s) >= 4 { // shorter would blank out ordinary words
			msg = strings.ReplaceAll(msg, s, redacted)
		}
	}
	msg = credentialHeader.ReplaceAllString(msg, "${1}${2}${3}"+redacted)
	return helperOutput.ReplaceAllStringFunc(msg, func(m string) string {
		return fmt.Sprintf("out: [%d bytes of the helper's output withheld: they may hold the secret; run the helper yourself to see them]", len(m)-len("out: ``"))
	})
}

// requestSecrets are the credentials a request carries, in every form an echo may show them:
// the header value, its credential, and for basic auth the decoded user:password and password.
func requestSecrets(h http.Header) []string {
	var out []string
	for _, name := range []string{"Authorization", "Proxy-Authorization", "X-Registry-Auth", "Cookie"} {
		for _, v := range h.Values(name) {
			out = append(out, v)
			scheme, cred, ok := strings.Cut(v, " ")
			if !ok {
				continue
			}
			out = append(out, cred)
			if !strings.EqualFold(scheme, "basic") {
				continue
			}
			if b, err := base64.StdEncoding.DecodeString(cred); err == nil {
				out = append(out, string(b))
				if _, pass, ok := strings.Cut(string(b), ":"); ok {
					out = append(out, pass)
				}
			}
		}
	}
	return out
}

// redactErrorBody replaces the body of an error response with at most maxErrorBody of it, the
// request's credentials and any header credentials in it redacted: a registry or proxy whose
// error page echoes the request headers would otherwise have them printed.
func redactErrorBody(r *http.Request, resp *http.Response) {
	if resp.StatusCode < 400 || resp.Body == nil {
		return
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	red := []byte(Redact(string(b), requestSecrets(r.Header)...))
	resp.Body = io.NopCloser(bytes.NewReader(red))
	resp.ContentLength = int64(len(red))
	resp.Header.Del("Content-Length")
}
