package function

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// fuzzSeeds are the checked-in seed corpus of FuzzRunFunction: every example DataService as
// Crossplane sends it, with no input, the Composition's input and an input of the v2 line, plus
// the smallest request and a few shapes that once needed care.
func fuzzSeeds(t testing.TB) []testtools.FuzzSeed {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "examples", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	compositionInput := []byte(`{"apiVersion":"dataservice.fn.crossplane.io/v1beta1","kind":"Input","defaults":{"crossplaneVersion":"v1","exportNamespace":"crossplane-system","providerConfigNameFormat":"%s-service-broker","patchAndTransform":"function-patch-and-transform"}}`)
	v2Input := []byte(`{"apiVersion":"dataservice.fn.crossplane.io/v1beta1","kind":"Input","defaults":{"crossplaneVersion":"v2"}}`)
	established := []byte(`{"xrd":{"apiVersion":"apiextensions.crossplane.io/v1","kind":"CompositeResourceDefinition","metadata":{"name":"x"},"status":{"conditions":[{"type":"Established","status":"True"},{"type":"Offered","status":"True"}]}}}`)
	var seeds []testtools.FuzzSeed
	for _, f := range files {
		y, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		j, err := yaml.YAMLToJSON(y)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var tm struct{ Kind string }
		if err := json.Unmarshal(j, &tm); err != nil || tm.Kind != "DataService" {
			continue // overlays, render inputs
		}
		name := "example-" + filepath.Base(filepath.Dir(f)) + "-" + strings.TrimSuffix(filepath.Base(f), ".yaml")
		seeds = append(seeds,
			testtools.FuzzSeed{Name: name, Args: []any{j, []byte{}, []byte{}}},
			testtools.FuzzSeed{Name: name + "-input", Args: []any{j, established, compositionInput}},
			testtools.FuzzSeed{Name: name + "-v2", Args: []any{j, []byte{}, v2Input}},
		)
	}
	if len(seeds) == 0 {
		t.Fatal("no example DataService found under ../examples")
	}
	seeds = append(seeds,
		testtools.FuzzSeed{Name: "empty", Args: []any{[]byte{}, []byte{}, []byte{}}},
		testtools.FuzzSeed{Name: "not-a-dataservice", Args: []any{[]byte(`{"apiVersion":"example.org/v1","kind":"XCache","metadata":{"name":"c"},"spec":{}}`), []byte{}, []byte{}}},
		testtools.FuzzSeed{Name: "wrong-types", Args: []any{[]byte(`{"apiVersion":"dataservice.klutch.io/v1alpha1","kind":"DataService","metadata":{"name":1,"labels":[]},"spec":{"group":["a.b"],"compositions":{"name":"c"},"plan":7}}`), []byte(`{"xrd":"x","composition-c":{"status":[]}}`), []byte{}}},
		testtools.FuzzSeed{Name: "input-wrong-types", Args: []any{[]byte(`{"apiVersion":"dataservice.klutch.io/v1alpha1","kind":"DataService","metadata":{"name":"c"},"spec":{}}`), []byte{}, []byte(`{"apiVersion":"dataservice.fn.crossplane.io/v1beta1","kind":"Input","defaults":[]}`)}},
		testtools.FuzzSeed{Name: "unknown-fields", Args: []any{[]byte(`{"apiVersion":"dataservice.klutch.io/v1alpha1","kind":"DataService","metadata":{"name":"c"},"spec":{"group":"a.b","kind":"C","plns":[],"compositions":[{"name":"c","plans":["c-small"],"backend":{"apiVersion":"a/v1","kind":"B","fields":[{"from":"x"}]}}]}}`), []byte{}, []byte(`{"apiVersion":"dataservice.fn.crossplane.io/v1beta1","kind":"Input","defaults":{"crossplaneVersion":"v3","exportNamespace":"Not_A_Namespace"}}`)}},
	)
	return seeds
}

// TestFuzzCorpus keeps the checked-in seed corpus of FuzzRunFunction in step with the examples.
func TestFuzzCorpus(t *testing.T) {
	testtools.CheckFuzzCorpus(t, "FuzzRunFunction", fuzzSeeds(t))
}

// FuzzRunFunction calls RunFunction with arbitrary observed composites, observed composed resources
// and inputs, each a structpb.Struct from fuzzed JSON (absent when the JSON is not an object). The
// function must always answer: no error, no panic, a response gRPC can send, a fatal result with a
// message or the desired objects, and the same answer again from its cache.
func FuzzRunFunction(f *testing.F) {
	fn := New(logging.NewNopLogger())
	f.Fuzz(func(t *testing.T, composite, composed, input []byte) {
		req := &fnv1.RunFunctionRequest{Meta: &fnv1.RequestMeta{Tag: "fuzz"}, Observed: &fnv1.State{}}
		// Crossplane v2.2, or 1.x once it delivered the CRD of XRDs (whose first call only asks).
		if len(composed)%2 == 0 {
			req.Meta = onV22("fuzz")
		} else {
			withCRD(req, "v1")
		}
		if s := fuzzStruct(composite); s != nil {
			req.Observed.Composite = &fnv1.Resource{Resource: s}
		}
		if s := fuzzStruct(composed); s != nil {
			req.Observed.Resources = map[string]*fnv1.Resource{}
			for name, v := range s.GetFields() {
				if r := v.GetStructValue(); r != nil {
					req.Observed.Resources[name] = &fnv1.Resource{Resource: r}
				}
			}
		}
		req.Input = fuzzStruct(input)

		rsp, err := fn.RunFunction(context.Background(), req)
		if err != nil {
			t.Fatalf("RunFunction returned an error instead of a result: %v", err)
		}
		if rsp == nil {
			t.Fatal("RunFunction returned no response")
		}
		if _, err := proto.Marshal(rsp); err != nil {
			t.Fatalf("the response cannot be sent over gRPC: %v", err)
		}
		fatal := false
		for _, r := range rsp.GetResults() {
			if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
				fatal = true
				if strings.TrimSpace(r.GetMessage()) == "" {
					t.Fatal("fatal result without a message")
				}
			}
		}
		if !fatal {
			if rsp.GetDesired().GetResources()[string(nameXRD)] == nil {
				t.Fatalf("no fatal result, but no XRD composed either: %v", rsp)
			}
			if rsp.GetDesired().GetComposite().GetResource().GetFields()["status"] == nil {
				t.Fatalf("no fatal result, but no status on the DataService either: %v", rsp)
			}
		}

		again, err := fn.RunFunction(context.Background(), req)
		if err != nil {
			t.Fatalf("second call: %v", err)
		}
		if !proto.Equal(rsp, again) {
			t.Fatalf("the second call (from the cache) answered differently:\nfirst:  %v\nsecond: %v", rsp, again)
		}
	})
}

// fuzzStruct is the structpb.Struct of a JSON object, or nil.
func fuzzStruct(data []byte) *structpb.Struct {
	if len(data) == 0 {
		return nil
	}
	s := &structpb.Struct{}
	if err := protojson.Unmarshal(data, s); err != nil {
		return nil
	}
	return s
}
