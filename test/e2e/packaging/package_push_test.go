package packaging

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// registries are the two registries every push test runs against.
func registries() map[string][]testtools.RegistryOption {
	return map[string][]testtools.RegistryOption{
		"NoAuth":   nil,
		"Htpasswd": {testtools.WithHtpasswd("platform-ci", "correct horse battery staple")},
	}
}

// env is the environment of a CLI talking to the registry: its Docker config, or an empty one.
func env(t *testing.T, reg *testtools.PackageRegistry) []string {
	if reg.DockerConfig == "" {
		return isolated(t)
	}
	return append(os.Environ(), "DOCKER_CONFIG="+reg.DockerConfig)
}

// keychain reads the registry's credentials as the CLIs do, for checks from the test itself.
func keychain(t *testing.T, reg *testtools.PackageRegistry) remote.Option {
	if reg.User == "" {
		return remote.WithAuth(authn.Anonymous)
	}
	return remote.WithAuth(&authn.Basic{Username: reg.User, Password: reg.Password})
}

// TestPackagePushAndExtract pushes the Configuration package with dataservice and the same file
// with `crossplane xpkg push`: equal manifest digests; `crossplane xpkg extract` pulls ours back
// and its package.yaml equals ours.
func TestPackagePushAndExtract(t *testing.T) {
	e2e(t)
	crank := testtools.Crossplane(t, testtools.CrossplaneV2)
	root := klutchRoot(t)
	pkg := filepath.Join(t.TempDir(), "dataservices.xpkg")
	built := must(t, nil, cli(t), "build", root, "-o", pkg).stderr
	ours := must(t, nil, cli(t), "extract", pkg).stdout

	for regName, opts := range registries() {
		t.Run(regName, func(t *testing.T) {
			reg := testtools.StartPackageRegistry(t, opts...)
			e := env(t, reg)
			ref := reg.Ref("platform/dataservices:v0.1.0")

			r := must(t, e, cli(t), "push", ref, "-f", pkg)
			pushed := strings.TrimSpace(r.stdout)
			if !strings.HasPrefix(pushed, ref+"@sha256:") {
				t.Fatalf("push printed %q, want %s@sha256:...", pushed, ref)
			}
			digest := strings.TrimPrefix(pushed, ref+"@")
			t.Logf("dataservice push: %s", pushed)
			if !strings.Contains(built, "pushed as "+digest) {
				t.Errorf("build predicted another manifest digest than push gave (%s):\n%s", digest, built)
			}

			// The same file with the real CLI: the same manifest.
			crankRef := reg.Ref("platform/dataservices-crossplane:v0.1.0")
			must(t, e, crank, "xpkg", "push", "--package-files="+pkg, crankRef)
			tag, err := name.NewTag(crankRef)
			if err != nil {
				t.Fatal(err)
			}
			desc, err := remote.Head(tag, keychain(t, reg))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("crossplane xpkg push: %s@%s", crankRef, desc.Digest)
			if desc.Digest.String() != digest {
				t.Errorf("manifest digests differ: dataservice %s, crossplane %s", digest, desc.Digest)
			}

			// The real CLI pulls ours back.
			gz := filepath.Join(t.TempDir(), "out.gz")
			must(t, e, crank, "xpkg", "extract", ref, "-o", gz)
			if got := gunzip(t, gz); !bytes.Equal(got, []byte(ours)) {
				t.Errorf("package.yaml from crossplane xpkg extract differs from ours (%d and %d bytes)", len(got), len(ours))
			}
			// And so does ours, in Crossplane's cache format byte for byte.
			ourGz := filepath.Join(t.TempDir(), "ours.gz")
			must(t, e, cli(t), "extract", ref, "-o", ourGz)
			if fileSHA256(t, ourGz) != fileSHA256(t, gz) {
				t.Errorf("dataservice extract -o out.gz differs from crossplane xpkg extract")
			}

			// Pushing again uploads nothing.
			r = must(t, e, cli(t), "push", reg.Ref("platform/dataservices:v0.1.1"), "-f", pkg)
			if !strings.Contains(r.stderr, "nothing uploaded, the registry had every blob already") {
				t.Errorf("second push: %s", r.stderr)
			}

			// Inspect reads it back from the registry.
			r = must(t, e, cli(t), "inspect", ref)
			for _, want := range []string{"Digest:    " + digest, "Meta:      Configuration dataservices", "CompositeResourceDefinition", "io.crossplane.xpkg: base (package.yaml)", "io.crossplane.xpkg: upbound (examples)", "MongoDBInstance"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("inspect does not show %q:\n%s", want, r.stdout)
				}
			}

			if reg.User == "" {
				return
			}
			r = run(t, isolated(t), cli(t), "push", reg.Ref("platform/dataservices:nocreds"), "-f", pkg, "--retries", "0")
			if r.code == 0 || !strings.Contains(r.stderr, "docker login") {
				t.Errorf("push without credentials: exit %d, want a failure that says how to log in:\n%s", r.code, r.stderr)
			}
		})
	}
}

// headDigest is the manifest digest of a reference, as the registry has it.
func headDigest(t *testing.T, reg *testtools.PackageRegistry, ref string) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(r, keychain(t, reg), remote.WithContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	return desc.Digest.String()
}
