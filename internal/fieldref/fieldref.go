// Package fieldref is the field reference of the DataService and the DataServiceOverlay read without
// a cluster: the schema the control plane serves (apis/definition.yaml), or the one an overlay is
// decoded with (apis/schemas/overlay.yaml), explained field by field as kubectl explain does, or written
// whole as a Markdown page. Error messages of the generator point to it.
package fieldref

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// indices are the [0] and [key] parts of a field path as errors print it: explain ignores them.
var indices = regexp.MustCompile(`\[[^\]]*\]`)

// A Reference is the schema of one kind.
type Reference struct {
	// Kind and APIVersion name it in the output.
	Kind, APIVersion string
	// Schema is its OpenAPI v3 schema, with every description.
	Schema *extv1.JSONSchemaProps
}

// Lookup finds the schema of a dotted field path below root, e.g. spec.compositions[0].backend.
// Array items are stepped through: a path names fields, never items.
func Lookup(root *extv1.JSONSchemaProps, path string) (*extv1.JSONSchemaProps, error) {
	return lookup(root, path, "DataService")
}

// lookup is Lookup in the schema of a kind, which an error names.
func lookup(root *extv1.JSONSchemaProps, path, kind string) (*extv1.JSONSchemaProps, error) {
	s := items(root)
	path = strings.Trim(indices.ReplaceAllString(path, ""), ".")
	if path == "" {
		return root, nil
	}
	var walked []string
	for _, name := range strings.Split(path, ".") {
		c, ok := s.Properties[name]
		if !ok {
			at := "the " + kind
			if len(walked) > 0 {
				at = strings.Join(walked, ".")
			}
			return nil, errors.Errorf("%s has no field %q; its fields: %s", at, name, strings.Join(fieldNames(s), ", "))
		}
		walked = append(walked, name)
		s = &c
		if len(walked) < len(strings.Split(path, ".")) {
			s = items(s)
		}
	}
	return s, nil
}

// items steps from an array into its items.
func items(s *extv1.JSONSchemaProps) *extv1.JSONSchemaProps {
	for s.Type == "array" && s.Items != nil && s.Items.Schema != nil {
		s = s.Items.Schema
	}
	return s
}

func fieldNames(s *extv1.JSONSchemaProps) []string {
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// typeOf names a schema's type as kubectl explain does: <string>, <[]Object>, <map[string]string>.
func typeOf(s *extv1.JSONSchemaProps) string {
	switch {
	case s.Type == "array" && s.Items != nil && s.Items.Schema != nil:
		return "[]" + strings.Trim(typeOf(s.Items.Schema), "<>")
	case s.Type == "object" && len(s.Properties) > 0:
		return "Object"
	case s.Type == "object" && s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil:
		return "map[string]" + strings.Trim(typeOf(s.AdditionalProperties.Schema), "<>")
	case s.Type == "object":
		return "Object"
	case s.Type == "":
		return "any"
	}
	return s.Type
}

// Explain writes the field at path of the reference: its type, description and fields,
// recursively when asked.
func Explain(w io.Writer, ref Reference, path string, recursive bool) error {
	s, err := lookup(ref.Schema, path, ref.Kind)
	if err != nil {
		return err
	}
	clean := strings.Trim(indices.ReplaceAllString(path, ""), ".")
	fmt.Fprintf(w, "KIND:     %s\nVERSION:  %s\n", ref.Kind, ref.APIVersion)
	if clean != "" {
		fmt.Fprintf(w, "FIELD:    %s <%s>\n", clean, typeOf(s))
	}
	fmt.Fprintf(w, "\nDESCRIPTION:\n%s\n", indent(describe(s), "  "))
	fs := items(s)
	if len(fs.Properties) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nFIELDS:\n")
	writeFields(w, fs, "  ", recursive)
	return nil
}

func describe(s *extv1.JSONSchemaProps) string {
	d := s.Description
	if d == "" {
		d = "<empty>"
	}
	if len(s.Enum) > 0 {
		var vals []string
		for _, e := range s.Enum {
			vals = append(vals, string(e.Raw))
		}
		d += "\nOne of: " + strings.Join(vals, ", ")
	}
	return d
}

func writeFields(w io.Writer, s *extv1.JSONSchemaProps, prefix string, recursive bool) {
	for _, n := range fieldNames(s) {
		c := s.Properties[n]
		req := ""
		if slices.Contains(s.Required, n) {
			req = " -required-"
		}
		fmt.Fprintf(w, "%s%s\t<%s>%s\n", prefix, n, typeOf(&c), req)
		if recursive {
			if ci := items(&c); len(ci.Properties) > 0 {
				writeFields(w, ci, prefix+"  ", true)
			}
			continue
		}
		fmt.Fprintf(w, "%s\n\n", indent(describe(&c), prefix+"  "))
	}
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}

// Markdown writes the whole reference below path as one Markdown page: a section per object, a
// table of its fields.
func Markdown(w io.Writer, ref Reference, path string) error {
	s, err := lookup(ref.Schema, path, ref.Kind)
	if err != nil {
		return err
	}
	clean := strings.Trim(indices.ReplaceAllString(path, ""), ".")
	fmt.Fprintf(w, "# %s field reference\n\n", ref.Kind)
	fmt.Fprintf(w, "Generated from the %s schema (`dataservice explain --markdown`); `dataservice explain <path>` shows one field.\n\n", ref.Kind)
	markdownSection(w, items(s), clean, ref.Kind)
	return nil
}

func markdownSection(w io.Writer, s *extv1.JSONSchemaProps, path, kind string) {
	title := path
	if title == "" {
		title = kind
	}
	fmt.Fprintf(w, "## %s\n\n%s\n\n", title, strings.TrimSpace(s.Description))
	if len(s.Properties) == 0 {
		return
	}
	fmt.Fprintf(w, "| Field | Type | Required | Description |\n|---|---|---|---|\n")
	var deeper []string
	for _, n := range fieldNames(s) {
		c := s.Properties[n]
		req := ""
		if slices.Contains(s.Required, n) {
			req = "yes"
		}
		d := strings.ReplaceAll(strings.TrimSpace(describe(&c)), "\n", " ")
		d = strings.ReplaceAll(d, "|", `\|`)
		fmt.Fprintf(w, "| `%s` | %s | %s | %s |\n", n, strings.ReplaceAll(typeOf(&c), "|", `\|`), req, d)
		if ci := items(&c); len(ci.Properties) > 0 {
			deeper = append(deeper, n)
		}
	}
	fmt.Fprintln(w)
	for _, n := range deeper {
		c := s.Properties[n]
		p := n
		if path != "" {
			p = path + "." + n
		}
		markdownSection(w, items(&c), p, kind)
	}
}

// Hint is what an error about a field points users to.
func Hint(path string) string {
	clean := strings.Trim(indices.ReplaceAllString(path, ""), ".")
	if clean == "" {
		return "dataservice explain"
	}
	return "dataservice explain " + clean
}
