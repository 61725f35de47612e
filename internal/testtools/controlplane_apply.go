package testtools

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// FieldOwner is the field manager of what tests apply.
const FieldOwner = "dataservice-e2e"

var (
	crdGVK = schema.GroupVersionKind{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition"}
	xrdGVK = schema.GroupVersionKind{Group: "apiextensions.crossplane.io", Version: "v1", Kind: "CompositeResourceDefinition"}
)

// ReadObjects reads every object of a multi-document YAML (or JSON) file.
func ReadObjects(t testing.TB, path string) []*unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("cannot read %s: %v", path, err)
	}
	return decodeObjects(t, path, b)
}

// decodeObjects decodes every object of a multi-document YAML (or JSON) stream read from name.
func decodeObjects(t testing.TB, name string, b []byte) []*unstructured.Unstructured {
	t.Helper()
	var objs []*unstructured.Unstructured
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	for {
		u := &unstructured.Unstructured{}
		err := d.Decode(&u.Object)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("cannot decode %s: %v", name, err)
		}
		if len(u.Object) == 0 {
			continue // An empty document, e.g. after a leading "---".
		}
		objs = append(objs, u)
	}
	if len(objs) == 0 {
		t.Fatalf("%s holds no objects", name)
	}
	return objs
}

// Apply server-side applies objects, taking ownership of every field they set.
func (cp *ControlPlane) Apply(t testing.TB, objs ...*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		o = o.DeepCopy()
		// Server-side apply refuses or ignores these; files written by `kubectl get -o yaml` carry them.
		o.SetResourceVersion("")
		o.SetUID("")
		unstructured.RemoveNestedField(o.Object, "metadata", "creationTimestamp")
		unstructured.RemoveNestedField(o.Object, "status")
		o.SetManagedFields(nil)
		if err := cp.Client.Apply(context.Background(), client.ApplyConfigurationFromUnstructured(o), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
			t.Fatalf("cannot apply %s %s: %v", o.GetKind(), objectName(o), err)
		}
	}
}

// ApplyFile applies every object of a YAML file and returns them.
func (cp *ControlPlane) ApplyFile(t testing.TB, path string) []*unstructured.Unstructured {
	t.Helper()
	objs := ReadObjects(t, path)
	cp.Apply(t, objs...)
	return objs
}

// WaitForCRDs waits until every CustomResourceDefinition among objs is Established.
func (cp *ControlPlane) WaitForCRDs(t testing.TB, objs ...*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		if o.GroupVersionKind() != crdGVK {
			continue
		}
		cp.WaitForConditions(t, crdGVK, client.ObjectKey{Name: o.GetName()}, "Established")
	}
}

// WaitForConditions waits until an object has every condition type True.
func (cp *ControlPlane) WaitForConditions(t testing.TB, gvk schema.GroupVersionKind, key client.ObjectKey, types ...string) {
	t.Helper()
	what := gvk.Kind + " " + key.String() + " to become " + strings.Join(types, " and ")
	cp.Eventually(t, what, installTimeout, func(ctx context.Context) (bool, string) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		if err := cp.Client.Get(ctx, key, u); err != nil {
			return false, err.Error()
		}
		for _, typ := range types {
			if s, msg := Condition(u, typ); s != "True" {
				return false, typ + "=" + s + " (" + msg + ")"
			}
		}
		return true, ""
	})
}

// WaitForXRD waits until a CompositeResourceDefinition is Established and, when it offers a claim,
// Offered.
func (cp *ControlPlane) WaitForXRD(t testing.TB, xrd *unstructured.Unstructured) {
	t.Helper()
	types := []string{"Established"}
	if _, ok, _ := unstructured.NestedMap(xrd.Object, "spec", "claimNames"); ok {
		types = append(types, "Offered")
	}
	cp.WaitForConditions(t, xrdGVK, client.ObjectKey{Name: xrd.GetName()}, types...)
	cp.run.lap(t, "XRD %s %s", xrd.GetName(), strings.Join(types, ", "))
}

func objectName(o *unstructured.Unstructured) string {
	if o.GetNamespace() != "" {
		return o.GetNamespace() + "/" + o.GetName()
	}
	return o.GetName()
}
