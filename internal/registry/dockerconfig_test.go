package registry

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

func TestDockerKeychain(t *testing.T) {
	cases := map[string]struct {
		reason string
		// config.json as a file, a folder ("/") or absent (nil).
		config *string
		want   []string // substrings of the error; no error when empty
	}{
		"NoConfig": {
			reason: "Without a Docker config the registry is spoken to anonymously.",
		},
		"EmptyConfig": {
			reason: "The Docker CLI reads an empty config as none.",
			config: ptr("\n"),
		},
		"Credentials": {
			reason: "A config with credentials is read.",
			config: ptr(`{"auths": {"127.0.0.1:5000": {"auth": "dXNlcjpwYXNz"}}}`),
		},
		"BrokenJSON": {
			reason: "A config that is not JSON is named with the line of the problem and the fix; the default keychain would say only 'unexpected EOF'.",
			config: ptr("{\n  \"auths\": {\n"),
			want:   []string{"config.json:3: not valid JSON", "fix or remove it", "DOCKER_CONFIG"},
		},
		"NotAnObject": {
			reason: "A config must be a JSON object.",
			config: ptr(`["auths"]`),
			want:   []string{"config.json: not a JSON object", "fix or remove it"},
		},
		"Folder": {
			reason: "A folder where config.json should be is refused: the default keychain would silently push without credentials.",
			config: ptr("/"),
			want:   []string{"config.json: it is a folder, not a file", "fix or remove it"},
		},
		"MissingCredentialHelper": {
			reason: "A credential helper that is not installed is named with the fix.",
			config: ptr(`{"credsStore": "dataservice-test-missing"}`),
			want:   []string{"docker-credential-dataservice-test-missing", "must be on PATH", "docker login"},
		},
	}
	for n, tc := range cases {
		t.Run(n, func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("DOCKER_CONFIG", dir)
			switch {
			case tc.config == nil:
			case *tc.config == "/":
				if err := os.Mkdir(filepath.Join(dir, "config.json"), 0o755); err != nil {
					t.Fatal(err)
				}
			default:
				if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(*tc.config), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			reg, err := name.NewRegistry("127.0.0.1:5000")
			if err != nil {
				t.Fatal(err)
			}
			_, err = dockerKeychain{}.Resolve(reg)
			if len(tc.want) == 0 {
				if err != nil {
					t.Errorf("%s\nResolve(...): %v", tc.reason, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("%s\nResolve(...): want an error", tc.reason)
			}
			for _, w := range append(tc.want, dir) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s\nResolve(...): error does not contain %q: %v", tc.reason, w, err)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("%s\nResolve(...): error spans several lines: %q", tc.reason, err)
			}
		})
	}
}

func ptr(s string) *string { return &s }
