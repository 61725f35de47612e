package scaffold

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// What the CR's status tells the composite: how it is ready, and what the CRD's printer columns
// show.

// conditionColumn is the JSONPath of a printer column showing one status condition.
var conditionColumn = regexp.MustCompile(`^\.status\.conditions\[\?\(@\.type\s*==\s*['"]([^'"]+)['"]\)\]\.status$`)

// simpleStatus is the JSONPath of a printer column showing a field of status.
var simpleStatus = regexp.MustCompile(`^\.status((\.[A-Za-z0-9_]+)+)$`)

// readinessOf tells how the CR is ready: a boolean status.ready, the condition a printer column
// about readiness shows, or the Ready condition of status.conditions.
func readinessOf(root *extv1.JSONSchemaProps, columns []extv1.CustomResourceColumnDefinition) readiness {
	st := child(root, "status")
	for _, name := range slices.Sorted(maps.Keys(orEmpty(st).Properties)) {
		if strings.EqualFold(name, "ready") && st.Properties[name].Type == "boolean" {
			return readiness{field: name, why: "status." + name + " is true (a boolean of the CRD's status)"}
		}
	}
	var conds []extv1.CustomResourceColumnDefinition
	for _, c := range columns {
		if conditionColumn.MatchString(c.JSONPath) {
			conds = append(conds, c)
		}
	}
	for _, c := range conds {
		l := strings.ToLower(c.Name)
		if strings.Contains(l, "ready") || strings.Contains(l, "available") {
			t := conditionColumn.FindStringSubmatch(c.JSONPath)[1]
			return readiness{condition: t, why: "the condition " + t + " is True (the CRD's printer column " + c.Name + " shows it)"}
		}
	}
	if c := child(st, "conditions"); c != nil && c.Type == "array" {
		return readiness{condition: "Ready", why: "the condition Ready is True: the CRD's status has conditions but does not say which types the operator sets; Ready is Kubernetes' convention, check the operator's documentation"}
	}
	return readiness{}
}

func orEmpty(s *extv1.JSONSchemaProps) *extv1.JSONSchemaProps {
	if s == nil {
		return &extv1.JSONSchemaProps{}
	}
	return s
}

// statusOf lists the fields of status the CRD's printer columns show (at most four), and the
// ready field.
func statusOf(root *extv1.JSONSchemaProps, columns []extv1.CustomResourceColumnDefinition, r readiness) []statusField {
	var out []statusField
	seen := map[string]bool{}
	for _, c := range columns {
		m := simpleStatus.FindStringSubmatch(c.JSONPath)
		if m == nil || len(out) == 4 {
			continue
		}
		p := strings.TrimPrefix(m[1], ".")
		last := p[strings.LastIndex(p, ".")+1:]
		if seen[last] || !slices.Contains([]string{"string", "integer", "number", "boolean", "date"}, c.Type) {
			continue
		}
		seen[last] = true
		out = append(out, statusField{path: p, column: c.Name, typ: c.Type})
	}
	if r.field != "" && !seen[r.field] {
		out = append([]statusField{{path: r.field, typ: "boolean"}}, out...)
	}
	_ = root
	return out
}
