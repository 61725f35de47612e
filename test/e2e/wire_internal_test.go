package e2e

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// checkRequestEstimate builds the request Crossplane sends the function once a DataService is
// composed, as Crossplane builds it (the observed DataService and every composed object as the API
// server returns them, metadata, managed fields and status included, each a protobuf Struct), and
// compares its size with the generator's estimate, which bounds what a DataService may compose
// (internal/generator/wire.go): the estimate must not be smaller. It logs what metadata and status
// add to each object beyond its field set, which ObservedOverhead bounds.
func checkRequestEstimate(ctx context.Context, t *testing.T, kc client.Client, dsFile string, ds *unstructured.Unstructured, want *generator.Output) {
	t.Helper()
	asStruct := func(u *unstructured.Unstructured) *structpb.Struct {
		s, err := structpb.NewStruct(u.Object)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	live := get(ctx, t, kc, ds.GroupVersionKind(), client.ObjectKeyFromObject(ds))
	req := &fnv1.RunFunctionRequest{Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: asStruct(live)}, Resources: map[string]*fnv1.Resource{}}}
	var wires []generator.Wire
	for _, o := range want.Objects() {
		got := get(ctx, t, kc, o.GroupVersionKind(), client.ObjectKeyFromObject(o))
		req.Observed.Resources[o.GetKind()+"/"+o.GetName()] = &fnv1.Resource{Resource: asStruct(got)}
		b, err := json.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		w, err := generator.ObjectWire(o.GetKind()+" "+o.GetName(), b)
		if err != nil {
			t.Fatal(err)
		}
		wires = append(wires, w)
		observed := int64(proto.Size(asStruct(got)))
		t.Logf("%s %s: %d bytes as generated, %d as observed; estimated %d with its field set and %d of metadata and status",
			o.GetKind(), o.GetName(), w.Desired, observed, w.Observed, generator.ObservedOverhead)
		if observed > w.Observed {
			t.Errorf("%s %s takes %d bytes as observed, more than the %d estimated", o.GetKind(), o.GetName(), observed, w.Observed)
		}
	}
	raw, err := os.ReadFile(dsFile)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := json.Marshal(map[string]any{"metadata": map[string]any{"name": ds.GetName()}, "spec": ds.Object["spec"]})
	if err != nil {
		t.Fatal(err)
	}
	est, err := generator.RequestSize(spec, wires)
	if err != nil {
		t.Fatal(err)
	}
	actual := int64(proto.Size(req))
	t.Logf("the request after composing %s (%d bytes of YAML) takes %d bytes; estimated %d; the observed DataService %d",
		ds.GetName(), len(raw), actual, est, proto.Size(asStruct(live)))
	if actual > est {
		t.Errorf("the request takes %d bytes, more than the %d estimated", actual, est)
	}
}
