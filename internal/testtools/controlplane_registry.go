package testtools

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// PushFunctionPackage builds the Crossplane package of a released composition function from its
// module's package/ folder with the real crossplane CLI, without a runtime image (the External
// runtime runs the function's binary as a process, see StartFunction), pushes it to reg as
// crossplane-contrib/NAME:VERSION and returns that reference, which Crossplane pulls.
func PushFunctionPackage(t testing.TB, reg *PackageRegistry, name, version string) string {
	t.Helper()
	return pushModulePackage(t, reg, knownTool(t, "function", functionTools, name), name, version)
}

// PushProviderPackage is PushFunctionPackage for a provider: its module's package/ folder holds
// crossplane.yaml and the CRDs of its managed resources.
func PushProviderPackage(t testing.TB, reg *PackageRegistry, name, version string) string {
	t.Helper()
	return pushModulePackage(t, reg, knownTool(t, "provider", providerTools, name), name, version)
}

func pushModulePackage(t testing.TB, reg *PackageRegistry, tl tool, name, version string) string {
	t.Helper()
	root := filepath.Join(ModuleDir(t, tl.module, version), "package")
	ref := reg.Ref("crossplane-contrib/" + name + ":" + version)
	crank := Crossplane(t, CrossplaneV2)
	dir := t.TempDir()
	xpkg := filepath.Join(dir, name+"-"+version+".xpkg")
	// The package carries no examples: point the CLI at an empty folder instead of ./examples.
	examples := filepath.Join(dir, "no-examples")
	if err := os.Mkdir(examples, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"xpkg", "build", "--package-root=" + root, "--examples-root=" + examples, "--package-file=" + xpkg},
		{"xpkg", "push", "--package-files=" + xpkg, ref},
	} {
		cmd := exec.Command(crank, args...)
		cmd.Dir = dir
		cmd.Env = reg.Env()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("crossplane %v: %v\n%s", args, err, out)
		}
	}
	return ref
}
