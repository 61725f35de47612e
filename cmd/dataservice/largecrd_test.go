package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// Large operator CRDs: some run to megabytes (ECK's, Percona's). init --from-crd and generate --crd
// must stay fast on them (issue 26: under 1 s together on a 2-core machine): BenchmarkOperatorCRD
// measures both, bench/generator.sh records it in bench/README.md.

// perconaMongoDB is Percona's operator for MongoDB, whose PerconaServerMongoDB CRD (966 KB,
// Apache License 2.0) is read from its Go module: nothing of it is kept in this repository.
const (
	perconaModule  = "github.com/percona/percona-server-mongodb-operator"
	perconaVersion = "v1.20.1"
	perconaCRD     = "config/crd/bases/psmdb.percona.com_perconaservermongodbs.yaml"
)

// syntheticCRD writes a CRD of at least size bytes made from CloudNativePG's: its spec schema
// holds copies of itself under further fields (mirror1, mirror2 …), CEL rules included, so that
// one version's schema is that large, as ECK's and Percona's are. It returns the file.
func syntheticCRD(t testing.TB, size int) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(internalCRDs, "postgresql.cnpg.io_clusters.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	crd := &extv1.CustomResourceDefinition{}
	if err := yaml.Unmarshal(data, crd); err != nil {
		t.Fatal(err)
	}
	root := crd.Spec.Versions[0].Schema.OpenAPIV3Schema
	spec := root.Properties["spec"]
	var out []byte
	for i := 1; len(out) < size; i++ {
		copied := *spec.DeepCopy()
		copied.Required = nil
		spec.Properties[fmt.Sprintf("mirror%d", i)] = copied
		root.Properties["spec"] = spec
		if out, err = yaml.Marshal(crd); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), "synthetic-crd.yaml")
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// initAndGenerate runs dataservice init --from-crd crd and generate --crd crd on what it wrote.
func initAndGenerate(t testing.TB, crd, line string) {
	t.Helper()
	dir := t.TempDir()
	spec := filepath.Join(dir, "spec.yaml")
	if err := (&initCmd{FromCRD: []string{crd}, Crossplane: line, Group: "internal.example.com", Output: spec}).Run(context.Background(), streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}); err != nil {
		t.Fatalf("init: %v", err)
	}
	var stderr bytes.Buffer
	if err := (&generateCmd{Files: []string{spec}, CRDs: []string{crd}, Output: filepath.Join(dir, "out", "package"), Name: "dataservices"}).Run(context.Background(), streams{Out: &bytes.Buffer{}, Err: &stderr}); err != nil {
		t.Fatalf("generate --crd: %v", err)
	}
	if !strings.Contains(stderr.String(), "type-checked against their CRDs") {
		t.Fatalf("generate did not type-check:\n%s", stderr.String())
	}
}

// TestInitAndGenerateOnALargeCRD: a CRD of more than 1.5 MB scaffolds and type-checks like a small one.
func TestInitAndGenerateOnALargeCRD(t *testing.T) {
	crd := syntheticCRD(t, 1536<<10)
	for _, line := range []string{"v1", "v2"} {
		t.Run(line, func(t *testing.T) { initAndGenerate(t, crd, line) })
	}
}

// BenchmarkOperatorCRD measures init --from-crd followed by generate --crd, each reading the CRD
// file, on Percona's PerconaServerMongoDB CRD and on a 1.86 MB CRD made from CloudNativePG's.
func BenchmarkOperatorCRD(b *testing.B) {
	fixtures := []struct{ name, path string }{
		{name: "percona-mongodb-966KB", path: filepath.Join(testtools.ModuleDir(b, perconaModule, perconaVersion), perconaCRD)},
		{name: "cnpg-synthetic-1.86MB", path: syntheticCRD(b, 1536<<10)},
	}
	for _, f := range fixtures {
		fi, err := os.Stat(f.path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("InitAndGenerate/"+f.name, func(b *testing.B) {
			b.Logf("%s: %d bytes", f.path, fi.Size())
			before := cpuTime(b)
			for b.Loop() {
				initAndGenerate(b, f.path, "v1")
			}
			// The machine is shared: CPU time says more than the wall time beside it.
			b.ReportMetric(float64((cpuTime(b)-before).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}

// cpuTime is the CPU time, user and system, the process has used.
func cpuTime(t testing.TB) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
