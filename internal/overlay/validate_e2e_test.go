package overlay_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/overlay"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// TestRebrandedAPIValidatesWithCrossplane checks the rebranded API with the real
// `crossplane beta validate` (v2.2.1): a claim of the new kind passes, one with a dropped plan fails.
func TestRebrandedAPIValidatesWithCrossplane(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: runs the real crossplane CLI (make test)")
	}
	xp := testtools.Crossplane(t, testtools.CrossplaneV2)
	base := testtools.ReadDataService(t, filepath.Join("..", "..", "examples", "klutch", "mongodb.yaml"))
	ds, _, err := overlay.Apply(base, decodeOverlay(t, acmeOverlay))
	if err != nil {
		t.Fatal(err)
	}
	out, err := generator.Generate(ds, inputv1beta1.Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	xrd, err := yaml.Marshal(out.XRD.Object)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	xrdPath := write("xrd.yaml", string(xrd))
	claim := "apiVersion: dbaas.acme.io/v1\nkind: DocumentDatabase\nmetadata: {name: orders, namespace: shop}\nspec:\n  service: acme-documentdb70\n  plan: %s\n  compositionRef: {name: acme-documentdb}\n"
	args := testtools.ValidateArgs(t, testtools.CrossplaneV2)

	good := write("good.yaml", strings.Replace(claim, "%s", "acme-docdb-replica-small-ssl", 1))
	cmd := exec.Command(xp, append([]string{"beta", "validate", xrdPath, good}, args...)...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("crossplane beta validate rejected a claim of the new kind: %v\n%s", err, b)
	}

	dropped := write("dropped.yaml", strings.Replace(claim, "%s", "acme-docdb-single-nano", 1))
	cmd = exec.Command(xp, append([]string{"beta", "validate", xrdPath, dropped}, args...)...)
	b, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("crossplane beta validate accepted the dropped plan:\n%s", b)
	}
	if !strings.Contains(string(b), `Unsupported value: "acme-docdb-single-nano"`) {
		t.Errorf("want the dropped plan named in the failure, got:\n%s", b)
	}
}
