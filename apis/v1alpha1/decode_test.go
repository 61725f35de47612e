package v1alpha1_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
)

func TestDecodeReportsEveryUnknownFieldWithItsPath(t *testing.T) {
	_, err := v1alpha1.Decode([]byte(`
apiVersion: dataservice.klutch.io/v1alpha1
kind: DataService
metadata: {name: x}
spec:
  group: example.org
  kind: X
  plans: [a]
  compositions:
    - name: a
      plan: [b]
`))
	var u *v1alpha1.UnknownFieldsError
	if !errors.As(err, &u) {
		t.Fatalf("want *UnknownFieldsError, got %v", err)
	}
	for _, want := range []string{"spec.plans: Forbidden: unknown field", "spec.compositions[0].plan: Forbidden: unknown field"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("want %q in %q", want, err)
		}
	}
}

func TestDecodeRejectsOtherKindsAndDuplicateKeys(t *testing.T) {
	for name, doc := range map[string]string{
		"OtherKind":    "apiVersion: v1\nkind: ConfigMap\n",
		"DuplicateKey": "apiVersion: dataservice.klutch.io/v1alpha1\nkind: DataService\nspec: {group: a.b}\nspec: {group: c.d}\n",
		"NotYAML":      "apiVersion: [",
	} {
		if _, err := v1alpha1.Decode([]byte(doc)); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func TestFromCompositeDropsCrossplaneFields(t *testing.T) {
	ds, unknown, err := v1alpha1.FromComposite(map[string]any{
		"apiVersion": "dataservice.klutch.io/v1alpha1", "kind": "DataService",
		"metadata": map[string]any{"name": "x", "uid": "1", "resourceVersion": "2"},
		"spec":     map[string]any{"group": "example.org", "compositionRef": map[string]any{"name": "c"}, "resourceRefs": []any{}, "tpyo": 1},
		"status":   map[string]any{"anything": true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Name != "x" || ds.Spec.Group != "example.org" {
		t.Errorf("decoded %+v", ds)
	}
	if len(unknown) != 1 || unknown[0].Field != "spec.tpyo" {
		t.Errorf("want one unknown field spec.tpyo, got %v", unknown)
	}
}
