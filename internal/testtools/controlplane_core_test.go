package testtools

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestStartWithCRDsAtRoot runs a command as Crossplane v1's `core init` is run: it finds the CRD
// folder at /crds and the machine's files where they are, and / of the machine stays without crds.
func TestStartWithCRDsAtRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mount namespaces need root (CAP_SYS_ADMIN)")
	}
	if _, err := os.Stat("/crds"); err == nil {
		t.Skip("this machine has a /crds of its own")
	}
	dir := t.TempDir()
	crds := filepath.Join(dir, "crds")
	if err := os.Mkdir(crds, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(crds, "a.yaml"), []byte("kind: CustomResourceDefinition\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mine := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(mine, []byte("apiVersion: v1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", "cat /crds/a.yaml "+mine)
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := startWithCRDsAtRoot(cmd, root, crds); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if want := "kind: CustomResourceDefinition\napiVersion: v1\n"; out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
	if _, err := os.Stat("/crds"); err == nil {
		t.Errorf("/crds exists outside the command's mount namespace")
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("%s holds %d entries outside the command's mount namespace, want none", root, len(entries))
	}
}
