package bindcrds

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// TestVendoredKlutchBindCRD proves the vendored klutch-bind CRD is the one klutch-bind ships: equal,
// byte for byte, to contrib/deploy/crd of the klutch-bind source the end-to-end tests build.
func TestVendoredKlutchBindCRD(t *testing.T) {
	src := filepath.Join(filepath.Dir(testtools.RepoRoot(t)), "shared", "third_party", "klutch-bind", "contrib", "deploy", "crd", "example-backend.klutch.anynines.com_apiserviceexporttemplates.yaml")
	want, err := os.ReadFile(src)
	if os.IsNotExist(err) {
		t.Skipf("no klutch-bind source at %s: the vendored CRD is not compared", src)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, KlutchBindCRD) {
		t.Errorf("klutch-bind/%s differs from %s: vendor it again", filepath.Base(src), src)
	}
}

// TestValidators builds both validators: the vendored CRDs are structural and serve the versions
// the generator writes.
func TestValidators(t *testing.T) {
	for name, v := range map[string]func() (any, error){
		"klutch-bind": func() (any, error) { return KlutchBind() },
		"kube-bind":   func() (any, error) { return KubeBind() },
	} {
		if _, err := v(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
