package generator

import (
	"encoding/json"
	"slices"
	"strings"

	xv2 "github.com/crossplane/crossplane/apis/v2/apiextensions/v2"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/function-dataservice/function-dataservice/internal/resolved"
)

// provenance maps each generated CEL rule, keyed by where it sits in the XRD schema
// ("spec", "spec.plan" …) and its index there, to the DataService field it came from, so that an
// error the API server's checks find in a rule points the user at the line they wrote.
type provenance map[ruleAt]*field.Path

type ruleAt struct {
	at    string
	index int
}

// xrdSchema is the openAPIV3Schema of every version: a spec and a status.
// withCatalog is a field's description followed by what each plan (service) of the catalog is,
// so that kubectl explain tells app developers what they choose.
func withCatalog(description string, c *catalog) string {
	d := c.description()
	switch {
	case d == "":
		return description
	case description == "":
		return d
	}
	return description + "\n" + d
}

func (m *model) xrdSchema() (*extv1.JSONSchemaProps, provenance) {
	prov := provenance{}
	sp := field.NewPath("spec")
	spec := extv1.JSONSchemaProps{Properties: map[string]extv1.JSONSchemaProps{}}

	if m.Service != nil {
		svc := extv1.JSONSchemaProps{Type: "string", Description: withCatalog(m.Service.Description, m.serviceCatalog)}
		if len(m.Compositions) == 1 {
			svc.Enum = enumOf(m.Compositions[0].Services)
		}
		if !m.Service.Mutable {
			prov[ruleAt{"spec.service", len(svc.XValidations)}] = sp.Child("service")
			svc.XValidations = append(svc.XValidations, serviceImmutableRule())
		}
		spec.Properties["service"] = svc
		spec.Required = append(spec.Required, "service")
	}
	if m.Plan != nil {
		plan := extv1.JSONSchemaProps{Type: "string", Description: withCatalog(m.Plan.Description, m.planCatalog)}
		for i, c := range m.Plan.Changes {
			prov[ruleAt{"spec.plan", len(plan.XValidations)}] = sp.Child("plan", "changes").Index(i)
			plan.XValidations = append(plan.XValidations, planRule(c))
		}
		if len(m.Plan.Hidden) > 0 {
			prov[ruleAt{"spec.plan", len(plan.XValidations)}] = sp.Child("plan", "hidden")
			plan.XValidations = append(plan.XValidations, hiddenPlansRule(m.Plan.Hidden))
		}
		if len(m.Compositions) == 1 {
			plan.Enum = enumOf(m.Compositions[0].Plans)
		}
		spec.Properties["plan"] = plan
		spec.Required = append(spec.Required, "plan")
	}
	for _, f := range m.fields {
		spec.Properties[f.spec.Name] = f.schema
		if f.spec.Required {
			spec.Required = append(spec.Required, f.spec.Name)
		}
	}
	if m.params != nil {
		spec.Properties["parameters"] = *m.params
	}

	// Spec-level rules: which services and plans each composition offers (with several
	// compositions enums cannot say it), verbatim rules, then parameters only some compositions take.
	if len(m.Compositions) > 1 {
		for _, f := range []*resolved.Field{m.Service, m.Plan} {
			if f != nil {
				prov[ruleAt{"spec", len(spec.XValidations)}] = sp.Child("compositions")
				spec.XValidations = append(spec.XValidations, m.offering(f.Name))
			}
		}
	}
	for i, r := range m.spec.Rules {
		prov[ruleAt{"spec", len(spec.XValidations)}] = sp.Child("rules").Index(i)
		spec.XValidations = append(spec.XValidations, extv1.ValidationRule{
			Rule: r.Rule, Message: r.Message, MessageExpression: r.MessageExpression,
			Reason: reasonOf(r.Reason), FieldPath: r.FieldPath,
		})
	}
	for _, c := range sortedByName(m.compositions) {
		for j, pn := range c.spec.ExclusiveParameters {
			prov[ruleAt{"spec", len(spec.XValidations)}] = sp.Child("compositions").Index(c.index).Child("exclusiveParameters").Index(j)
			spec.XValidations = append(spec.XValidations, exclusiveParameterRule(m.compositionRef(), pn, c.spec.Name, m.otherCompositions(c.spec.Name)))
		}
	}

	status := extv1.JSONSchemaProps{
		Type: "object",
		Properties: map[string]extv1.JSONSchemaProps{
			"managed": {Type: "object", XPreserveUnknownFields: ptrTo(true)},
		},
	}
	return &extv1.JSONSchemaProps{Properties: map[string]extv1.JSONSchemaProps{"spec": spec, "status": status}}, prov
}

// serviceImmutableRule keeps spec.service as the instance was created with, in Klutch's wording; a
// DataService whose service is mutable has none.
func serviceImmutableRule() extv1.ValidationRule {
	return extv1.ValidationRule{Rule: "self == oldSelf", Message: "Service is an immutable field"}
}

// IsServiceImmutableRule says whether r is the rule serviceImmutableRule writes, however its CEL is
// spaced.
func IsServiceImmutableRule(r extv1.ValidationRule) bool {
	w := serviceImmutableRule()
	return canonCEL(r.Rule) == canonCEL(w.Rule) && r.Message == w.Message
}

// compositionRef is how the generated rules read the composition an instance selects.
func (m *model) compositionRef() string {
	return selectedComposition(m.Line, m.DefaultComposition, m.RequireCompositionRef)
}

// offering is the rule that says, per composition, which values of a field it offers.
func (m *model) offering(fieldName string) extv1.ValidationRule {
	return extv1.ValidationRule{Rule: offeringRule(m.compositionRef(), fieldName, m.Compositions), Message: offeringMessage(fieldName, m.Name)}
}

func (m *model) otherCompositions(name string) []string {
	return slices.DeleteFunc(m.CompositionNames(), func(n string) bool { return n == name })
}

// sortedByName orders compositions by name so exclusive-parameter rules come in a stable order
// that does not depend on how the compositions are listed.
func sortedByName(cs []resolvedComposition) []resolvedComposition {
	out := slices.Clone(cs)
	slices.SortStableFunc(out, func(a, b resolvedComposition) int { return strings.Compare(a.spec.Name, b.spec.Name) })
	return out
}

func reasonOf(r string) *extv1.FieldValueErrorReason {
	if r == "" {
		return nil
	}
	rr := extv1.FieldValueErrorReason(r)
	return &rr
}

func enumOf(vs []string) []extv1.JSON {
	out := make([]extv1.JSON, len(vs))
	for i, v := range vs {
		b, _ := json.Marshal(v)
		out[i] = extv1.JSON{Raw: b}
	}
	return out
}

// xrdObject is the XRD as a typed object; its apiVersion names the targeted Crossplane line.
type xrdObject = *xv2.CompositeResourceDefinition

func buildXRD(m *model) (xrdObject, provenance) {
	schema, prov := m.xrdSchema()
	raw, _ := json.Marshal(schema) // a JSONSchemaProps always marshals
	var columns []extv1.CustomResourceColumnDefinition
	for _, c := range m.spec.PrinterColumns {
		columns = append(columns, extv1.CustomResourceColumnDefinition{
			Name: c.Name, Type: c.Type, JSONPath: c.JSONPath, Description: c.Description, Priority: c.Priority,
		})
	}
	var deletePolicy *xpv2.CompositeDeletePolicy
	if m.spec.DeletePolicy != "" {
		p := xpv2.CompositeDeletePolicy(m.spec.DeletePolicy)
		deletePolicy = &p
	}
	userNames := extv1.CustomResourceDefinitionNames{
		Kind: m.Kind, Plural: m.Plural, Categories: m.Categories, ShortNames: m.ShortNames,
	}

	// One typed object serves both lines: an apiextensions.crossplane.io/v2 XRD has every field of
	// a v1 one, and the fields a line does not use stay empty.
	x := &xv2.CompositeResourceDefinition{
		TypeMeta:   metav1.TypeMeta{APIVersion: xv2.SchemeGroupVersion.String(), Kind: xv2.CompositeResourceDefinitionKind},
		ObjectMeta: metav1.ObjectMeta{Name: m.XRDName()},
		Spec: xv2.CompositeResourceDefinitionSpec{
			Group:                        m.Group,
			Names:                        userNames,
			Scope:                        xv2.CompositeResourceScope(m.Scope),
			DefaultCompositionRef:        &xv2.CompositionReference{Name: m.DefaultComposition},
			DefaultCompositeDeletePolicy: deletePolicy,
			ConnectionSecretKeys:         m.ConnectionSecretKeys,
		},
	}
	if m.Line.Claims {
		x.APIVersion = m.Line.XRDAPIVersion
		x.Spec.Names = extv1.CustomResourceDefinitionNames{Kind: m.CompositeKind, Plural: m.CompositePlural}
		x.Spec.ClaimNames = &userNames
	}
	for _, v := range m.Versions {
		x.Spec.Versions = append(x.Spec.Versions, xv2.CompositeResourceDefinitionVersion{
			Name: v.Name, Served: v.Served, Referenceable: v.Referenceable,
			Deprecated: optBool(v.Deprecated), DeprecationWarning: optString(v.DeprecationWarning),
			Schema:                   &xv2.CompositeResourceValidation{OpenAPIV3Schema: runtime.RawExtension{Raw: raw}},
			AdditionalPrinterColumns: columns,
		})
	}
	return x, prov
}

func ptrTo[T any](v T) *T { return &v }

func optBool(b bool) *bool {
	if !b {
		return nil
	}
	return &b
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
