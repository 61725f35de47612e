package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// internalCRDs are the operators' CRDs the internal examples compose.
var internalCRDs = filepath.Join("..", "..", "examples", "internal", "crds")

// TestGenerateTypeChecksAgainstCRDs generates the internal examples with the operators' CRDs, and
// specs broken as a user breaks them: each error names the spec file, the spec field, the bad path
// and the nearest valid one, and nothing is written.
func TestGenerateTypeChecksAgainstCRDs(t *testing.T) {
	for _, line := range []string{"v1", "v2"} {
		t.Run("Examples"+strings.ToUpper(line), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "package")
			var stderr bytes.Buffer
			c := &generateCmd{Files: []string{filepath.Join("..", "..", "examples", "internal", line)}, CRDs: []string{internalCRDs}, Output: out, Name: "dataservices"}
			if err := c.Run(context.Background(), streams{Out: &bytes.Buffer{}, Err: &stderr}); err != nil {
				t.Fatalf("generate --crd: %v", err)
			}
			if !strings.Contains(stderr.String(), "hyperspike.io/v1 Valkey") || !strings.Contains(stderr.String(), "note: type-checked against their CRDs (--crd): postgresql.cnpg.io/v1 Cluster") {
				t.Errorf("stderr does not say what was type-checked:\n%s", stderr.String())
			}
			t.Logf("stderr:\n%s", stderr.String())
		})
	}

	spec := readTestFile(t, filepath.Join("..", "..", "examples", "internal", "v2", "valkey.yaml"))
	for _, tc := range []struct {
		name   string
		edit   func(string) string
		line   string // v1 takes the v1 example
		want   []string
		stderr string
	}{
		{
			name: "TypoInATarget",
			edit: func(s string) string {
				return strings.Replace(s, "to: spec.storage.spec.resources", "to: spec.storag.spec.resources", 1)
			},
			want: []string{`valkey.yaml: DataService "valkey" is invalid:`, `spec.compositions[0].backend.fields[5].to: Invalid value: "spec.storag.spec.resources.requests.storage": spec.storag: no such field in hyperspike.io/v1 Valkey; did you mean spec.storage.spec.resources.requests.storage?`},
		},
		{
			name: "PlanValueOfTheWrongType",
			edit: func(s string) string {
				s = strings.Replace(s, "{name: replicas, type: integer,", "{name: replicas,", 1)
				for _, n := range []string{"0", "2", "3"} {
					s = strings.Replace(s, "replicas: "+n+"}", `replicas: "`+n+`"}`, 1)
				}
				return s
			},
			want: []string{`spec.compositions[0].backend.fields[6].to: Invalid value: "spec.replicas": a string (plan.replicas, declared type: string) mapped onto spec.replicas, an integer in hyperspike.io/v1 Valkey: declare the value type: integer at spec.plan.values[3], or add transforms: [{type: convert, convert: {toType: int64}}]`},
		},
		{
			name: "PlanValueTheCRDRefuses",
			edit: func(s string) string { return strings.Replace(s, "memory: 4Gi,", "memory: 4GB,", 1) },
			want: []string{`spec.compositions[0].backend.fields[3].to: Invalid value: "spec.resources.requests.memory": plan medium, service valkey-8: hyperspike.io/v1 Valkey refuses the composed object: spec.resources.requests.memory: Invalid value: "4GB"`},
		},
		{
			name: "TypoInTheBaseAndTheReadinessCheck",
			edit: func(s string) string {
				s = strings.Replace(s, "spec: {nodes: 1, volumePermissions: true}", "spec: {nodes: 1, volumePermision: true}", 1)
				return strings.Replace(s, "fieldPath: status.ready}", "fieldPath: status.redy}", 1)
			},
			want: []string{
				`spec.compositions[0].backend.base.spec.volumePermision: Invalid value: true: spec.volumePermision: no such field in hyperspike.io/v1 Valkey; did you mean spec.volumePermissions?`,
				`spec.compositions[0].backend.readinessChecks[0].fieldPath: Invalid value: "status.redy": status.redy: no such field in hyperspike.io/v1 Valkey; did you mean status.ready?`,
			},
		},
		{
			name: "InsideTheObjectOfCrossplane1",
			line: "v1",
			edit: func(s string) string {
				return strings.Replace(s, "to: spec.forProvider.manifest.spec.replicas}", "to: spec.forProvider.manifest.spec.replica}", 1)
			},
			want: []string{`spec.compositions[0].backend.fields[8].to: Invalid value: "spec.forProvider.manifest.spec.replica": spec.forProvider.manifest.spec.replica: no such field in hyperspike.io/v1 Valkey; did you mean spec.forProvider.manifest.spec.replicas?`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := spec
			if tc.line == "v1" {
				src = readTestFile(t, filepath.Join("..", "..", "examples", "internal", "v1", "valkey.yaml"))
			}
			dir := t.TempDir()
			p := filepath.Join(dir, "valkey.yaml")
			writeTestFile(t, p, tc.edit(src))
			out := filepath.Join(dir, "out", "package")
			err := (&generateCmd{Files: []string{p}, CRDs: []string{internalCRDs}, Output: out, Name: "dataservices"}).Run(context.Background(), streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
			if err == nil {
				t.Fatal("generate --crd accepted a spec the CRD refuses")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("the error does not say\n  %s\ngot:\n%v", w, err)
				}
			}
			if !strings.HasSuffix(err.Error(), "nothing was written") {
				t.Errorf("the error does not end saying nothing was written: %v", err)
			}
			if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
				t.Errorf("something was written: %v", err)
			}
			// Without the CRD the same spec generates: only --crd knows the operator's schema.
			if err := (&generateCmd{Files: []string{p}, Output: out, Name: "dataservices"}).Run(context.Background(), streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}); err != nil {
				t.Errorf("without --crd: %v", err)
			}
		})
	}
}

// TestGenerateListsWhatIsNotTypeChecked: kinds no CRD given defines are named once on stderr, and
// a CRD nothing composes is named too.
func TestGenerateListsWhatIsNotTypeChecked(t *testing.T) {
	var stderr bytes.Buffer
	out := filepath.Join(t.TempDir(), "package")
	c := &generateCmd{Files: []string{filepath.Join("..", "..", "examples", "internal", "v2"), filepath.Join("..", "..", "examples", "klutch")}, CRDs: []string{filepath.Join(internalCRDs, "hyperspike.io_valkeys.yaml"), filepath.Join("..", "..", "internal", "backendcrd", "testdata", "widgets.yaml")}, Output: out, Name: "dataservices"}
	if err := c.Run(context.Background(), streams{Out: &bytes.Buffer{}, Err: &stderr}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"note: not type-checked, no CRD given for their kinds (pass it with --crd): postgresql.cnpg.io/v1 Cluster, networking.k8s.io/v1 NetworkPolicy, dataservices.anynines.com/v1 ServiceInstance, kubernetes.crossplane.io/v1alpha1 Object, postgresql.anynines.com/v1beta3 Postgresql, dataservices.anynines.com/v1 ServiceBinding, servicebindings.anynines.com/v1beta3 ServiceBinding\n",
		"note: no DataService composes the kinds of these CRDs (--crd): widgets.example.org (../../internal/backendcrd/testdata/widgets.yaml)",
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr.String())
		}
	}
	if n := strings.Count(stderr.String(), "not type-checked"); n != 1 {
		t.Errorf("the unchecked kinds are listed %d times, want once", n)
	}
}

func TestGenerateCRDErrorsNameTheFile(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "crd.yaml")
	writeTestFile(t, bad, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
	err := generateErr(t, &generateCmd{Files: []string{filepath.Join("..", "..", "examples", "internal", "v2")}, CRDs: []string{bad}, Output: filepath.Join(t.TempDir(), "p")})
	if err == nil || !strings.Contains(err.Error(), "--crd: "+bad+": no CustomResourceDefinition") {
		t.Fatalf("want an error naming --crd and the file, got %v", err)
	}
}

// TestREADMEShowsTypeCheckErrorsAsPrinted keeps the README's example of generate --crd's errors
// what the command prints for the example Valkey with those three mistakes.
func TestREADMEShowsTypeCheckErrorsAsPrinted(t *testing.T) {
	readme := readTestFile(t, filepath.Join("..", "..", "README.md"))
	start := strings.Index(readme, "$ dataservice generate -f valkey.yaml --crd examples/internal/crds")
	if start < 0 {
		t.Fatal("README.md shows no generate --crd errors")
	}
	block := readme[start:]
	block = block[:strings.Index(block, "nothing was written")]
	spec := readTestFile(t, filepath.Join("..", "..", "examples", "internal", "v2", "valkey.yaml"))
	spec = strings.Replace(spec, "to: spec.storage.spec.resources", "to: spec.storag.spec.resources", 1)
	spec = strings.Replace(spec, "{name: replicas, type: integer,", "{name: replicas,", 1)
	for _, n := range []string{"0", "2", "3"} {
		spec = strings.Replace(spec, "replicas: "+n+"}", `replicas: "`+n+`"}`, 1)
	}
	spec = strings.Replace(spec, "memory: 4Gi,", "memory: 4GB,", 1)
	p := filepath.Join(t.TempDir(), "valkey.yaml")
	writeTestFile(t, p, spec)
	err := (&generateCmd{Files: []string{p}, CRDs: []string{internalCRDs}, Output: filepath.Join(t.TempDir(), "package"), Name: "dataservices"}).Run(context.Background(), streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
	if err == nil {
		t.Fatal("generate --crd accepted the README's broken Valkey")
	}
	n := 0
	for _, line := range strings.Split(block, "\n") {
		if !strings.HasPrefix(line, "  spec.") {
			continue
		}
		n++
		if !strings.Contains(err.Error(), strings.TrimSpace(line)) {
			t.Errorf("README.md shows\n%s\nwhich generate --crd does not print:\n%v", line, err)
		}
	}
	if n != 4 || strings.Count(err.Error(), "\n  spec.") != 4 {
		t.Errorf("README.md shows %d errors, generate prints:\n%v", n, err)
	}
}
