package testtools

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestRootView runs a command as Crossplane v1's `core init` and provider-kubernetes are run: it
// finds the CRD folder at /crds, a service account at /var/run/secrets/kubernetes.io/serviceaccount
// (through the /var/run link of the machine, if it has one) and the machine's files where they are;
// the machine's / stays as it was.
func TestRootView(t *testing.T) {
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
	sa := filepath.Join(dir, "sa")
	if err := os.Mkdir(sa, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sa, "token"), []byte("tok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const saPath = "/var/run/secrets/kubernetes.io/serviceaccount"
	cmd := exec.Command("sh", "-c", "cat /crds/a.yaml "+mine+" "+saPath+"/token")
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	v := &rootView{root: root, mounts: map[string]string{"/crds": crds, saPath: sa}}
	if err := startIsolated(cmd, nil, v); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if _, err := os.Stat(saPath); err == nil {
		t.Errorf("%s exists outside the command's mount namespace", saPath)
	}
	if want := "kind: CustomResourceDefinition\napiVersion: v1\ntok\n"; out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
	if _, err := os.Stat("/crds"); err == nil {
		t.Errorf("/crds exists outside the command's mount namespace")
	}
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("%s holds %d entries outside the command's mount namespace, want none", root, len(entries))
	}
}
