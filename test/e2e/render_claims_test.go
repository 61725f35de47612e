package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/function-dataservice/function-dataservice/internal/reference"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// testRenderClaimsThroughGeneratedComposition is the second hop: the MongoDB Composition that
// function-dataservice composes renders Klutch's example claims (as the composite Crossplane v1 makes
// of a claim) with the real function-patch-and-transform, and composes exactly what Klutch's
// hand-written Composition composes: the ServiceInstance with service, plan, parameters under the
// broker's keys, ProviderConfig and the claim labels the provider finds instances by, and the
// instance's state back in the composite's status.
func testRenderClaimsThroughGeneratedComposition(t *testing.T, fn servedFunction) {
	root := testtools.RepoRoot(t)
	dir := t.TempDir()

	// The first hop: the Composition as function-dataservice composes it.
	v2 := renderCLIs()[0]
	out, err := crossplaneRender(t, v2, filepath.Join(root, "examples", "klutch", "mongodb.yaml"),
		filepath.Join(root, "examples", "render", "composition.yaml"), fn.functions)
	if err != nil {
		t.Fatal(err)
	}
	var composition, xrd *unstructured.Unstructured
	for _, o := range parseStream(t, "render output", out) {
		switch o.GetAnnotations()["crossplane.io/composition-resource-name"] {
		case "composition-a9s-mongodb":
			composition = withoutRenderMetadata(o)
		case "xrd":
			xrd = o
		}
	}
	if composition == nil || xrd == nil {
		t.Fatalf("function-dataservice composed no a9s-mongodb Composition and XRD:\n%s", out)
	}
	generated := filepath.Join(dir, "composition.yaml")
	writeTestFile(t, generated, string(toYAML(t, composition.Object)))
	handWritten := reference.PathOrSkip(t, "crossplane-api", "api", "a9s", "mongodb", "composition.yaml")

	pt := servePatchAndTransform(t)
	examples := reference.PathOrSkip(t, "examples")
	claims, err := filepath.Glob(filepath.Join(examples, "serviceinstance-claim*.yaml"))
	if err != nil || len(claims) == 0 {
		t.Fatalf("no MongoDB claims in the reference examples: %v", err)
	}

	for _, cli := range renderCLIs() {
		t.Run(cli.version, func(t *testing.T) {
			functions := writeFunctions(t, t.TempDir(), pt)
			for _, path := range claims {
				claim := readObjects(t, path)[0]
				t.Run(claim.GetName(), func(t *testing.T) {
					dir := t.TempDir()
					xr := compositeOfClaim(claim, nestedString(xrd, "spec", "names", "kind"))
					xrPath := filepath.Join(dir, "xr.yaml")
					writeTestFile(t, xrPath, string(toYAML(t, xr.Object)))
					observed := filepath.Join(dir, "observed.yaml")
					writeTestFile(t, observed, string(toYAML(t, observedServiceInstance(xr).Object)))

					got, err := crossplaneRender(t, cli, xrPath, generated, functions, "--observed-resources", observed)
					if err != nil {
						t.Fatal(err)
					}
					want, err := crossplaneRender(t, cli, xrPath, handWritten, functions, "--observed-resources", observed)
					if err != nil {
						t.Fatal(err)
					}
					gotObjs, wantObjs := parseStream(t, "generated", got), parseStream(t, "hand-written", want)
					if diff := cmp.Diff(wantObjs, gotObjs); diff != "" {
						t.Errorf("rendering the claim through the generated Composition differs from Klutch's: -hand-written, +generated:\n%s", diff)
					}
					assertServiceInstance(t, claim, gotObjs)
				})
			}
		})
	}
}

// compositeOfClaim is the composite Crossplane v1 makes of a claim: cluster-scoped, of the XRD's
// composite kind, named after the claim with a suffix, labelled with the claim's name and namespace,
// with the claim's spec and a reference to it.
func compositeOfClaim(claim *unstructured.Unstructured, compositeKind string) *unstructured.Unstructured {
	xr := &unstructured.Unstructured{Object: map[string]any{"spec": claim.DeepCopy().Object["spec"]}}
	xr.SetAPIVersion(claim.GetAPIVersion())
	xr.SetKind(compositeKind)
	xr.SetName(claim.GetName() + "-x7k2p")
	xr.SetLabels(map[string]string{
		"crossplane.io/claim-name":      claim.GetName(),
		"crossplane.io/claim-namespace": claim.GetNamespace(),
	})
	_ = unstructured.SetNestedStringMap(xr.Object, map[string]string{
		"apiVersion": claim.GetAPIVersion(), "kind": claim.GetKind(), "name": claim.GetName(), "namespace": claim.GetNamespace(),
	}, "spec", "claimRef")
	return xr
}

// observedServiceInstance is the ServiceInstance as the provider reports it once provisioned, so
// that the status patches back into the composite are exercised too.
func observedServiceInstance(xr *unstructured.Unstructured) *unstructured.Unstructured {
	si := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "dataservices.anynines.com/v1",
		"kind":       "ServiceInstance",
		"metadata": map[string]any{
			"name":        xr.GetName() + "-8fz4q",
			"annotations": map[string]any{"crossplane.io/composition-resource-name": "a9s-mongodb"},
		},
		"status": map[string]any{
			"atProvider": map[string]any{
				"state":         "succeeded",
				"createdAt":     "2025-01-01T10:00:00Z",
				"provisionedAt": "2025-01-01T10:05:00Z",
				"updatedAt":     "2025-01-01T10:05:00Z",
			},
			"conditions": []any{
				map[string]any{"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": "2025-01-01T10:05:00Z"},
				map[string]any{"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": "2025-01-01T10:05:00Z"},
			},
		},
	}}
	return si
}

// assertServiceInstance states what Klutch's provider needs of the composed ServiceInstance, so that
// a failure says which promise broke even when both Compositions were to change alike.
func assertServiceInstance(t *testing.T, claim *unstructured.Unstructured, objs []*unstructured.Unstructured) {
	t.Helper()
	var si *unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "ServiceInstance" {
			si = o
		}
	}
	if si == nil {
		t.Fatalf("no ServiceInstance composed")
	}
	checks := []struct {
		path []string
		want any
	}{
		{[]string{"apiVersion"}, "dataservices.anynines.com/v1"},
		{[]string{"metadata", "labels", "crossplane.io/claim-name"}, claim.GetName()},
		{[]string{"metadata", "labels", "crossplane.io/claim-namespace"}, claim.GetNamespace()},
		{[]string{"spec", "forProvider", "serviceName"}, nestedString(claim, "spec", "service")},
		{[]string{"spec", "forProvider", "planName"}, nestedString(claim, "spec", "plan")},
		{[]string{"spec", "forProvider", "acceptsIncomplete"}, true},
		{[]string{"spec", "providerConfigRef", "name"}, "mongodb-service-broker"},
	}
	if v, ok, _ := unstructured.NestedFieldNoCopy(claim.Object, "spec", "parameters", "setClusterParameter", "changeStreamOptions", "preAndPostImages", "expireAfterSeconds"); ok {
		// The broker's key: set_cluster_parameter at the top, the nested names as they are.
		checks = append(checks, struct {
			path []string
			want any
		}{[]string{"spec", "forProvider", "parameters", "set_cluster_parameter", "changeStreamOptions", "preAndPostImages", "expireAfterSeconds"}, v})
	}
	for _, c := range checks {
		got, _, _ := unstructured.NestedFieldNoCopy(si.Object, c.path...)
		if diff := cmp.Diff(plainValue(t, c.want), plainValue(t, got)); diff != "" {
			t.Errorf("ServiceInstance %s: -want, +got:\n%s", strings.Join(c.path, "."), diff)
		}
	}
	if got := nestedString(objs[0], "status", "managed", "state"); got != "succeeded" {
		t.Errorf("composite status.managed.state: want the ServiceInstance's state %q, got %q", "succeeded", got)
	}
}

// plainValue is plain for a single value.
func plainValue(t *testing.T, v any) any {
	t.Helper()
	return plain(t, map[string]any{"v": v})["v"]
}
