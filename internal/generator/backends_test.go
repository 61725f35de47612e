package generator_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/backendcrd"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// octopi is the CRD of a kind whose plural is not the one Kubernetes' convention gives it.
const octopi = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: octopi.example.org}
spec:
  group: example.org
  names: {kind: Octopus, plural: octopi, singular: octopus, listKind: OctopusList}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                arms: {type: integer, maximum: 8}
            status:
              type: object
              properties:
                ready: {type: boolean}
`

const octopusSpec = `apiVersion: dataservice.klutch.io/v1alpha1
kind: DataService
metadata: {name: octopus}
spec:
  crossplaneVersion: v2
  group: internal.example.com
  kind: OctopusInstance
  plan:
    values: [{name: arms, type: integer}]
    catalog:
      - {name: small, values: {arms: 4}}
      - {name: big, values: {arms: ARMS}}
  compositions:
    - name: octopus
      backend:
        apiVersion: example.org/v1
        kind: Octopus
        fields:
          - {value: plan.arms, to: spec.arms}
        readinessChecks:
          - {type: MatchTrue, fieldPath: status.ready}
`

func octopusCRDs(t *testing.T) *backendcrd.Set {
	t.Helper()
	crd := &extv1.CustomResourceDefinition{}
	if err := yaml.Unmarshal([]byte(octopi), crd); err != nil {
		t.Fatal(err)
	}
	s, err := backendcrd.New([]string{"octopi.yaml"}, []*extv1.CustomResourceDefinition{crd})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func octopus(t *testing.T, arms string) *v1alpha1.DataService {
	t.Helper()
	ds, err := v1alpha1.Decode([]byte(strings.Replace(octopusSpec, "ARMS", arms, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestGenerateWithCRDs: the CRDs a caller gives name the composed kinds' resources (what
// Crossplane is granted) and type-check what is composed, as an error of the DataService; the
// generator's cache tells outputs with and without them apart.
func TestGenerateWithCRDs(t *testing.T) {
	crds := octopusCRDs(t)
	out, err := generator.GenerateWith(context.Background(), octopus(t, "8"), inputv1beta1.Defaults{}, generator.Options{CRDs: crds})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Grants) != 1 || out.Grants[0].String() != "octopi.example.org" {
		t.Errorf("grants %v, want octopi.example.org, the CRD's plural", out.Grants)
	}
	if len(out.Checked) != 1 || len(out.Unchecked) != 0 {
		t.Errorf("checked %v, unchecked %v", out.Checked, out.Unchecked)
	}
	plain, err := generator.Generate(octopus(t, "8"), inputv1beta1.Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	if plain.Grants[0].String() != "octopuses.example.org" || len(plain.Unchecked) != 1 {
		t.Errorf("without the CRD: grants %v (the convention's plural), unchecked %v", plain.Grants, plain.Unchecked)
	}

	_, err = generator.GenerateWith(context.Background(), octopus(t, "9"), inputv1beta1.Defaults{}, generator.Options{CRDs: crds})
	want := `spec.compositions[0].backend.fields[0].to: Invalid value: "spec.arms": plan big: example.org/v1 Octopus refuses the composed object: spec.arms: Invalid value: 9: spec.arms in body should be less than or equal to 8`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a plan value the CRD refuses: %v, want %s", err, want)
	}

	c := generator.NewCache(8)
	if _, err := generator.GenerateCached(octopus(t, "9"), inputv1beta1.Defaults{}, c); err != nil {
		t.Fatalf("without CRDs the spec generates: %v", err)
	}
	if _, err := generator.GenerateWith(context.Background(), octopus(t, "9"), inputv1beta1.Defaults{}, generator.Options{Cache: c, CRDs: crds}); err == nil {
		t.Error("the cache answered a call with CRDs from one without")
	}
}

// TestCRDsNameTheScopeOfComposedKinds: an API of line v1 cannot compose a namespaced kind
// directly (scope.go); an operator's kind is known to be namespaced once its CRD is given.
func TestCRDsNameTheScopeOfComposedKinds(t *testing.T) {
	ds := octopus(t, "8")
	ds.Spec.CrossplaneVersion = v1alpha1.CrossplaneV1
	if _, err := generator.Generate(ds, inputv1beta1.Defaults{}); err != nil {
		t.Fatalf("without its CRD the kind's scope is not known, and not judged: %v", err)
	}
	_, err := generator.GenerateWith(context.Background(), ds, inputv1beta1.Defaults{}, generator.Options{CRDs: octopusCRDs(t)})
	if err == nil || !strings.Contains(err.Error(), "spec.compositions[0].backend: Forbidden: Octopus (example.org/v1) is namespaced") {
		t.Errorf("v1 composing the namespaced Octopus directly: %v", err)
	}
}

// TestCRDsOf lists the CRDs the function asks for: composed kinds, Objects' manifests included,
// without Kubernetes' built-in kinds.
func TestCRDsOf(t *testing.T) {
	for _, tc := range []struct {
		example string
		want    []string
	}{
		{"internal/v2/valkey.yaml", []string{"valkeys.hyperspike.io"}},
		{"internal/v1/valkey.yaml", []string{"objects.kubernetes.crossplane.io", "valkeys.hyperspike.io"}},
		{"klutch/mongodb.yaml", []string{"serviceinstances.dataservices.anynines.com"}},
	} {
		var got []string
		for _, r := range generator.CRDsOf(testtools.ReadDataService(t, filepath.Join("..", "..", "examples", tc.example)), inputv1beta1.Defaults{}) {
			got = append(got, r.Name)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("CRDsOf(%s) = %v, want %v", tc.example, got, tc.want)
		}
	}
}
