package function

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/function-dataservice/function-dataservice/internal/backendcrd"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"
)

// askCRDs adds to r what the function asks for of the CRDs of composed kinds, by name.
func askCRDs(r *fnv1.Requirements, names ...string) *fnv1.Requirements {
	if r == nil {
		r = &fnv1.Requirements{}
	}
	if r.ExtraResources == nil { //nolint:staticcheck // the field Crossplane 1.x reads
		r.ExtraResources = map[string]*fnv1.ResourceSelector{} //nolint:staticcheck // the field Crossplane 1.x reads
	}
	for _, n := range names {
		r.ExtraResources[backendCRDPrefix+n] = &fnv1.ResourceSelector{ //nolint:staticcheck // the field Crossplane 1.x reads
			ApiVersion: "apiextensions.k8s.io/v1",
			Kind:       "CustomResourceDefinition",
			Match:      &fnv1.ResourceSelector_MatchName{MatchName: n},
		}
	}
	return r
}

// operatorCRD is an operator's CRD as Crossplane delivers it: the file of examples/internal/crds,
// with the uid and resourceVersion a control plane gives it.
func operatorCRD(t *testing.T, file, resourceVersion string) *fnv1.Resource {
	t.Helper()
	set, err := backendcrd.Read(filepath.Join("..", "examples", "internal", "crds", file))
	if err != nil {
		t.Fatal(err)
	}
	crd := set.CRDs()[0].Object.DeepCopy()
	crd.UID = "6f1c2c3e-0d3a-4c55-9a4e-000000000000"
	crd.ResourceVersion = resourceVersion
	data, err := json.Marshal(crd)
	if err != nil {
		t.Fatal(err)
	}
	s := &structpb.Struct{}
	if err := protojson.Unmarshal(data, s); err != nil {
		t.Fatal(err)
	}
	return &fnv1.Resource{Resource: s}
}

// valkeySpec is the internal v2 example's spec, edited.
func valkeySpec(t *testing.T, edit func(string) string) *structpb.Struct {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "examples", "internal", "v2", "valkey.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		data = []byte(edit(string(data)))
	}
	var obj map[string]any
	if err := yaml.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	s, err := structpb.NewStruct(obj)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRunFunctionTypeChecksAgainstInstalledCRDs: the function asks Crossplane for the CRD of each
// kind a DataService composes; Kubernetes' own kinds have none. Until Crossplane answers it
// composes unchecked; a CRD that is not installed is a warning naming the kind; a path the
// installed CRD refuses is fatal, with the message dataservice generate --crd prints.
func TestRunFunctionTypeChecksAgainstInstalledCRDs(t *testing.T) {
	valkeys := "valkeys.hyperspike.io"
	typo := func(s string) string {
		return strings.Replace(s, "to: spec.storage.spec.resources", "to: spec.storag.spec.resources", 1)
	}
	call := func(xr *structpb.Struct, extra map[string]*fnv1.Resources) *fnv1.RunFunctionRequest {
		return &fnv1.RunFunctionRequest{Meta: onV22(""), Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: xr}}, ExtraResources: extra}
	}
	installed := func(rv string) map[string]*fnv1.Resources {
		return map[string]*fnv1.Resources{backendCRDPrefix + valkeys: {Items: []*fnv1.Resource{operatorCRD(t, "hyperspike.io_valkeys.yaml", rv)}}}
	}
	notInstalled := map[string]*fnv1.Resources{backendCRDPrefix + valkeys: {}}
	const typoMessage = `spec.compositions[0].backend.fields[5].to: Invalid value: "spec.storag.spec.resources.requests.storage": spec.storag: no such field in hyperspike.io/v1 Valkey; did you mean spec.storage.spec.resources.requests.storage?`
	notInstalledWarning := "hyperspike.io/v1 Valkey is composed without type-checking what the DataService maps onto it: the control plane serves no CustomResourceDefinition valkeys.hyperspike.io; " +
		"install the operator (or its CRD) and the next reconcile checks it, or check it offline with dataservice generate --crd"

	for name, tc := range map[string]struct {
		reason string
		req    *fnv1.RunFunctionRequest
		// fatal is a message the fatal result holds, "" when the DataService is composed.
		fatal string
		// warning is a warning the response holds.
		warning string
		// noWarning is a warning it must not hold.
		noWarning string
	}{
		"FirstCallAsksAndComposesUnchecked": {
			reason:    "Before Crossplane answers, the function composes without the CRD and says nothing of it: Crossplane calls again with it.",
			req:       call(valkeySpec(t, typo), nil),
			noWarning: notInstalledWarning,
		},
		"CRDNotInstalledIsAWarningNamingTheKind": {
			reason:  "A DataService installed before its operator composes, with a warning naming the kind.",
			req:     call(valkeySpec(t, typo), notInstalled),
			warning: notInstalledWarning,
		},
		"InstalledCRDRefusesATypo": {
			reason: "A path the installed CRD does not have is fatal, with generate --crd's message.",
			req:    call(valkeySpec(t, typo), installed("1")),
			fatal:  typoMessage,
		},
		"InstalledCRDAcceptsTheExample": {
			reason:    "The example is composed, checked: no warning of an unchecked kind.",
			req:       call(valkeySpec(t, nil), installed("1")),
			noWarning: "composed without type-checking",
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := New(logging.NewNopLogger())
			for _, c := range []string{"first call", "second call"} {
				rsp, err := f.RunFunction(context.Background(), tc.req)
				if err != nil {
					t.Fatal(err)
				}
				if got := rsp.GetRequirements().GetExtraResources()[backendCRDPrefix+valkeys].GetMatchName(); got != valkeys { //nolint:staticcheck // the field Crossplane 1.x reads
					t.Errorf("%s\n%s: the function does not ask for %s: %v", tc.reason, c, valkeys, rsp.GetRequirements())
				}
				if _, asked := rsp.GetRequirements().GetExtraResources()[backendCRDPrefix+"networkpolicies.networking.k8s.io"]; asked { //nolint:staticcheck // the field Crossplane 1.x reads
					t.Errorf("%s\n%s: the function asks for a CRD of NetworkPolicy, a built-in kind", tc.reason, c)
				}
				var fatals, warns []string
				for _, r := range rsp.GetResults() {
					if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
						fatals = append(fatals, r.GetMessage())
					} else {
						warns = append(warns, r.GetMessage())
					}
				}
				switch {
				case tc.fatal != "" && (len(fatals) != 1 || !strings.Contains(fatals[0], tc.fatal)):
					t.Errorf("%s\n%s: fatal results %q, want one holding %q", tc.reason, c, fatals, tc.fatal)
				case tc.fatal == "" && len(fatals) > 0:
					t.Errorf("%s\n%s: fatal results %q", tc.reason, c, fatals)
				case tc.fatal == "" && len(rsp.GetDesired().GetResources()) == 0:
					t.Errorf("%s\n%s: nothing composed", tc.reason, c)
				}
				if tc.warning != "" && !slices.Contains(warns, tc.warning) {
					t.Errorf("%s\n%s: warnings %q, want %q", tc.reason, c, warns, tc.warning)
				}
				if tc.noWarning != "" && slices.ContainsFunc(warns, func(w string) bool { return strings.Contains(w, tc.noWarning) }) {
					t.Errorf("%s\n%s: warnings %q hold %q", tc.reason, c, warns, tc.noWarning)
				}
			}
		})
	}

	t.Run("ACRDInstalledSinceTheLastReconcileIsCheckedAnew", func(t *testing.T) {
		f := New(logging.NewNopLogger())
		xr := valkeySpec(t, typo)
		for _, step := range []struct {
			extra map[string]*fnv1.Resources
			fatal bool
		}{{notInstalled, false}, {installed("1"), true}, {installed("1"), true}, {notInstalled, false}} {
			rsp, err := f.RunFunction(context.Background(), call(xr, step.extra))
			if err != nil {
				t.Fatal(err)
			}
			if got := hasFatal(rsp); got != step.fatal {
				t.Errorf("with %v: fatal %v, want %v: %v", step.extra, got, step.fatal, rsp.GetResults())
			}
		}
	})
}
