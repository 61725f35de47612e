package testtools

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// PackageRegistry is an OCI registry (distribution's, see DistributionRegistry) serving plain
// HTTP on 127.0.0.1 for one test, optionally behind htpasswd auth, with a Docker config holding
// its credentials: what package push and pull tests run against.
type PackageRegistry struct {
	// Host is host:port, e.g. 127.0.0.1:40123: prefix of every reference, e.g. Host+"/platform/x:v1".
	Host string
	// User and Password are the credentials when the registry requires them.
	User, Password string
	// DockerConfig is a folder holding a config.json with the credentials, for DOCKER_CONFIG; empty
	// without auth.
	DockerConfig string
}

// Env returns the environment of a process that talks to the registry with the credentials of
// DockerConfig (go-containerregistry's and the crossplane CLI's default keychain read it).
func (r *PackageRegistry) Env() []string {
	env := os.Environ()
	if r.DockerConfig != "" {
		env = append(env, "DOCKER_CONFIG="+r.DockerConfig)
	}
	return env
}

// RegistryOption configures StartRegistry.
type RegistryOption func(*registryConfig)

type registryConfig struct{ user, password string }

// WithHtpasswd requires the user and password (HTTP basic auth from an htpasswd file).
func WithHtpasswd(user, password string) RegistryOption {
	return func(c *registryConfig) { c.user, c.password = user, password }
}

// StartPackageRegistry starts distribution's registry on a free loopback port with storage in t.TempDir()
// and stops it when the test ends.
func StartPackageRegistry(t testing.TB, opts ...RegistryOption) *PackageRegistry {
	t.Helper()
	bin := DistributionRegistry(t)
	var rc registryConfig
	for _, o := range opts {
		o(&rc)
	}
	dir := t.TempDir()
	r := &PackageRegistry{User: rc.user, Password: rc.password}
	auth := ""
	if rc.user != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(rc.password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, []byte(rc.user+":"+string(hash)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		auth = fmt.Sprintf("auth:\n  htpasswd:\n    realm: test\n    path: %s\n", htpasswd)
	}

	// A port is free when we ask, and may be taken before the registry binds it: try a few.
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		r.Host = fmt.Sprintf("127.0.0.1:%d", freePorts(t, 1)[0])
		cfg := filepath.Join(dir, "config.yml")
		storage := filepath.Join(dir, "storage")
		config := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
%s`, storage, r.Host, auth)
		if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
		logFile, err := os.Create(filepath.Join(dir, fmt.Sprintf("registry-%d.log", attempt)))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "serve", cfg)
		cmd.Stdout, cmd.Stderr = logFile, logFile
		// Its own environment only: no REGISTRY_* variables of the machine leak in.
		cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
		if err := cmd.Start(); err != nil {
			logFile.Close()
			t.Fatalf("cannot start %s: %v", bin, err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait(); logFile.Close() }()
		if err := waitRegistryReady(r.Host, exited); err != nil {
			_ = cmd.Process.Kill()
			<-exited
			log, _ := os.ReadFile(logFile.Name())
			lastErr = fmt.Errorf("%v\n%s", err, log)
			continue
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			<-exited
		})
		if rc.user != "" {
			r.DockerConfig = filepath.Join(dir, "docker")
			writeDockerConfig(t, r.DockerConfig, r.Host, rc.user, rc.password)
		}
		return r
	}
	t.Fatalf("registry did not start: %v", lastErr)
	return nil
}

// waitReady polls /v2/ until the registry answers (200, or 401 with auth) or exits. The number of
// polls is bounded; the wait between them is short.
func waitRegistryReady(host string, exited <-chan error) error {
	client := &http.Client{Timeout: 2 * time.Second}
	for i := 0; i < 200; i++ {
		select {
		case err := <-exited:
			return fmt.Errorf("registry exited: %v", err)
		default:
		}
		resp, err := client.Get("http://" + host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("registry on %s did not answer", host)
}

// writeDockerConfig writes a Docker config.json with credentials for host.
func writeDockerConfig(t testing.TB, dir, host, user, password string) {
	t.Helper()
	cfg := map[string]any{"auths": map[string]any{
		host: map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(user + ":" + password))},
	}}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Ref is a reference in the registry, e.g. r.Ref("platform/dataservices:v1").
func (r *PackageRegistry) Ref(repoTag string) string {
	return r.Host + "/" + strings.TrimPrefix(repoTag, "/")
}
