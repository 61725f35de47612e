package scaffold

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// scalar writes a value as YAML on one line: a string plain when YAML reads it back as the same
// string, else quoted; anything else as JSON, which YAML reads.
func scalar(v any) string {
	if s, ok := v.(string); ok {
		if plain.MatchString(s) {
			var back any
			if yaml.Unmarshal([]byte(s), &back) == nil && back == s {
				return s
			}
		}
		return jsonText(s)
	}
	return jsonText(v)
}

// jsonText is v as JSON, without escaping <, > and & (YAML reads them as they are).
func jsonText(v any) string {
	var b strings.Builder
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	_ = e.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}

// flow writes a value as YAML on one line, objects and lists in flow style.
func flow(v any) string {
	switch x := v.(type) {
	case map[string]any:
		parts := make([]string, 0, len(x))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			parts = append(parts, scalar(k)+": "+flow(x[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, flow(e))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return scalar(v)
}

// plain are the strings that may go unquoted in a flow mapping.
var plain = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]*$`)

// writer writes YAML lines at an indentation.
type writer struct{ b strings.Builder }

func (w *writer) line(indent int, format string, args ...any) {
	w.b.WriteString(strings.Repeat(" ", indent))
	fmt.Fprintf(&w.b, format, args...)
	w.b.WriteString("\n")
}

// comment writes text as comment lines at an indentation, wrapped at 100 columns.
func (w *writer) comment(indent int, text string) {
	width := 100 - indent - 2
	for _, para := range strings.Split(text, "\n") {
		line := ""
		// A list item's further lines line up with its text.
		hang := ""
		if strings.HasPrefix(para, "- ") {
			hang = "  "
		}
		for _, word := range strings.Fields(para) {
			if line != "" && len(line)+1+len(word) > width {
				w.line(indent, "# %s", line)
				line = hang
			}
			if line != "" && line != hang {
				line += " "
			}
			line += word
		}
		w.line(indent, "# %s", line)
	}
}

// render writes the DataService.
func (d *draft) render() []byte {
	w := &writer{}
	scope := "namespaced"
	if d.crd.Object.Spec.Scope == extv1.ClusterScoped {
		scope = "cluster-scoped"
	}
	w.comment(0, fmt.Sprintf("An internal data service run by an operator, scaffolded by dataservice init from the CRD %s (%s %s, %s), in %s. Every choice is a proposal, commented where it is made: edit the file, then generate it with the same CRD, which checks every path, type and plan against it:",
		d.crd.Object.Name, d.gvk.GroupVersion(), d.gvk.Kind, scope, d.crdFile))
	w.line(0, "#   dataservice generate -f %s.yaml --crd %s -o _output/package", d.name, d.crdFile)
	if len(d.missing) > 0 || len(d.left) > 0 {
		w.line(0, "#")
		w.comment(0, "What the CRD offers nothing to map to, or refuses:")
		for _, m := range append(slices.Clone(d.missing), d.left...) {
			w.comment(0, "- "+m)
		}
	}
	w.line(0, "apiVersion: %s", v1alpha1.GroupVersion)
	w.line(0, "kind: %s", v1alpha1.DataServiceKind)
	w.line(0, "metadata:")
	w.line(2, "name: %s", d.name)
	w.line(0, "spec:")
	switch {
	case d.object:
		w.comment(2, fmt.Sprintf("Crossplane 1.x (Klutch's line): app developers create a namespaced %s claim, and the %s is composed in the claim's namespace inside a provider-kubernetes Object (a 1.x composite is cluster-scoped and cannot compose a namespaced resource). dataservice init --crossplane v2 composes it directly.", d.kind, d.gvk.Kind))
	case d.line == v1alpha1.CrossplaneV1:
		w.comment(2, fmt.Sprintf("Crossplane 1.x (Klutch's line): app developers create a namespaced %s claim; the %s is cluster-scoped, so the composite composes it directly.", d.kind, d.gvk.Kind))
	case d.clusterScope:
		w.comment(2, fmt.Sprintf("Crossplane v2: the %s is cluster-scoped, and a namespaced composite composes only namespaced resources, so the API is cluster-scoped too.", d.gvk.Kind))
	default:
		w.comment(2, fmt.Sprintf("Crossplane v2: app developers create a namespaced %s, and the %s is composed directly in its namespace. dataservice init --crossplane v1 composes it for Crossplane 1.x (Klutch's line) instead.", d.kind, d.gvk.Kind))
	}
	w.line(2, "crossplaneVersion: %s", d.line)
	w.comment(2, "The API app developers use, proposed from the CRD: rename it freely (the group is your organisation's domain).")
	w.line(2, "group: %s", d.group)
	w.line(2, "kind: %s", d.kind)
	if d.clusterScope {
		w.line(2, "scope: %s", v1alpha1.ScopeCluster)
	}
	w.line(2, "printerColumns:")
	w.line(4, "- {name: PLAN, type: string, jsonPath: .spec.plan}")
	for _, s := range d.status {
		name := strings.ToUpper(s.column)
		if name == "" {
			name = strings.ToUpper(s.path[strings.LastIndex(s.path, ".")+1:])
		}
		w.line(4, "- {name: %s, type: %s, jsonPath: .status.managed.%s}", scalar(name), s.typ, s.path[strings.LastIndex(s.path, ".")+1:])
	}
	if d.service != nil {
		w.line(2, "service:")
		w.line(4, "description: %s", scalar("Version of the "+d.gvk.Kind+" servers."))
		w.comment(4, "One service, the CRD's default; add a catalog entry per version you offer.")
		w.line(4, "values:")
		w.line(6, "- {name: %s, description: %s}", d.service.name, scalar(d.service.desc))
		w.line(4, "catalog:")
		w.line(6, "- {name: %s, values: {%s: %s}}", scalar(d.serviceName), d.service.name, scalar(d.service.sizes[0]))
	}
	w.line(2, "plan:")
	w.line(4, "description: %s", scalar("Size of the instance. Plans may grow, never shrink."))
	w.line(4, "changes:")
	w.line(6, "- noDownsizing: {sizes: [%s]}", strings.Join(plans, ", "))
	if len(d.values) > 0 {
		w.comment(4, fmt.Sprintf("What each plan sets on the %s: the fields of the CRD that size an instance. The sizes are a proposal: set yours.", d.gvk.Kind))
		w.line(4, "values:")
		for _, v := range d.values {
			typ := ""
			if v.typ != v1alpha1.ValueTypeString {
				typ = ", type: " + v.typ
			}
			w.line(6, "- {name: %s%s, description: %s}", v.name, typ, scalar(v.desc))
		}
	} else {
		w.comment(4, "The CRD offers no field that sizes an instance (see the top of the file): the plans carry no values. Declare values here and map them in the backend's fields (dataservice explain spec.plan.values).")
	}
	w.line(4, "catalog:")
	for i, p := range plans {
		var vals, desc []string
		for _, v := range d.values {
			vals = append(vals, v.name+": "+scalar(v.sizes[i]))
			desc = append(desc, fmt.Sprintf("%s %v", v.name, v.sizes[i]))
		}
		line := fmt.Sprintf("- {name: %s", p)
		if len(desc) > 0 {
			line += ", description: " + scalar(strings.Join(desc, ", ")+".")
		}
		if len(vals) > 0 {
			line += ", values: {" + strings.Join(vals, ", ") + "}"
		}
		w.line(6, "%s}", line)
	}
	w.line(2, "compositions:")
	w.line(4, "- name: %s", d.name)
	w.line(6, "backend:")
	d.renderBackend(w, 8)
	return []byte(w.b.String())
}

func (d *draft) renderBackend(w *writer, in int) {
	if d.object {
		w.line(in, "apiVersion: %s", ProviderKubernetesObject.GroupVersion())
		w.line(in, "kind: %s", ProviderKubernetesObject.Kind)
	} else {
		w.line(in, "apiVersion: %s", d.gvk.GroupVersion())
		w.line(in, "kind: %s", d.gvk.Kind)
	}
	w.line(in, "base:")
	if len(d.base) == 0 && !d.object {
		w.line(in+2, "spec: {}")
	} else {
		w.line(in+2, "spec:")
	}
	specIn := in + 4
	if d.object {
		w.line(in+4, "forProvider:")
		w.line(in+6, "manifest:")
		w.line(in+8, "apiVersion: %s", d.gvk.GroupVersion())
		w.line(in+8, "kind: %s", d.gvk.Kind)
		specIn = in + 10
		if len(d.base) > 0 {
			w.line(in+8, "spec:")
		}
	}
	for _, r := range d.base {
		w.line(specIn, "%s: %s  # %s", r.name, flow(r.value), r.why)
	}
	if d.object {
		if q := d.celQuery(); q != "" {
			w.comment(in+4, fmt.Sprintf("The Object is ready when the %s is: when %s.", d.gvk.Kind, d.ready.why))
			w.line(in+4, "readiness: {policy: DeriveFromCelQuery, celQuery: %s}", scalar(q))
		}
	}
	if d.object {
		w.line(in, "providerConfig: {name: %s}", KubernetesProviderConfig)
	}
	d.rendered = nil
	if len(d.mappings) == 0 && !d.object {
		w.line(in, "fields: []")
	} else {
		w.line(in, "fields:")
	}
	if d.object {
		w.comment(in+2, fmt.Sprintf("The %s is named after the claim, in the claim's namespace.", d.gvk.Kind))
		w.line(in+2, "- {from: %s, to: spec.forProvider.manifest.metadata.namespace}", scalar(xpline.LabelClaimNamespace))
		w.line(in+2, "- {from: %s, to: spec.forProvider.manifest.metadata.name}", scalar(xpline.LabelClaimName))
		d.rendered = append(d.rendered, -1, -1)
	}
	for i, m := range d.mappings {
		w.line(in+2, "- {value: %s, to: %s}", m.value, scalar(m.to))
		d.rendered = append(d.rendered, i)
	}
	if !d.object {
		switch {
		case d.ready.field != "":
			w.comment(in, "Ready when "+d.ready.why+".")
			w.line(in, "readinessChecks:")
			w.line(in+2, "- {type: MatchTrue, fieldPath: status.%s}", d.ready.field)
		case d.ready.condition != "":
			w.comment(in, "Ready when "+d.ready.why+".")
			w.line(in, "readinessChecks:")
			w.line(in+2, "- {type: MatchCondition, matchCondition: {type: %s, status: \"True\"}}", scalar(d.ready.condition))
		default:
			w.comment(in, "The CRD's status says nothing of readiness: ready once it exists.")
			w.line(in, "readinessChecks:")
			w.line(in+2, "- {type: None}")
		}
	}
	if len(d.status) > 0 {
		w.comment(in, fmt.Sprintf("What the composite shows of the %s's status, below status.managed (the CRD's printer columns).", d.gvk.Kind))
		w.line(in, "status:")
		for _, s := range d.status {
			from := "status." + s.path
			if d.object {
				from = "status.atProvider.manifest." + from
			}
			w.line(in+2, "- {from: %s}", from)
		}
	}
}

// celQuery is provider-kubernetes' readiness query of the CR, "" when the CRD says nothing of
// readiness.
func (d *draft) celQuery() string {
	switch {
	case d.ready.field != "":
		return fmt.Sprintf("has(object.status) && has(object.status.%s) && object.status.%s == true", d.ready.field, d.ready.field)
	case d.ready.condition != "":
		return fmt.Sprintf("has(object.status) && has(object.status.conditions) && object.status.conditions.exists(c, c.type == '%s' && c.status == 'True')", d.ready.condition)
	}
	return ""
}
