package scaffold

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// What an operator's CRD says about sizing an instance, read from its schema alone: by the shapes
// and names Kubernetes APIs share (a count of replicas, a core ResourceRequirements, a volume size
// or a PersistentVolumeClaim's requests, an image), never by knowing an operator.

const (
	// maxDepth bounds how deep below spec the schema is searched.
	maxDepth = 6
	// maxVisits bounds the schema nodes searched, so that a CRD of megabytes is read as fast as a
	// small one.
	maxVisits = 20000
)

// replicaNames are the names of a count of servers, in the order they are preferred.
var replicaNames = []string{"instances", "replicas", "nodes", "members", "shards", "size", "count", "clusterSize"}

// storageWords mark a volume in a field's path.
var storageWords = []string{"storage", "persistence", "volume", "disk"}

// sizeNames are the names of a volume's size.
var sizeNames = []string{"size", "storage", "capacity"}

// imageNames are the names of a server's image or version, in the order they are preferred.
var imageNames = []string{"image", "imageName", "version"}

// intField is an integer field that counts servers.
type intField struct {
	name          string
	path          fieldpath.Segments
	def, min, max *int64
}

// findings is what the CRD offers a DataService.
type findings struct {
	replicas []intField
	// resources is a core ResourceRequirements (requests and limits maps).
	resources fieldpath.Segments
	// storage is the size of the instance's volume, storageType its type.
	storage     fieldpath.Segments
	storageType string
	// image is the server's image or version, imageDefault its default ("" for none).
	image        fieldpath.Segments
	imageDefault string
	// required are the fields the CRD requires below spec, with the value the base gives them.
	required []requiredField
	ready    readiness
	status   []statusField
}

// requiredField is a field of spec the CRD requires, the value the base gives it and why.
type requiredField struct {
	name  string
	value any
	why   string
}

// readiness is how the composite tells the CR is ready.
type readiness struct {
	// field is a boolean field of status that is true when ready.
	field string
	// condition is the type of the status condition that is True when ready.
	condition string
	// why says where the choice comes from.
	why string
}

// statusField is a field of the CR's status the composite shows.
type statusField struct {
	path   string // below status, e.g. readyInstances
	column string // the CRD's printer column it comes from
	typ    string // the printer column's type
}

type node struct {
	path fieldpath.Segments
	s    *extv1.JSONSchemaProps
}

func typeOf(s *extv1.JSONSchemaProps) string {
	if s.XIntOrString {
		return "int-or-string"
	}
	return s.Type
}

func isMap(s *extv1.JSONSchemaProps) bool {
	return s != nil && s.AdditionalProperties != nil && len(s.Properties) == 0
}

func child(s *extv1.JSONSchemaProps, name string) *extv1.JSONSchemaProps {
	if s == nil {
		return nil
	}
	c, ok := s.Properties[name]
	if !ok {
		return nil
	}
	return &c
}

func hasStorageWord(path fieldpath.Segments) (bool, bool) {
	found, exact := false, false
	for _, seg := range path {
		l := strings.ToLower(seg.Field)
		for _, w := range storageWords {
			if strings.Contains(l, w) {
				found = true
				if l == w {
					exact = true
				}
			}
		}
	}
	return found, exact
}

func sortedProps(s *extv1.JSONSchemaProps) []string {
	out := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func int64Of(f *float64) *int64 {
	if f == nil {
		return nil
	}
	n := int64(*f)
	return &n
}

func jsonInt(j *extv1.JSON) *int64 {
	if j == nil {
		return nil
	}
	var n float64
	if err := json.Unmarshal(j.Raw, &n); err != nil {
		return nil
	}
	i := int64(n)
	return &i
}

// analyze reads what root, the schema of a CRD version, and its printer columns offer.
func analyze(root *extv1.JSONSchemaProps, columns []extv1.CustomResourceColumnDefinition) findings {
	var f findings
	spec := child(root, "spec")
	if spec == nil {
		return f
	}
	specPath := fieldpath.Segments{fieldpath.Field("spec")}
	for _, name := range replicaNames {
		if c := child(spec, name); c != nil && c.Type == "integer" {
			f.replicas = append(f.replicas, intField{name: name, path: append(slices.Clone(specPath), fieldpath.Field(name)), def: jsonInt(c.Default), min: int64Of(c.Minimum), max: int64Of(c.Maximum)})
		}
	}
	for _, name := range imageNames {
		if c := child(spec, name); c != nil && c.Type == "string" {
			f.image = append(slices.Clone(specPath), fieldpath.Field(name))
			if c.Default != nil {
				_ = json.Unmarshal(c.Default.Raw, &f.imageDefault)
			}
			break
		}
	}

	// Breadth first, so that the shallowest match is found first; names in order within a level.
	type storageHit struct {
		path  fieldpath.Segments
		typ   string
		exact bool
	}
	var storage []storageHit
	queue := []node{{path: specPath, s: spec}}
	visits := 0
	for depth := 1; depth <= maxDepth && len(queue) > 0; depth++ {
		var next []node
		for _, n := range queue {
			sw, exact := hasStorageWord(n.path)
			// A core ResourceRequirements: requests and limits, maps of quantities. One below a
			// volume's name is a PersistentVolumeClaim's, whose requests hold its size.
			req, lim := child(n.s, "requests"), child(n.s, "limits")
			if isMap(req) && isMap(lim) && !sw && f.resources == nil {
				f.resources = n.path
			}
			if r := child(n.s, "resources"); sw && r != nil && isMap(child(r, "requests")) {
				storage = append(storage, storageHit{path: append(slices.Clone(n.path), fieldpath.Field("resources"), fieldpath.Field("requests"), fieldpath.Field("storage")), typ: "int-or-string", exact: exact})
			}
			for _, name := range sortedProps(n.s) {
				visits++
				if visits > maxVisits {
					break
				}
				c := n.s.Properties[name]
				p := append(slices.Clone(n.path), fieldpath.Field(name))
				if t := typeOf(&c); (t == "string" || t == "int-or-string") && slices.Contains(sizeNames, name) {
					if csw, cexact := hasStorageWord(p); csw {
						storage = append(storage, storageHit{path: p, typ: t, exact: cexact})
					}
				}
				if c.Type == "object" && len(c.Properties) > 0 {
					next = append(next, node{path: p, s: &c})
				}
			}
		}
		queue = next
	}
	if len(storage) > 0 {
		best := storage[0]
		for _, h := range storage[1:] {
			if len(h.path) < len(best.path) || (len(h.path) == len(best.path) && h.exact && !best.exact) {
				best = h
			}
		}
		f.storage, f.storageType = best.path, best.typ
	}

	f.required = requiredOf(spec)
	f.ready = readinessOf(root, columns)
	f.status = statusOf(root, columns, f.ready)
	return f
}

// requiredOf lists the fields s requires, each with the value a base gives it: its default, its
// first allowed value, or a value of its type (an object with its own required fields).
func requiredOf(s *extv1.JSONSchemaProps) []requiredField {
	var out []requiredField
	for _, name := range s.Required {
		c := child(s, name)
		if c == nil {
			continue
		}
		v, why := valueOf(c, 0)
		out = append(out, requiredField{name: name, value: v, why: why})
	}
	return out
}

func valueOf(s *extv1.JSONSchemaProps, depth int) (any, string) {
	if s.Default != nil {
		var v any
		if json.Unmarshal(s.Default.Raw, &v) == nil {
			return v, "required by the CRD; its default"
		}
	}
	if len(s.Enum) > 0 {
		var v any
		if json.Unmarshal(s.Enum[0].Raw, &v) == nil {
			return v, "required by the CRD; its first allowed value"
		}
	}
	switch typeOf(s) {
	case "boolean":
		return false, "required by the CRD, no default: check it"
	case "integer", "number":
		if s.Minimum != nil {
			return *int64Of(s.Minimum), "required by the CRD, no default: its minimum, check it"
		}
		return int64(1), "required by the CRD, no default: check it"
	case "object":
		m := map[string]any{}
		if depth < 4 {
			for _, r := range s.Required {
				if c := child(s, r); c != nil {
					m[r], _ = valueOf(c, depth+1)
				}
			}
		}
		return m, "required by the CRD, no default: check it"
	case "array":
		return []any{}, "required by the CRD, no default: fill it"
	}
	return "change-me", "REQUIRED by the CRD, which has no default: set it"
}

// conditionColumn is the JSONPath of a printer column showing one status condition.
var conditionColumn = regexp.MustCompile(`^\.status\.conditions\[\?\(@\.type\s*==\s*['"]([^'"]+)['"]\)\]\.status$`)

// simpleStatus is the JSONPath of a printer column showing a field of status.
var simpleStatus = regexp.MustCompile(`^\.status((\.[A-Za-z0-9_]+)+)$`)

// readinessOf tells how the CR is ready: a boolean status.ready, the condition a printer column
// about readiness shows, or the Ready condition of status.conditions.
func readinessOf(root *extv1.JSONSchemaProps, columns []extv1.CustomResourceColumnDefinition) readiness {
	st := child(root, "status")
	for _, name := range sortedProps(orEmpty(st)) {
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
