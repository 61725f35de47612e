package catalog

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/markdown"
)

// writeFields writes every spec field app developers set, Crossplane's machinery fields left out,
// one table row each with nested fields below their parent, then the rules on the whole spec.
func writeFields(b *strings.Builder, spec *structuralschema.Structural) {
	b.WriteString("## Fields\n\n")
	b.WriteString("Every field of `spec` you set; nested fields are named by their path below `spec`.\n\n")
	b.WriteString("| Field | Type | Default | Allowed values | Description | Rules |\n|---|---|---|---|---|---|\n")
	for _, name := range fieldOrder(spec) {
		p := spec.Properties[name]
		writeField(b, name, &p, slices.Contains(required(spec), name))
	}
	b.WriteString("\n")
	if len(spec.XValidations) > 0 {
		b.WriteString("Rules on the whole spec, checked on every create and update:\n\n")
		for _, r := range spec.XValidations {
			fmt.Fprintf(b, "- %s\n", ruleText(r.Rule, r.Message, r.MessageExpression))
		}
		b.WriteString("\n")
	}
}

// fieldOrder is service and plan first, then the other fields by name, machinery left out.
func fieldOrder(spec *structuralschema.Structural) []string {
	var names []string
	for n := range spec.Properties {
		if n == "service" || n == "plan" || slices.Contains(v1alpha1.CrossplaneSpecFields, n) {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	var first []string
	for _, n := range []string{"service", "plan"} {
		if _, ok := spec.Properties[n]; ok {
			first = append(first, n)
		}
	}
	return append(first, names...)
}

func required(s *structuralschema.Structural) []string {
	if s.ValueValidation == nil {
		return nil
	}
	return s.ValueValidation.Required
}

func writeField(b *strings.Builder, path string, s *structuralschema.Structural, req bool) {
	typ := typeOf(s)
	if req {
		typ += ", required"
	}
	def := ""
	if s.Default.Object != nil {
		def = markdown.Code(jsonText(s.Default.Object))
	}
	fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", markdown.Cell(markdown.Code(path)), typ, markdown.Cell(def), markdown.Cell(allowedValues(s)), cell(s.Description), markdown.Cell(strings.Join(rulesOf(s), "; ")))
	for _, name := range sortedKeys(s.Properties) {
		p := s.Properties[name]
		writeField(b, path+"."+name, &p, slices.Contains(required(s), name))
	}
	if s.Items != nil && len(s.Items.Properties) > 0 {
		for _, name := range sortedKeys(s.Items.Properties) {
			p := s.Items.Properties[name]
			writeField(b, path+"[]."+name, &p, slices.Contains(required(s.Items), name))
		}
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Structural != nil {
		ap := s.AdditionalProperties.Structural
		for _, name := range sortedKeys(ap.Properties) {
			p := ap.Properties[name]
			writeField(b, path+".*."+name, &p, slices.Contains(required(ap), name))
		}
	}
}

func sortedKeys(m map[string]structuralschema.Structural) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// typeOf says a schema's type in words: "integer or string", "array of string", "map of string".
func typeOf(s *structuralschema.Structural) string {
	switch {
	case s.XIntOrString:
		return "integer or string"
	case s.Type == "array" && s.Items != nil:
		return "array of " + typeOf(s.Items)
	case s.Type == "object" && s.AdditionalProperties != nil && s.AdditionalProperties.Structural != nil:
		return "map of " + typeOf(s.AdditionalProperties.Structural)
	case s.Type == "object" && s.XPreserveUnknownFields:
		return "object (any fields)"
	case s.Type == "":
		return "any"
	}
	return s.Type
}

// allowedValues says the schema's value constraints in words, as Markdown: the enum, bounds,
// lengths, pattern, format.
func allowedValues(s *structuralschema.Structural) string {
	var parts []string
	if v := s.ValueValidation; v != nil {
		parts = valueConstraints(v)
	}
	// What each item of an array (each value of a map) may be is part of what the field allows.
	if s.Items != nil {
		if a := allowedValues(s.Items); a != "" {
			parts = append(parts, "each item "+a)
		}
	}
	if ap := s.AdditionalProperties; ap != nil && ap.Structural != nil {
		if a := allowedValues(ap.Structural); a != "" {
			parts = append(parts, "each value "+a)
		}
	}
	return strings.Join(parts, ", ")
}

// valueConstraints says the constraints of one schema node in words.
func valueConstraints(v *structuralschema.ValueValidation) []string {
	var parts []string
	if len(v.Enum) > 0 {
		var es []string
		for _, e := range v.Enum {
			es = append(es, markdown.Code(jsonText(e.Object)))
		}
		parts = append(parts, "one of "+strings.Join(es, ", "))
	}
	bound := func(n *float64, excl bool, incl, strict string) {
		if n == nil {
			return
		}
		op := incl
		if excl {
			op = strict
		}
		parts = append(parts, fmt.Sprintf("%s %v", op, *n))
	}
	bound(v.Minimum, v.ExclusiveMinimum, "≥", ">")
	bound(v.Maximum, v.ExclusiveMaximum, "≤", "<")
	count := func(n *int64, what string) {
		if n != nil {
			parts = append(parts, fmt.Sprintf(what, *n))
		}
	}
	count(v.MinLength, "at least %d characters")
	count(v.MaxLength, "at most %d characters")
	count(v.MinItems, "at least %d items")
	count(v.MaxItems, "at most %d items")
	count(v.MinProperties, "at least %d entries")
	count(v.MaxProperties, "at most %d entries")
	if v.UniqueItems {
		parts = append(parts, "items unique")
	}
	if v.Pattern != "" {
		parts = append(parts, "matching "+markdown.Code(v.Pattern))
	}
	if v.Format != "" {
		parts = append(parts, "format "+markdown.Text(v.Format))
	}
	if v.MultipleOf != nil {
		parts = append(parts, fmt.Sprintf("a multiple of %v", *v.MultipleOf))
	}
	return parts
}

// rulesOf says the CEL rules of a field, as Markdown: each by its message, the rule beside it;
// rules on a change (oldSelf) are marked so.
func rulesOf(s *structuralschema.Structural) []string {
	var out []string
	for _, r := range s.XValidations {
		out = append(out, ruleText(r.Rule, r.Message, r.MessageExpression))
	}
	return out
}

// ruleText says a rule as Markdown: its message as text, the rule and a messageExpression as code.
func ruleText(rule, message, messageExpression string) string {
	code := markdown.Code(strings.Join(strings.Fields(rule), " "))
	when := ""
	if strings.Contains(rule, "oldSelf") {
		when = "on change: "
	}
	switch {
	case message != "":
		return fmt.Sprintf("%s%s (%s)", when, text(message), code)
	case messageExpression != "":
		return fmt.Sprintf("%s%s (message: %s)", when, code, markdown.Code(messageExpression))
	}
	return when + code
}
