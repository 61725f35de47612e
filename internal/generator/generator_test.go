package generator_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	kubebindv1alpha2 "github.com/function-dataservice/function-dataservice/apis/kubebind/v1alpha2"
	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// TestGenerate checks each generator decision on the small spec of TestValidation, edited per case:
// every case names the object, a field path in it and the value it must have (nil: absent).
func TestGenerate(t *testing.T) {
	type check struct {
		obj  string // xrd, composition, template
		path string
		want any
	}
	cases := map[string]struct {
		edit     func(s *v1alpha1.DataServiceSpec)
		defaults inputv1beta1.Defaults
		checks   []check
	}{
		"CrossplaneV1ClaimsAndXPrefixedComposite": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				s.Categories = []string{"klutch"}
				s.ShortNames = []string{"kv"}
			},
			checks: []check{
				{"xrd", "apiVersion", "apiextensions.crossplane.io/v1"},
				{"xrd", "metadata.name", "xkeyvalueinstances.example.org"},
				{"xrd", "spec.names.kind", "XKeyValueInstance"},
				{"xrd", "spec.claimNames.kind", "KeyValueInstance"},
				{"xrd", "spec.claimNames.plural", "keyvalueinstances"},
				{"xrd", "spec.claimNames.categories", []any{"klutch"}},
				{"xrd", "spec.claimNames.shortNames", []any{"kv"}},
				{"xrd", "spec.scope", nil},
				{"xrd", "spec.defaultCompositionRef.name", "a9s-keyvalue"},
				{"xrd", "spec.versions[0].name", "v1"},
				{"xrd", "spec.versions[0].referenceable", true},
				{"xrd", "spec.versions[0].schema.openAPIV3Schema.properties.spec.required", []any{"service", "plan"}},
				{"xrd", "spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.plan.enum", []any{"kv-single-small", "kv-single-big"}},
				{"composition", "spec.compositeTypeRef.kind", "XKeyValueInstance"},
				{"composition", "spec.pipeline[0].input.resources[0].patches[0].fromFieldPath", "metadata.labels[crossplane.io/claim-namespace]"},
				{"template", "spec.APIServiceSelector.resource", "keyvalueinstances"},
				{"template", "metadata.namespace", "crossplane-system"},
			},
		},
		"CrossplaneV2NamespacedWithoutClaims": {
			edit: func(s *v1alpha1.DataServiceSpec) { s.CrossplaneVersion = v1alpha1.CrossplaneV2 },
			checks: []check{
				{"xrd", "apiVersion", "apiextensions.crossplane.io/v2"},
				{"xrd", "metadata.name", "keyvalueinstances.example.org"},
				{"xrd", "spec.scope", "Namespaced"},
				{"xrd", "spec.names.kind", "KeyValueInstance"},
				{"xrd", "spec.claimNames", nil},
				{"composition", "spec.compositeTypeRef.kind", "KeyValueInstance"},
				// No claims on v2: no claim labels to copy.
				{"composition", "spec.pipeline[0].input.resources[0].patches[0].fromFieldPath", "spec.plan"},
				{"template", "spec.APIServiceSelector.resource", "keyvalueinstances"},
			},
		},
		"CrossplaneLineFromInputDefaults": {
			defaults: inputv1beta1.Defaults{CrossplaneVersion: "v2", ExportNamespace: "bind", PatchAndTransform: "pt", AutoReady: "auto-ready"},
			checks: []check{
				{"xrd", "apiVersion", "apiextensions.crossplane.io/v2"},
				{"template", "metadata.namespace", "bind"},
				{"composition", "spec.pipeline[0].functionRef.name", "pt"},
				{"composition", "spec.pipeline[1].functionRef.name", "auto-ready"},
			},
		},
		"CustomCompositeNames": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				s.Composite = &v1alpha1.Names{Kind: "CompositeKeyValue", Plural: "compositekeyvalues"}
			},
			checks: []check{
				{"xrd", "metadata.name", "compositekeyvalues.example.org"},
				{"xrd", "spec.names.kind", "CompositeKeyValue"},
			},
		},
		"SeveralVersionsLastReferenceable": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				s.Versions = []v1alpha1.APIVersion{{Name: "v1alpha1", Deprecated: true, DeprecationWarning: "use v1"}, {Name: "v1"}}
			},
			checks: []check{
				{"xrd", "spec.versions[0].referenceable", false},
				{"xrd", "spec.versions[0].deprecated", true},
				{"xrd", "spec.versions[0].deprecationWarning", "use v1"},
				{"xrd", "spec.versions[1].referenceable", true},
				{"composition", "spec.compositeTypeRef.apiVersion", "example.org/v1"},
			},
		},
		"ParameterKeysSnakeCaseByDefault": {
			checks: []check{
				{"composition", "spec.pipeline[0].input.resources[0].patches[3].fromFieldPath", "spec.parameters.maxMemory"},
				{"composition", "spec.pipeline[0].input.resources[0].patches[3].toFieldPath", "spec.forProvider.parameters.max_memory"},
			},
		},
		"ParameterKeysKebabCase": {
			edit:   func(s *v1alpha1.DataServiceSpec) { s.Parameters.KeyStyle = v1alpha1.KeyStyleKebabCase },
			checks: []check{{"composition", "spec.pipeline[0].input.resources[0].patches[3].toFieldPath", "spec.forProvider.parameters.max-memory"}},
		},
		"ParameterKeyOverride": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				s.Parameters.Keys = []v1alpha1.ParameterKey{{Parameter: "maxMemory", Key: "maxmemory"}}
				s.Compositions[0].Backend.ParametersTo = "spec.forProvider.config"
			},
			checks: []check{{"composition", "spec.pipeline[0].input.resources[0].patches[3].toFieldPath", "spec.forProvider.config.maxmemory"}},
		},
		"ProviderConfigFromNamePattern": {
			checks: []check{{"composition", "spec.pipeline[0].input.resources[0].base.spec.providerConfigRef.name", "keyvalue-service-broker"}},
		},
		"ProviderConfigFixedName": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				s.Compositions[0].Backend.ProviderConfig = &v1alpha1.ProviderConfig{Name: "default"}
			},
			checks: []check{{"composition", "spec.pipeline[0].input.resources[0].base.spec.providerConfigRef.name", "default"}},
		},
		"ProviderConfigFromField": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				s.Compositions[0].Backend.ProviderConfig = &v1alpha1.ProviderConfig{FromField: "spec.service", Format: "%s-broker"}
			},
			checks: []check{
				{"composition", "spec.pipeline[0].input.resources[0].base.spec.providerConfigRef", nil},
				{"composition", "spec.pipeline[0].input.resources[0].patches[3].fromFieldPath", "spec.service"},
				{"composition", "spec.pipeline[0].input.resources[0].patches[3].toFieldPath", "spec.providerConfigRef.name"},
				{"composition", "spec.pipeline[0].input.resources[0].patches[3].transforms[0].string.fmt", "%s-broker"},
			},
		},
		"ConnectionSecretBesideTheClaim": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				s.Compositions[0].Backend.ConnectionSecret = &v1alpha1.ConnectionSecret{NameFormat: "%s-creds"}
				s.ConnectionSecretKeys = []string{"username", "password"}
			},
			checks: []check{
				{"xrd", "spec.connectionSecretKeys", []any{"username", "password"}},
				{"composition", "spec.pipeline[0].input.resources[0].patches[3].toFieldPath", "spec.writeConnectionSecretToRef.namespace"},
				{"composition", "spec.pipeline[0].input.resources[0].patches[4].toFieldPath", "spec.writeConnectionSecretToRef.name"},
				{"composition", "spec.pipeline[0].input.resources[0].patches[4].transforms[0].string.fmt", "%s-creds"},
			},
		},
		"ServiceMutableAndPlanImmutable": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				s.Service = &v1alpha1.ServiceField{Mutable: true}
				s.Plan.Changes = []v1alpha1.PlanChange{{Immutable: true}}
			},
			checks: []check{
				{"xrd", "spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.service.x-kubernetes-validations", nil},
				{"xrd", "spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.plan.x-kubernetes-validations[0].rule", "self == oldSelf"},
			},
		},
		"PlanFeatureLabel": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				s.Plan.Changes = []v1alpha1.PlanChange{{Keep: &v1alpha1.Keep{Feature: "single"}}}
			},
			checks: []check{
				{"xrd", "spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.plan.x-kubernetes-validations[0].message", "Plan migrations not possible from Non-Single to Single and Single to Non-Single"},
			},
		},
		"SeveralCompositionsOnV2KeyRulesOnCrossplaneField": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				s.CrossplaneVersion = v1alpha1.CrossplaneV2
				s.Compositions = append(s.Compositions, v1alpha1.Composition{Name: "a8s-keyvalue", Plans: []string{"kv-single-small"}, ExclusiveParameters: []string{"maxMemory"}})
			},
			checks: []check{
				{"xrd", "spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.plan.enum", nil},
				{"xrd", "spec.versions[0].schema.openAPIV3Schema.properties.spec.x-kubernetes-validations[1].rule",
					// A composite that names no composition is validated as the default's.
					"((has(self.crossplane) && has(self.crossplane.compositionRef) ? self.crossplane.compositionRef.name : 'a9s-keyvalue') == 'a9s-keyvalue' && (self.plan == 'kv-single-small' || self.plan == 'kv-single-big')) || " +
						"((has(self.crossplane) && has(self.crossplane.compositionRef) ? self.crossplane.compositionRef.name : 'a9s-keyvalue') == 'a8s-keyvalue' && (self.plan == 'kv-single-small'))"},
				{"xrd", "spec.versions[0].schema.openAPIV3Schema.properties.spec.x-kubernetes-validations[2].message", "parameters.maxMemory is not supported for a9s-keyvalue"},
				// a9s-keyvalue's backend never receives a parameter only a8s-keyvalue supports.
				{"composition", "spec.pipeline[0].input.resources[0].patches[2]", nil},
			},
		},
		"ExportDisabled": {
			edit:   func(s *v1alpha1.DataServiceSpec) { s.Export = &v1alpha1.Export{Disabled: true} },
			checks: []check{{"template", "", nil}},
		},
		"KubeBindTemplateBesideKlutchs": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				s.Versions = []v1alpha1.APIVersion{{Name: "v1alpha1"}, {Name: "v1"}}
				s.Export = &v1alpha1.Export{KubeBind: &v1alpha1.KubeBindExport{
					Description: "Key-value stores", SchemaUpdatePolicy: "Always",
					PermissionClaims: []kubebindv1alpha2.PermissionClaim{{GroupResource: kubebindv1alpha2.GroupResource{Resource: "secrets"},
						Selector: kubebindv1alpha2.Selector{NamedResources: []kubebindv1alpha2.NamedResource{{Name: "keyvalue-creds"}}}}},
				}}
			},
			checks: []check{
				{"kubebind", "apiVersion", "kube-bind.io/v1alpha2"},
				{"kubebind", "kind", "APIServiceExportTemplate"},
				{"kubebind", "metadata.name", "keyvalueinstances.example.org"},
				{"kubebind", "metadata.namespace", nil},
				{"kubebind", "spec.scope", "Namespaced"},
				{"kubebind", "spec.description", "Key-value stores"},
				{"kubebind", "spec.schemaUpdatePolicy", "Always"},
				{"kubebind", "spec.resources", []any{map[string]any{"group": "example.org", "resource": "keyvalueinstances", "versions": []any{"v1alpha1", "v1"}}}},
				{"kubebind", "spec.permissionClaims[0].resource", "secrets"},
				{"kubebind", "spec.permissionClaims[0].group", ""},
				{"template", "spec.APIServiceSelector.resource", "keyvalueinstances"},
			},
		},
		"KubeBindClusterScopedOnV2": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				s.CrossplaneVersion = v1alpha1.CrossplaneV2
				s.Scope = v1alpha1.ScopeCluster
				s.Export = &v1alpha1.Export{Disabled: true, KubeBind: &v1alpha1.KubeBindExport{Name: "kv"}}
			},
			checks: []check{
				{"kubebind", "metadata.name", "kv"},
				{"kubebind", "spec.scope", "Cluster"},
				{"template", "", nil},
			},
		},
		"ExportNamed": {
			edit: func(s *v1alpha1.DataServiceSpec) {
				s.Export = &v1alpha1.Export{Name: "kv", Namespace: "bind", Version: "v1"}
			},
			checks: []check{
				{"template", "metadata.name", "kv"},
				{"template", "metadata.namespace", "bind"},
				{"template", "spec.APIServiceSelector.version", "v1"},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ds, err := v1alpha1.Decode([]byte(validSpec))
			if err != nil {
				t.Fatal(err)
			}
			if tc.edit != nil {
				tc.edit(&ds.Spec)
			}
			out, err := generator.Generate(ds, tc.defaults)
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			objs := map[string]*unstructured.Unstructured{"xrd": out.XRD, "template": out.ExportTemplate, "kubebind": out.KubeBindTemplate}
			if len(out.Compositions) > 0 {
				objs["composition"] = out.Compositions[0]
			}
			for _, c := range tc.checks {
				o := objs[c.obj]
				if c.path == "" {
					if o != nil && c.want == nil {
						t.Errorf("%s: want none, got %v", c.obj, o.Object)
					}
					continue
				}
				if o == nil {
					t.Errorf("%s: not generated", c.obj)
					continue
				}
				got, err := fieldpath.Pave(plain(t, o.Object)).GetValue(c.path)
				if err != nil {
					got = nil
				}
				if diff := cmp.Diff(c.want, got); diff != "" {
					t.Errorf("%s %s (-want +got):\n%s", c.obj, c.path, diff)
				}
			}
		})
	}
}

// plain turns typed values (int64, nested maps from typed structs) into what YAML parsing gives.
func plain(t *testing.T, obj map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDeterministic generates every example twice, once from the spec as read and once from a spec
// that went through JSON maps (as the function receives it, in a protobuf Struct with sorted keys):
// the bytes must be the same.
func TestDeterministic(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := v1alpha1.Decode(data)
		if err != nil {
			continue // not a DataService
		}
		n++
		first := render(t, ds)
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		j, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		viaMap, err := v1alpha1.Decode(j)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			if got := render(t, viaMap); got != first {
				t.Fatalf("%s: output differs between runs:\n%s", f, cmp.Diff(first, got))
			}
		}
	}
	if n < 4 {
		t.Fatalf("found only %d DataService examples", n)
	}
}

func render(t *testing.T, ds *v1alpha1.DataService) string {
	t.Helper()
	out, err := generator.Generate(ds, inputv1beta1.Defaults{})
	if err != nil {
		t.Fatalf("%s: %v", ds.Name, err)
	}
	var s string
	for _, o := range out.Objects() {
		b, err := yaml.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		s += string(b) + "---\n"
	}
	return s
}
