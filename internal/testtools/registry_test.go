package testtools

import (
	"net/http"
	"testing"
)

func TestStartPackageRegistry(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the registry")
	}
	cases := map[string]struct {
		opts []RegistryOption
		anon int
	}{
		"NoAuthShouldServeAnyone":         {anon: http.StatusOK},
		"HtpasswdShouldRefuseAnonymously": {opts: []RegistryOption{WithHtpasswd("ci", "s3cret")}, anon: http.StatusUnauthorized},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := StartPackageRegistry(t, tc.opts...)
			resp, err := http.Get("http://" + r.Host + "/v2/")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.anon {
				t.Errorf("GET /v2/ anonymously: got %d, want %d", resp.StatusCode, tc.anon)
			}
			if r.User == "" {
				return
			}
			req, _ := http.NewRequest(http.MethodGet, "http://"+r.Host+"/v2/", nil)
			req.SetBasicAuth(r.User, r.Password)
			resp, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET /v2/ with credentials: got %d, want 200", resp.StatusCode)
			}
			if r.DockerConfig == "" {
				t.Error("no Docker config for the credentials")
			}
		})
	}
}
