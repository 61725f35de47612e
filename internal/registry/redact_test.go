package registry

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
)

const (
	user     = "robot"
	password = "s3cr3t-Pa55word-42"
)

// echoRegistry asks for basic auth and answers every authenticated request with an error page
// that echoes the request headers, as some proxies and registries do.
func echoRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			w.Header().Set("WWW-Authenticate", `Basic realm="registry"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, "<html><body><h1>403 Forbidden</h1><pre>\n")
		for k, v := range r.Header {
			fmt.Fprintf(w, "%s: %s\n", k, strings.Join(v, ", "))
		}
		fmt.Fprintf(w, `{"headers": {"Authorization": [%q]}}`+"\n</pre></body></html>", r.Header.Get("Authorization"))
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func secretsIn(msg string) []string {
	var found []string
	basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	for _, s := range []string{password, basic, basic[:12]} {
		if strings.Contains(msg, s) {
			found = append(found, s)
		}
	}
	return found
}

// TestErrorsShouldNotShowCredentials: a registry whose error page echoes the request headers
// gets no credential printed (Authorization: Basic ... was).
func TestErrorsShouldNotShowCredentials(t *testing.T) {
	host := echoRegistry(t)
	c := New(Options{Keychain: staticKeychain{authn.FromConfig(authn.AuthConfig{Username: user, Password: password})}, Backoff: time.Millisecond, Retries: -1})
	_, err := c.Push(context.Background(), host+"/pkg:v1", []Package{{Image: pkgImage(t, ""), Source: "test.xpkg"}})
	if err == nil {
		t.Fatal("push to a registry that forbids it: no error")
	}
	if found := secretsIn(err.Error()); len(found) > 0 {
		t.Errorf("push error shows the credentials %v:\n%s", found, err)
	}
	if !strings.Contains(err.Error(), "403") {
		t.Errorf("push error %q: want the registry's status kept", err)
	}
	if _, err := c.Get(context.Background(), host+"/pkg:v1"); err == nil || len(secretsIn(err.Error())) > 0 {
		t.Errorf("get error shows the credentials (or none): %v", err)
	}
}

// TestHelperOutputShouldNotBeShown: a failing credential helper's output, which may be the
// secret, is not put into the error.
func TestHelperOutputShouldNotBeShown(t *testing.T) {
	dir := t.TempDir()
	helper := filepath.Join(dir, "docker-credential-evil")
	script := fmt.Sprintf("#!/bin/sh\necho '{\"Username\":\"%s\",\"Secret\":\"%s\"}'\nexit 1\n", user, password)
	if err := os.WriteFile(helper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"credsStore": "evil"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	c := New(Options{Backoff: time.Millisecond, Retries: -1})
	_, err := c.Push(context.Background(), echoRegistry(t)+"/pkg:v1", []Package{{Image: pkgImage(t, ""), Source: "test.xpkg"}})
	if err == nil {
		t.Fatal("push with a failing credential helper: no error")
	}
	if found := secretsIn(err.Error()); len(found) > 0 {
		t.Errorf("error shows the helper's secret %v:\n%s", found, err)
	}
	if !strings.Contains(err.Error(), "withheld") {
		t.Errorf("error %q: want it to say the helper's output is withheld", err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"Authorization: Basic cm9ib3Q6czNjcjN0":           "Authorization: Basic [redacted]",
		`{"authorization":["Bearer abc.def.ghi"]}`:        `{"authorization":["Bearer [redacted]"]}`,
		"proxy-authorization=Negotiate xyz; next":         "proxy-authorization=Negotiate [redacted]; next",
		"unexpected status code 403 Forbidden: no access": "unexpected status code 403 Forbidden: no access",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

type staticKeychain struct{ a authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.a, nil }
