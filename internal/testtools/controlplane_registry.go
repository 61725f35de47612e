package testtools

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// A Registry is Debian's docker-registry (distribution 2.8) serving plain HTTP on 127.0.0.1, storing
// in the run folder. Crossplane and go-containerregistry speak HTTP to loopback registries, and
// Crossplane's package-name rule accepts 127.0.0.1:PORT as a registry.
type Registry struct {
	// Addr is 127.0.0.1:PORT, the registry part of references to it.
	Addr string

	run *runDir
}

// StartRegistry starts a registry whose log lands beside the control plane's.
func (cp *ControlPlane) StartRegistry(t testing.TB) *Registry {
	t.Helper()
	return startRegistry(t, cp.run)
}

// StartRegistry starts a registry on its own, with its own run folder (kept when the test fails).
func StartRegistry(t testing.TB) *Registry {
	t.Helper()
	return startRegistry(t, newRunDir(t))
}

func startRegistry(t testing.TB, r *runDir) *Registry {
	t.Helper()
	bin := DockerRegistry(t)
	addr := "127.0.0.1:" + strconv.Itoa(freePorts(t, 1)[0])
	storage := r.mkdir(t, "registry")
	cfg := filepath.Join(r.dir, "registry.yaml")
	writeFile(t, cfg, `version: 0.1
log: {level: info, formatter: text}
storage:
  filesystem: {rootdirectory: "`+storage+`"}
  delete: {enabled: true}
http: {addr: "`+addr+`"}
`, 0o644)
	p := r.start(t, "registry", processGrace, nil, bin, "serve", cfg)
	r.waitFor(t, "docker-registry to serve on "+addr, p, startTimeout, func() (bool, string) {
		return httpOK(http.DefaultClient, "http://"+addr+"/v2/")
	})
	r.lap(t, "registry serving on %s", addr)
	return &Registry{Addr: addr, run: r}
}

// PushFunctionPackage builds the Crossplane package of a released composition function (its
// module's package/ folder, no runtime image: the External runtime runs the binary as a process)
// with the real crossplane CLI and pushes it as 127.0.0.1:PORT/crossplane-contrib/NAME:VERSION, the
// reference it returns.
func (reg *Registry) PushFunctionPackage(t testing.TB, name, version string) string {
	t.Helper()
	tl, ok := functionTools[name]
	if !ok {
		t.Fatalf("unknown function %q", name)
	}
	root := filepath.Join(ModuleDir(t, tl.module, version), "package")
	ref := reg.Addr + "/crossplane-contrib/" + name + ":" + version
	xpkg := filepath.Join(reg.run.mkdir(t, "packages"), name+"-"+version+".xpkg")
	crank := Crossplane(t, CrossplaneV2)
	// The package carries no examples; point the CLI at an empty folder instead of ./examples.
	examples := reg.run.mkdir(t, "packages", "no-examples")
	reg.crank(t, crank, "xpkg", "build", "--package-root="+root, "--examples-root="+examples, "--package-file="+xpkg)
	reg.crank(t, crank, "xpkg", "push", "--package-files="+xpkg, ref)
	reg.run.lap(t, "pushed %s", ref)
	return ref
}

func (reg *Registry) crank(t testing.TB, bin string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = reg.run.dir
	// The CLI reads registry credentials from here; keep the user's out of the test.
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+reg.run.mkdir(t, "docker-config"), "HOME="+reg.run.mkdir(t, "home"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("crossplane %v: %v\n%s", args, err, out)
	}
}
