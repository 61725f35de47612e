package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/authn"
)

// dockerKeychain is authn.DefaultKeychain that first makes sure the Docker config it reads is
// readable: the default keychain silently pushes anonymously when config.json is a folder, and
// reports a broken file as "unexpected EOF" without saying where or what to do.
type dockerKeychain struct{}

func (dockerKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	path := dockerConfigPath()
	if err := checkDockerConfig(path); err != nil {
		return nil, err
	}
	a, err := authn.DefaultKeychain.Resolve(r)
	if err != nil {
		// Typically a credential helper (credsStore, credHelpers) that is not installed.
		return nil, fmt.Errorf("cannot get the credentials for %s with the Docker config %s: %s: each credsStore and credHelpers entry names a program docker-credential-NAME that must be on PATH; install it, or remove the entry and log in again with 'docker login'", r.RegistryStr(), path, Redact(err.Error()))
	}
	return a, nil
}

// dockerConfigPath is the config.json the Docker CLI, crane and the default keychain read:
// $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
func dockerConfigPath() string {
	dir := os.Getenv("DOCKER_CONFIG")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".docker")
	}
	return filepath.Join(dir, "config.json")
}

// checkDockerConfig returns an error naming the file (and line), what is wrong and the fix when a
// Docker config exists but cannot be read as one; none when there is no config at all.
func checkDockerConfig(path string) error {
	if path == "" {
		return nil
	}
	fail := func(where, what string) error {
		return fmt.Errorf("cannot read the Docker config %s: %s: fix or remove it, or set DOCKER_CONFIG to a folder whose config.json holds your registry credentials ('docker login' writes one)", where, what)
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fail(path, err.Error())
	case fi.IsDir():
		return fail(path, "it is a folder, not a file")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fail(path, err.Error())
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil // the Docker CLI reads an empty config as no config
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
			return fail(fmt.Sprintf("%s:%d", path, line), "not valid JSON: "+se.Error())
		}
		return fail(path, "not a JSON object: "+err.Error())
	}
	return nil
}
