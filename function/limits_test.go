package function

import (
	"context"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// TestRunFunctionRefusesHugeDataServices sends DataServices far beyond what an API server stores,
// as crossplane render can: the function answers with a short fatal result naming the limit,
// composes nothing, and does not echo the input back.
func TestRunFunctionRefusesHugeDataServices(t *testing.T) {
	cases := map[string]struct {
		reason string
		spec   string
		want   string
	}{
		"FourMiBDescription": {
			reason: "A 4 MiB observed composite: the spec is beyond 1.5 MiB.",
			spec:   `{"group": "example.org", "kind": "CacheInstance", "plan": {"description": "` + strings.Repeat("a", 4<<20) + `"}, "compositions": [{"name": "cache", "plans": ["cache-small"], "backend": {"apiVersion": "example.org/v1", "kind": "Cache"}}]}`,
			want:   "spec: Too long: the spec takes 4.0 MiB as JSON, at most 1.5 MiB are allowed",
		},
		"ManyVersionsOfALargeSchema": {
			reason: "A 600 KiB schema served at three versions generates an XRD beyond 1.5 MiB.",
			spec:   `{"group": "example.org", "kind": "CacheInstance", "versions": [{"name": "v1"}, {"name": "v2"}, {"name": "v3"}], "parameters": {"schema": {"type": "object", "description": "` + strings.Repeat("a", 600<<10) + `"}}, "compositions": [{"name": "cache", "plans": ["cache-small"], "backend": {"apiVersion": "example.org/v1", "kind": "Cache"}}]}`,
			want:   "spec: Too long: the generated XRD takes 1.8 MiB as JSON, at most 1.5 MiB are allowed",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := &fnv1.RunFunctionRequest{Meta: onV22(""), Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: dataService(t, "cache", tc.spec)}}}
			rsp, err := New(logging.NewNopLogger()).RunFunction(context.Background(), req)
			if err != nil {
				t.Fatalf("%s\nRunFunction(...): %v", tc.reason, err)
			}
			results := rsp.GetResults()
			if len(results) != 1 || results[0].GetSeverity() != fnv1.Severity_SEVERITY_FATAL {
				t.Fatalf("%s\nRunFunction(...): results %v, want one fatal result", tc.reason, results)
			}
			if msg := results[0].GetMessage(); !strings.Contains(msg, tc.want) || len(msg) > 1024 {
				t.Errorf("%s\nfatal result %.300q (%d bytes): want a short message containing %q", tc.reason, msg, len(msg), tc.want)
			}
			if n := len(rsp.GetDesired().GetResources()); n > 0 {
				t.Errorf("%s\ncomposed %d resources", tc.reason, n)
			}
		})
	}
}
