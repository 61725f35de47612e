package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// operatorCRDs are the real operators' CRDs init is proven on: the two the internal examples
// compose, in the repository, and two more beside the clone (../shared/reference/operators).
var operatorCRDs = []struct {
	file, kind string
	shared     bool
}{
	{file: filepath.Join(internalCRDs, "hyperspike.io_valkeys.yaml"), kind: "hyperspike.io/v1 Valkey"},
	{file: filepath.Join(internalCRDs, "postgresql.cnpg.io_clusters.yaml"), kind: "postgresql.cnpg.io/v1 Cluster"},
	{file: filepath.Join("..", "..", "..", "shared", "reference", "operators", "rabbitmq.com_rabbitmqclusters.yaml"), kind: "rabbitmq.com/v1beta1 RabbitmqCluster", shared: true},
	{file: filepath.Join("..", "..", "..", "shared", "reference", "operators", "valkey.io_valkeyclusters.yaml"), kind: "valkey.io/v1alpha1 ValkeyCluster", shared: true},
}

// TestInitFromCRDGeneratesWithTheCRD scaffolds a DataService from each operator's CRD, for each
// Crossplane line, and generates it with the same CRD as written: init's output is the golden file
// testdata/init/<crd>-<line>.yaml (go test ./cmd/dataservice -run TestInit -update rewrites them).
func TestInitFromCRDGeneratesWithTheCRD(t *testing.T) {
	for _, op := range operatorCRDs {
		for _, line := range []string{"v1", "v2"} {
			name := strings.TrimSuffix(filepath.Base(op.file), ".yaml") + "-" + line
			t.Run(name, func(t *testing.T) {
				if _, err := os.Stat(op.file); op.shared && os.IsNotExist(err) {
					t.Skipf("%s is missing: the operators' CRDs are read from ../shared/reference/operators beside the clone", op.file)
				}
				dir := t.TempDir()
				spec := filepath.Join(dir, "spec.yaml")
				var stderr bytes.Buffer
				if err := (&initCmd{FromCRD: []string{op.file}, Crossplane: line, Group: "internal.example.com", Output: spec}).Run(context.Background(), streams{Out: &bytes.Buffer{}, Err: &stderr}); err != nil {
					t.Fatalf("init: %v", err)
				}
				if !strings.Contains(stderr.String(), "composing "+op.kind) {
					t.Errorf("init does not say what it composes:\n%s", stderr.String())
				}
				got := readTestFile(t, spec)
				golden := filepath.Join("testdata", "init", name+".yaml")
				if *update {
					writeTestFile(t, golden, got)
				}
				if diff := cmp.Diff(readTestFile(t, golden), got); diff != "" {
					t.Errorf("init output differs from %s (-want +got; -update rewrites it):\n%s", golden, diff)
				}
				stderr.Reset()
				out := filepath.Join(dir, "out", "package")
				if err := (&generateCmd{Files: []string{spec}, CRDs: []string{op.file}, Output: out, Name: "dataservices"}).Run(context.Background(), streams{Out: &bytes.Buffer{}, Err: &stderr}); err != nil {
					t.Fatalf("generate --crd of what init wrote: %v", err)
				}
				if !strings.Contains(stderr.String(), "type-checked against their CRDs (--crd): "+op.kind) {
					t.Errorf("generate did not type-check %s:\n%s", op.kind, stderr.String())
				}
			})
		}
	}
}

func TestInitRefuses(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "spec.yaml")
	writeTestFile(t, existing, "mine\n")
	both := filepath.Join(dir, "both.yaml")
	writeTestFile(t, both, readTestFile(t, operatorCRDs[0].file)+"\n---\n"+readTestFile(t, operatorCRDs[1].file))
	for _, tc := range []struct {
		name string
		c    initCmd
		want string
	}{
		{name: "ExistingFile", c: initCmd{FromCRD: []string{operatorCRDs[0].file}, Output: existing}, want: "exists: pass --force"},
		{name: "SeveralKinds", c: initCmd{FromCRD: []string{both}}, want: "the CRDs define 2 kinds (Cluster.postgresql.cnpg.io, Valkey.hyperspike.io): choose one with --kind"},
		{name: "UnknownKind", c: initCmd{FromCRD: []string{both}, Kind: "Redis"}, want: "--kind Redis: the CRDs define Cluster.postgresql.cnpg.io, Valkey.hyperspike.io"},
		{name: "UnknownVersion", c: initCmd{FromCRD: []string{operatorCRDs[0].file}, Version: "v9"}, want: `serves no version "v9": it serves v1`},
		{name: "NotACRD", c: initCmd{FromCRD: []string{existing}}, want: "--from-crd: " + existing},
		{name: "BadName", c: initCmd{Name: "Mongo DB"}, want: "--name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.c.Crossplane == "" {
				tc.c.Crossplane = "v1"
			}
			if tc.c.Group == "" {
				tc.c.Group = "internal.example.com"
			}
			err := tc.c.Run(context.Background(), streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("init: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if got := readTestFile(t, existing); got != "mine\n" {
		t.Errorf("a refused init changed the file: %q", got)
	}
}

// TestInitPicksAKind: --kind picks one of several CRDs, and the DataService goes to stdout
// without -o.
func TestInitPicksAKind(t *testing.T) {
	both := filepath.Join(t.TempDir(), "both.yaml")
	writeTestFile(t, both, readTestFile(t, operatorCRDs[0].file)+"\n---\n"+readTestFile(t, operatorCRDs[1].file))
	var stdout bytes.Buffer
	if err := (&initCmd{FromCRD: []string{both}, Kind: "cluster", Crossplane: "v2", Group: "db.example.org"}).Run(context.Background(), streams{Out: &stdout, Err: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kind: PostgresqlInstance", "group: db.example.org", "apiVersion: postgresql.cnpg.io/v1"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout does not hold %q:\n%s", want, stdout.String())
		}
	}
}

// TestInitBrokerGenerates: without --from-crd, init scaffolds an a9s broker's service that
// generates as written.
func TestInitBrokerGenerates(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "mongodb.yaml")
	if err := (&initCmd{Name: "mongodb", Crossplane: "v1", Group: "anynines.example.com", Output: spec}).Run(context.Background(), streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	mustGenerate(t, &generateCmd{Files: []string{spec}, Output: filepath.Join(dir, "out", "package")})
	if !strings.Contains(readTestFile(t, spec), "kind: ServiceInstance") {
		t.Errorf("the broker shape composes no ServiceInstance:\n%s", readTestFile(t, spec))
	}
}

// TestExplainCRD explains the fields of an operator's kind, for the paths a backend maps to.
func TestExplainCRD(t *testing.T) {
	var out bytes.Buffer
	if err := (&explainCmd{CRDs: []string{internalCRDs}, Kind: "Cluster", Path: "spec.storage"}).Run(streams{Out: &out, Err: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"KIND:     Cluster\nVERSION:  postgresql.cnpg.io/v1\nFIELD:    spec.storage <Object>", "  size\t<string>"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("explain --crd does not say %q:\n%s", want, out.String())
		}
	}
	err := (&explainCmd{CRDs: []string{internalCRDs}, Kind: "Valkey", Path: "spec.storag"}).Run(streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
	if err == nil || !strings.Contains(err.Error(), `spec has no field "storag"`) {
		t.Errorf("explain --crd of a misspelt path: %v", err)
	}
	if err := (&explainCmd{Kind: "Valkey"}).Run(streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}); err == nil || !strings.Contains(err.Error(), "without --crd") {
		t.Errorf("--kind of no CRD: %v", err)
	}
}
