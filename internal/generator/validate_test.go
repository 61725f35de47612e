package generator_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// validSpec is a small DataService every validation case breaks in one way.
const validSpec = `
apiVersion: dataservice.klutch.io/v1alpha1
kind: DataService
metadata:
  name: keyvalue
spec:
  group: example.org
  kind: KeyValueInstance
  plan:
    changes:
      - noDownsizing: {sizes: [small, big]}
  fields:
    - name: acceptsIncomplete
      schema: {type: boolean}
  parameters:
    schema:
      type: object
      properties:
        maxMemory: {type: integer}
  compositions:
    - name: a9s-keyvalue
      services: [a9s-keyvalue7]
      plans: [kv-single-small, kv-single-big]
      backend:
        apiVersion: dataservices.anynines.com/v1
        kind: ServiceInstance
        fields:
          - {from: spec.plan, to: spec.forProvider.planName}
`

// TestValidation breaks a valid spec once per rule and asserts the field path and a hint of the fix.
// Every error of a spec is reported at once, so each case lists all it expects.
func TestValidation(t *testing.T) {
	type want struct {
		field  string // the field path the error names
		detail string // a substring of the message
	}
	cases := map[string]struct {
		edit func(s *v1alpha1.DataServiceSpec, ds *v1alpha1.DataService)
		want []want
	}{
		"ParametersWithoutParametersToOnOtherKind": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Compositions[0].Backend.APIVersion = "kubernetes.crossplane.io/v1alpha2"
				s.Compositions[0].Backend.Kind = "Object"
				s.Compositions[0].Backend.ProviderConfig = &v1alpha1.ProviderConfig{Disabled: true}
			},
			want: []want{{"spec.compositions[0].backend.parametersTo", "set parametersTo"}},
		},
		"GroupWithoutDot": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) { s.Group = "example" },
			want: []want{{"spec.group", "must contain a dot"}},
		},
		"GroupNotDNS": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) { s.Group = "Example.org" },
			want: []want{{"spec.group", "RFC 1123"}},
		},
		"KindNotCamelCase": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) { s.Kind = "keyValue" },
			want: []want{{"spec.kind", "CamelCase"}},
		},
		"PluralNotLowerCase": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) { s.Plural = "KeyValues" },
			want: []want{{"spec.plural", "lower case"}},
		},
		"CompositePluralClashesWithClaim": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Composite = &v1alpha1.Names{Plural: "keyvalueinstances"}
			},
			want: []want{{"spec.composite.plural", "must differ"}},
		},
		"ScopeOnCrossplaneV1": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) { s.Scope = v1alpha1.ScopeCluster },
			want: []want{{"spec.scope", "Crossplane v2 only"}},
		},
		"UnknownCrossplaneVersion": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) { s.CrossplaneVersion = "v3" },
			want: []want{{"spec.crossplaneVersion", "supported values"}},
		},
		"NameNotDNS": {
			edit: func(_ *v1alpha1.DataServiceSpec, ds *v1alpha1.DataService) { ds.Name = "Key_Value" },
			want: []want{{"metadata.name", "RFC 1123"}},
		},
		"CompositionNameNotDNS": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) { s.Compositions[0].Name = "A9S KeyValue" },
			want: []want{{"spec.compositions[0].name", "RFC 1123"}},
		},
		"DuplicateComposition": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Compositions = append(s.Compositions, v1alpha1.Composition{Name: "a9s-keyvalue", Plans: []string{"kv-single-small"}})
			},
			want: []want{{"spec.compositions[1].name", "Duplicate"}},
		},
		"DuplicatePlan": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Compositions[0].Plans = append(s.Compositions[0].Plans, "kv-single-big")
			},
			want: []want{{"spec.compositions[0].plans[2]", "Duplicate"}},
		},
		"DuplicateVersion": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Versions = []v1alpha1.APIVersion{{Name: "v1"}, {Name: "v1"}}
			},
			want: []want{{"spec.versions[1].name", "Duplicate"}},
		},
		"TwoReferenceableVersions": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Versions = []v1alpha1.APIVersion{{Name: "v1", Referenceable: true}, {Name: "v2", Referenceable: true}}
			},
			want: []want{{"spec.versions", "exactly one version"}},
		},
		"DuplicateShortName": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) { s.ShortNames = []string{"kv", "kv"} },
			want: []want{{"spec.shortNames[1]", "Duplicate"}},
		},
		"UnknownDefaultComposition": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) { s.DefaultComposition = "a8s-keyvalue" },
			want: []want{{"spec.defaultComposition", "Not found"}},
		},
		"PlanRuleNamesUnknownSize": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Plan.Changes[0].NoDownsizing.Sizes = []string{"small", "medium", "big"}
			},
			want: []want{{"spec.plan.changes[0].noDownsizing.sizes[1]", `no plan name contains "medium"`}},
		},
		"PlanRuleSplitNamesUnknownSize": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Plan.Changes[0].NoDownsizing.To = []string{"nano"}
			},
			want: []want{{"spec.plan.changes[0].noDownsizing.to[0]", "Not found"}},
		},
		"HiddenPlanNotOffered": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) { s.Plan.Hidden = []string{"no-such-plan"} },
			want: []want{{"spec.plan.hidden[0]", "Not found"}},
		},
		"PlanRuleWithTwoKinds": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) { s.Plan.Changes[0].Immutable = true },
			want: []want{{"spec.plan.changes[0]", "exactly one of"}},
		},
		"PlanRuleUnknownFeature": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Plan.Changes = append(s.Plan.Changes, v1alpha1.PlanChange{Keep: &v1alpha1.Keep{Feature: "ssl"}})
			},
			want: []want{{"spec.plan.changes[1].keep.feature", `no plan name contains "ssl"`}},
		},
		"PlanCELDoesNotCompile": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Plan.Changes = append(s.Plan.Changes, v1alpha1.PlanChange{Rule: "self.size() > oldSelf"})
			},
			want: []want{{"spec.plan.changes[1].rule", "compilation failed"}},
		},
		"SpecCELDoesNotCompile": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Rules = []v1alpha1.Rule{{Rule: "self.plan == 'kv-single-big' || self.nosuchfield", Message: "x"}}
			},
			want: []want{{"spec.rules[0].rule", "undefined field 'nosuchfield'"}},
		},
		"SpecCELOnCompositionRefCompiles": {
			// Crossplane adds compositionRef to every claim: a rule on it compiles.
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Rules = []v1alpha1.Rule{{Rule: "self.compositionRef.name == 'a9s-keyvalue'", Message: "x"}}
			},
		},
		"ParameterCELDoesNotCompile": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Parameters.Schema.Raw = []byte(`{"type":"object","properties":{"maxMemory":{"type":"integer","x-kubernetes-validations":[{"rule":"self.startsWith('x')"}]}}}`)
			},
			want: []want{{"spec.parameters.schema.properties.maxMemory.x-kubernetes-validations[0].rule", "compilation failed"}},
		},
		"ParameterSchemaNotStructural": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Parameters.Schema.Raw = []byte(`{"type":"object","properties":{"maxMemory":{"description":"no type"}}}`)
			},
			want: []want{{"spec.parameters.schema.properties.maxMemory.type", "Required value"}},
		},
		"ParameterSchemaNotObject": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Parameters.Schema.Raw = []byte(`{"type":"string"}`)
			},
			want: []want{{"spec.parameters.schema.type", "must be an object"}},
		},
		"ParameterSchemaUnknownKeyword": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Parameters.Schema.Raw = []byte(`{"type":"object","properties":{"maxMemory":{"tpye":"integer"}}}`)
			},
			want: []want{{"spec.parameters.schema.properties.maxMemory", `"tpye": not an OpenAPI v3 schema keyword`}},
		},
		"ParameterKeyForUnknownParameter": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Parameters.Keys = []v1alpha1.ParameterKey{{Parameter: "maxmemory", Key: "maxmemory"}}
			},
			want: []want{{"spec.parameters.keys[0].parameter", "Not found"}},
		},
		"MappingSourceNotInSchema": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Compositions[0].Backend.Fields = append(s.Compositions[0].Backend.Fields, v1alpha1.Mapping{From: "spec.parameters.maxMemroy", To: "spec.forProvider.x"})
			},
			want: []want{{"spec.compositions[0].backend.fields[1].from", "spec has no field parameters.maxMemroy"}},
		},
		"MappingTargetNotAPath": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Compositions[0].Backend.Fields[0].To = "spec.forProvider[plan"
			},
			want: []want{{"spec.compositions[0].backend.fields[0].to", "not a field path"}},
		},
		"ExclusiveParameterUnknown": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Compositions[0].ExclusiveParameters = []string{"maxmemory"}
			},
			want: []want{{"spec.compositions[0].exclusiveParameters[0]", "Not found"}},
		},
		"FieldShadowsCrossplane": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) { s.Fields[0].Name = "compositionRef" },
			want: []want{{"spec.fields[0].name", "Crossplane adds this field"}},
		},
		"FieldDuplicatesPlan": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) { s.Fields[0].Name = "plan" },
			want: []want{{"spec.fields[0].name", "Duplicate"}},
		},
		"FieldNotLowerCamel": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) { s.Fields[0].Name = "Accepts-Incomplete" },
			want: []want{{"spec.fields[0].name", "lowerCamelCase"}},
		},
		"ProviderConfigFormatWithoutVerb": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Compositions[0].Backend.ProviderConfig = &v1alpha1.ProviderConfig{Format: "broker"}
			},
			want: []want{{"spec.compositions[0].backend.providerConfig.format", "%s exactly once"}},
		},
		"ServiceDeclaredWithoutServices": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Compositions[0].Services = nil
				s.Service = &v1alpha1.ServiceField{Description: "x"}
			},
			want: []want{{"spec.service", "no composition offers services"}},
		},
		"ExportNamespaceNotDNS": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Export = &v1alpha1.Export{Namespace: "Crossplane System"}
			},
			want: []want{{"spec.export.namespace", "RFC 1123"}},
		},
		"PrinterColumnBadJSONPath": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.PrinterColumns = []v1alpha1.PrinterColumn{{Name: "State", Type: "string", JSONPath: "status.managed.state"}}
			},
			want: []want{{"spec.printerColumns[0].jsonPath", "must be a simple json path starting with ."}},
		},
		"TooManyPlans": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				for i := range generator.MaxPlans {
					s.Compositions[0].Plans = append(s.Compositions[0].Plans, fmt.Sprintf("kv-single-small-%d", i))
				}
			},
			want: []want{{"spec.compositions", "at most 2048 are allowed"}},
		},
		"TooManyPlansOfferedFromACatalog": {
			// 40 compositions offering a catalog of 60 plans offer 2400: counted as offered,
			// however declared.
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Plan.Changes = nil
				for i := range 60 {
					s.Plan.Catalog = append(s.Plan.Catalog, v1alpha1.Offering{Name: fmt.Sprintf("kv-%d", i)})
				}
				c := s.Compositions[0]
				c.Plans = nil
				s.Compositions = nil
				for i := range 40 {
					c.Name = fmt.Sprintf("kv-%d", i)
					s.Compositions = append(s.Compositions, c)
				}
			},
			want: []want{{"spec.compositions", "2400 plans offered by the compositions together, at most 2048 are allowed"}},
		},
		"SchemaTooDeep": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				schema := `{"type":"integer"}`
				for range generator.MaxSchemaDepth + 1 {
					schema = `{"type":"object","properties":{"a":` + schema + `}}`
				}
				s.Parameters.Schema.Raw = []byte(schema)
			},
			want: []want{{"spec.parameters.schema", "at most 32 are allowed"}},
		},
		"TooManyParameters": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				var props []string
				for i := range generator.MaxParameters + 1 {
					props = append(props, fmt.Sprintf(`"p%d":{"type":"string"}`, i))
				}
				s.Parameters.Schema.Raw = []byte(`{"type":"object","properties":{` + strings.Join(props, ",") + `}}`)
			},
			want: []want{{"spec.parameters.schema", "must have at most 2048 items"}},
		},
		"SpecTooLarge": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				// A description is limited by nothing else; 4 MiB of it would generate an XRD
				// holding it once per version.
				s.Plan.Description = strings.Repeat("a", 4<<20)
			},
			want: []want{{"spec", "the spec takes 4.0 MiB as JSON, at most 1.5 MiB are allowed"}},
		},
		"GeneratedXRDTooLarge": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				// 600 KiB of schema is within the spec's limit, but three versions repeat it.
				s.Parameters.Schema.Raw = []byte(`{"type":"object","description":"` + strings.Repeat("a", 600<<10) + `","properties":{"maxMemory":{"type":"integer"}}}`)
				s.Versions = []v1alpha1.APIVersion{{Name: "v1"}, {Name: "v2"}, {Name: "v3", Referenceable: true}}
			},
			want: []want{{"spec", "the generated XRD takes 1.8 MiB as JSON, at most 1.5 MiB are allowed"}},
		},
		"GeneratedCompositionTooLarge": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				// 27 KiB of spec: 1000 parameters 25 levels deep under 60-character names. The
				// Composition patches each with its full path.
				var leaves []string
				for i := range 1000 {
					leaves = append(leaves, fmt.Sprintf(`"p%d":{"type":"string"}`, i))
				}
				schema := `{"type":"object","properties":{` + strings.Join(leaves, ",") + `}}`
				for i := range 25 {
					schema = `{"type":"object","properties":{"` + strings.Repeat(string(rune('a'+i)), 60) + `":` + schema + `}}`
				}
				s.Parameters.Schema.Raw = []byte(schema)
			},
			want: []want{{"spec.compositions[0]", "the generated Composition takes 3.0 MiB as JSON, at most 1.5 MiB are allowed"}},
		},
		"EveryErrorAtOnce": {
			edit: func(s *v1alpha1.DataServiceSpec, _ *v1alpha1.DataService) {
				s.Group = "example"
				s.Kind = "keyValue"
				s.Plan.Changes[0].NoDownsizing.Sizes = []string{"tiny", "big"}
			},
			want: []want{{"spec.group", "dot"}, {"spec.kind", "CamelCase"}, {"spec.plan.changes[0].noDownsizing.sizes[0]", "tiny"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ds, err := v1alpha1.Decode([]byte(validSpec))
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(&ds.Spec, ds)
			var ws []wantError
			for _, w := range tc.want {
				ws = append(ws, wantError(w))
			}
			assertGenerateErrors(t, ds, ws)
		})
	}
}

func TestValidSpecGenerates(t *testing.T) {
	ds, err := v1alpha1.Decode([]byte(validSpec))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := generator.Generate(ds, inputv1beta1.Defaults{}); err != nil {
		t.Fatalf("the base spec of TestValidation must be valid: %v", err)
	}
}

// wantError is an error a validation case expects: at a field path, with a hint of the fix.
type wantError struct {
	field  string // the field path the error names
	detail string // a substring of the message
}

// assertGenerateErrors generates ds and asserts every wanted error, or none when want is empty.
func assertGenerateErrors(t *testing.T, ds *v1alpha1.DataService, want []wantError) {
	t.Helper()
	_, err := generator.Generate(ds, inputv1beta1.Defaults{})
	if len(want) == 0 {
		if err != nil {
			t.Fatalf("Generate: want no error, got %v", err)
		}
		return
	}
	var inv *generator.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("Generate: want *InvalidError, got %v", err)
	}
	for _, w := range want {
		if !hasError(inv.Errs, w.field, w.detail) {
			t.Errorf("want an error at %s containing %q; got:\n%s", w.field, w.detail, listErrors(inv.Errs))
		}
	}
}

func hasError(errs field.ErrorList, path, detail string) bool {
	for _, e := range errs {
		if strings.HasSuffix(e.Field, path) && strings.Contains(e.Error(), detail) {
			return true
		}
	}
	return false
}

func listErrors(errs field.ErrorList) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString("  " + e.Error() + "\n")
	}
	return b.String()
}

// TestErrorsShouldBeStable generates a spec with many errors again and again: the message must be
// the same every time, or Crossplane would record a new one on every reconcile (found by
// FuzzRunFunction: the API server's checks walk schema properties in map order).
func TestErrorsShouldBeStable(t *testing.T) {
	var props []string
	for _, p := range []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"} {
		props = append(props, `"`+p+`":{"type":"integeD","x-kubernetes-validations":[{"rule":""}]}`)
	}
	ds, err := v1alpha1.Decode([]byte(validSpec))
	if err != nil {
		t.Fatal(err)
	}
	ds.Spec.Parameters.Schema.Raw = []byte(`{"type":"object","properties":{` + strings.Join(props, ",") + `}}`)
	var first string
	for i := range 20 {
		_, err := generator.Generate(ds, inputv1beta1.Defaults{})
		if err == nil {
			t.Fatal("Generate: want an error")
		}
		if i == 0 {
			first = err.Error()
			continue
		}
		if err.Error() != first {
			t.Fatalf("run %d reported the errors differently:\nfirst: %s\nnow:   %s", i, first, err)
		}
	}
}
