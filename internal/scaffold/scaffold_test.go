package scaffold

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/function-dataservice/function-dataservice/internal/backendcrd"
)

func TestFromCRDLeavesOutWhatTheCRDRefuses(t *testing.T) {
	set, err := backendcrd.Read("testdata/strict.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"v1", "v2"} {
		t.Run(line, func(t *testing.T) {
			r, err := FromCRD(set, Options{Line: line, Group: "internal.example.com", CRDFile: "strict.yaml"})
			if err != nil {
				t.Fatal(err)
			}
			got := string(r.YAML)
			for _, want := range []string{
				// The large plan's 3 replicas break the CRD's rule: the mapping is left out, and
				// the file says why.
				"spec.replicas is not mapped from plan.replicas: plan large",
				"at most two replicas",
				"- no CPU or memory",
				"- no storage",
				`owner: change-me  # REQUIRED by the CRD, which has no default: set it`,
				"tier: bronze  # required by the CRD; its first allowed value",
				"- {type: None}",
				"kind: ExampleInstance", // Cache names no data service: the group does
			} {
				if !strings.Contains(got, want) {
					t.Errorf("the DataService does not hold %q:\n%s", want, got)
				}
			}
			if line == "v2" && !strings.Contains(got, "scope: Cluster") {
				t.Errorf("a cluster-scoped CR on v2 needs a cluster-scoped composite:\n%s", got)
			}
			if strings.Contains(got, "kind: Object") {
				t.Errorf("a cluster-scoped CR is composed directly on every line:\n%s", got)
			}
		})
	}
}

func TestAPIKind(t *testing.T) {
	for _, tc := range []struct{ group, kind, want string }{
		{"hyperspike.io", "Valkey", "ValkeyInstance"},
		{"postgresql.cnpg.io", "Cluster", "PostgresqlInstance"},
		{"rabbitmq.com", "RabbitmqCluster", "RabbitmqClusterInstance"},
		{"db.example.org", "DatabaseInstance", "DatabaseInstance"},
		{"my-ops.example.org", "Database", "MyOpsInstance"},
	} {
		if got := apiKind(schemaGVK(tc.group, tc.kind)); got != tc.want {
			t.Errorf("apiKind(%s %s) = %s, want %s", tc.group, tc.kind, got, tc.want)
		}
	}
}

func TestServiceName(t *testing.T) {
	for in, want := range map[string]string{"ghcr.io/valkey/valkey:8.1": "valkey-8.1", "8.15.0": "v8.15.0", "": "default", "postgres@sha256:ab": "postgres-sha256-ab"} {
		if got := serviceName(in); got != want {
			t.Errorf("serviceName(%q) = %q, want %q", in, got, want)
		}
	}
}

func schemaGVK(group, kind string) schema.GroupVersionKind {
	return schema.GroupVersionKind{Group: group, Version: "v1", Kind: kind}
}
