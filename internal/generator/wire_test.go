package generator_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// fieldSet is an object's field set as the estimate counts it: every key of every map, prefixed
// "f:", leaves and lists as empty objects.
func fieldSet(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if c, ok := v.(map[string]any); ok {
			out["f:"+k] = fieldSet(c)
		} else {
			out["f:"+k] = map[string]any{}
		}
	}
	return out
}

// protoSize is the size of an object encoded as a google.protobuf.Struct, as Crossplane sends it.
func protoSize(t *testing.T, m map[string]any) int64 {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return int64(proto.Size(s))
}

// TestObjectWireIsTheProtobufSize: the estimate of an object in the function's messages is
// exactly its size as a protobuf Struct, and its field set's, for every object the bundled
// examples generate and for values of every JSON type.
func TestObjectWireIsTheProtobufSize(t *testing.T) {
	objs := map[string][]byte{
		"AllTypes": []byte(`{"s":"x","e":"","n":1.5,"i":12345678901,"t":true,"f":false,"z":null,"l":[1,"a",{"k":"v"},[],null],"o":{},"u":"\u003c\u00e9\u2028` + strings.Repeat("y", 300) + `","":{"":""}}`),
	}
	for _, dir := range []string{"klutch", "klutch-v2", "a9s", "internal"} {
		files, _ := filepath.Glob(filepath.Join("..", "..", "examples", dir, "*.yaml"))
		for _, f := range files {
			ds := testtools.ReadDataService(t, f)
			out, err := generator.Generate(ds, inputv1beta1.Defaults{})
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for _, o := range out.Objects() {
				b, err := json.Marshal(o.Object)
				if err != nil {
					t.Fatal(err)
				}
				objs[f+": "+o.GetKind()+" "+o.GetName()] = b
			}
		}
	}
	if len(objs) < 10 {
		t.Fatalf("only %d objects: are the examples there?", len(objs))
	}
	for name, b := range objs {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		w, err := generator.ObjectWire(name, b)
		if err != nil {
			t.Fatal(err)
		}
		if want := protoSize(t, m); w.Desired != want {
			t.Errorf("%s: estimated %d bytes, encoded as a Struct %d", name, w.Desired, want)
		}
		if want := protoSize(t, fieldSet(m)) + generator.ObservedOverhead; w.Observed-w.Desired != want {
			t.Errorf("%s: estimated %d bytes of managed fields and metadata, want %d", name, w.Observed-w.Desired, want)
		}
	}
}

// TestComposedObjectsMustFitThroughGRPC: a spec whose every object is within what the API server
// stores, but whose objects together would not fit through the 4 MiB gRPC messages of Crossplane
// and the function, is refused naming the largest objects (a 186 KB spec made a 4.9 MB response,
// which Crossplane refused; a 732 KB spec composed once and never again).
func TestComposedObjectsMustFitThroughGRPC(t *testing.T) {
	ds, err := v1alpha1.Decode([]byte(validSpec))
	if err != nil {
		t.Fatal(err)
	}
	// 1000 parameters 10 levels deep under 60-character names: each Composition patches each
	// with its full path, 1.3 MiB, and four of them compose 5.1 MiB.
	schema := testtools.NestedParameters(1000, 10)
	ds.Spec.Parameters.Schema.Raw = []byte(schema)
	base := ds.Spec.Compositions[0]
	for i := 1; i < 4; i++ {
		c := *base.DeepCopy()
		c.Name = fmt.Sprintf("%s-%d", base.Name, i)
		for j := range c.Services {
			c.Services[j] = fmt.Sprintf("%s-%d", c.Services[j], i)
		}
		ds.Spec.Compositions = append(ds.Spec.Compositions, c)
	}
	assertGenerateErrors(t, ds, []wantError{{"spec", "what the DataService composes does not fit through Crossplane: the function's response would take an estimated 5.1 MiB and the next request to it (the composed objects observed, with their metadata and managed fields) 5.2 MiB, and Crossplane and the function exchange at most 4.0 MiB per gRPC message; largest: Composition \"a9s-keyvalue-1\" 1.3 MiB, Composition \"a9s-keyvalue-2\" 1.3 MiB, Composition \"a9s-keyvalue-3\" 1.3 MiB, 3 more: compose less"}})

	// Three of them, and 64 KiB of description: the response fits, the next request, which
	// brings them back observed with the DataService, does not.
	ds.Spec.Compositions = ds.Spec.Compositions[:3]
	ds.Spec.Parameters.Schema.Raw = []byte(strings.Replace(schema, `"type":"object"`, `"type":"object","description":"`+strings.Repeat("d", 64<<10)+`"`, 1))
	assertGenerateErrors(t, ds, []wantError{{"spec", "the function's response would take an estimated 3.9 MiB and the next request to it (the composed objects observed, with their metadata and managed fields) 4.2 MiB"}})
}

// TestBundledExamplesFitThroughGRPC: every bundled example is far within the messages.
func TestBundledExamplesFitThroughGRPC(t *testing.T) {
	for _, dir := range []string{"klutch", "klutch-v2", "a9s", "internal"} {
		files, _ := filepath.Glob(filepath.Join("..", "..", "examples", dir, "*.yaml"))
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out, err := generator.Generate(testtools.ReadDataService(t, f), inputv1beta1.Defaults{})
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			var ws []generator.Wire
			for _, o := range out.Objects() {
				b, _ := json.Marshal(o.Object)
				w, err := generator.ObjectWire(o.GetName(), b)
				if err != nil {
					t.Fatal(err)
				}
				ws = append(ws, w)
			}
			spec, _ := json.Marshal(map[string]any{"spec": string(raw)})
			req, err := generator.RequestSize(spec, ws)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: next request about %d KiB", f, req>>10)
			if req > generator.MaxMessage/4 {
				t.Errorf("%s: the next request takes about %d KiB, more than a quarter of the %d KiB allowed", f, req>>10, generator.MaxMessage>>10)
			}
		}
	}
}
