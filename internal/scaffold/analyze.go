package scaffold

import (
	"encoding/json"
	"maps"
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
	// spec is the schema of the CR's spec.
	spec     *extv1.JSONSchemaProps
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

// auxiliaryWords mark a field of a component beside the data service's own servers (a backup
// agent, an exporter, a proxy, a config server): a match there is taken only when the servers offer
// none.
var auxiliaryWords = []string{"backup", "restore", "monitor", "metric", "exporter", "sidecar", "init", "proxy", "pooler", "bouncer", "router", "mongos", "arbiter", "configsvr", "logcollector", "pmm", "agent", "job", "dashboard", "ephemeral", "tmp", "temp", "wal", "log"}

func auxiliary(path fieldpath.Segments) bool {
	for _, seg := range path {
		l := strings.ToLower(seg.Field)
		for _, w := range auxiliaryWords {
			if strings.Contains(l, w) {
				return true
			}
		}
	}
	return false
}

// hit is a field that matches what is looked for.
type hit struct {
	path fieldpath.Segments
	s    *extv1.JSONSchemaProps
	typ  string
	// rank orders hits of the same depth: lower first.
	rank int
}

// best returns the hit to take: not of an auxiliary component if one is not, then the shallowest,
// then the lowest rank; nil for none.
func best(hits []hit) *hit {
	var b *hit
	for i := range hits {
		h := &hits[i]
		switch {
		case b == nil:
			b = h
		case auxiliary(h.path) != auxiliary(b.path):
			if !auxiliary(h.path) {
				b = h
			}
		case len(h.path) != len(b.path):
			if len(h.path) < len(b.path) {
				b = h
			}
		case h.rank < b.rank:
			b = h
		}
	}
	return b
}

// analyze reads what root, the schema of a CRD version, and its printer columns offer. It walks
// spec breadth first, into objects and the items of lists (a list of server groups, such as
// replica sets or node sets, is sized at its first item).
func analyze(root *extv1.JSONSchemaProps, columns []extv1.CustomResourceColumnDefinition) findings {
	var f findings
	spec := child(root, "spec")
	if spec == nil {
		return f
	}
	f.spec = spec
	specPath := fieldpath.Segments{fieldpath.Field("spec")}
	for _, name := range imageNames {
		if c := child(spec, name); c != nil && c.Type == "string" {
			f.image = append(slices.Clone(specPath), fieldpath.Field(name))
			if c.Default != nil {
				_ = json.Unmarshal(c.Default.Raw, &f.imageDefault)
			}
			break
		}
	}

	var replicas, resources, storage []hit
	queue := []node{{path: specPath, s: spec}}
	visits := 0
	for depth := 1; depth <= maxDepth && len(queue) > 0 && visits <= maxVisits; depth++ {
		var next []node
		for _, n := range queue {
			sw, exact := hasStorageWord(n.path)
			rank := 1
			if exact {
				rank = 0
			}
			// A core ResourceRequirements: requests and limits, maps of quantities. One below a
			// volume's name is a PersistentVolumeClaim's, whose requests hold its size.
			req, lim := child(n.s, "requests"), child(n.s, "limits")
			if isMap(req) && isMap(lim) && !sw {
				resources = append(resources, hit{path: n.path, s: n.s})
			}
			if r := child(n.s, "resources"); sw && r != nil && isMap(child(r, "requests")) {
				storage = append(storage, hit{path: append(slices.Clone(n.path), fieldpath.Field("resources"), fieldpath.Field("requests"), fieldpath.Field("storage")), typ: "int-or-string", rank: rank})
			}
			for _, name := range slices.Sorted(maps.Keys(n.s.Properties)) {
				visits++
				if visits > maxVisits {
					break
				}
				c := n.s.Properties[name]
				p := append(slices.Clone(n.path), fieldpath.Field(name))
				t := typeOf(&c)
				if (t == "string" || t == "int-or-string") && slices.Contains(sizeNames, name) {
					if csw, cexact := hasStorageWord(p); csw {
						r := 1
						if cexact {
							r = 0
						}
						storage = append(storage, hit{path: p, s: &c, typ: t, rank: r})
					}
				}
				if i := slices.Index(replicaNames, name); i >= 0 && t == "integer" {
					replicas = append(replicas, hit{path: p, s: &c, typ: t, rank: i})
				}
				switch {
				case c.Type == "object" && len(c.Properties) > 0:
					next = append(next, node{path: p, s: &c})
				case c.Type == "array" && c.Items != nil && c.Items.Schema != nil && len(c.Items.Schema.Properties) > 0:
					next = append(next, node{path: append(p, fieldpath.FieldOrIndex("0")), s: c.Items.Schema})
				}
			}
		}
		queue = next
	}
	if h := best(resources); h != nil {
		f.resources = h.path
	}
	if h := best(storage); h != nil {
		f.storage, f.storageType = h.path, h.typ
	}
	// Every count of servers of the object the best one is in: replicas and shards, nodes and
	// replicas.
	if h := best(replicas); h != nil {
		parent := h.path[:len(h.path)-1]
		for _, r := range replicas {
			if len(r.path) == len(h.path) && parent.String() == r.path[:len(r.path)-1].String() {
				f.replicas = append(f.replicas, intField{name: r.path[len(r.path)-1].Field, path: r.path, def: jsonInt(r.s.Default), min: int64Of(r.s.Minimum), max: int64Of(r.s.Maximum)})
			}
		}
		slices.SortStableFunc(f.replicas, func(a, b intField) int {
			return slices.Index(replicaNames, a.name) - slices.Index(replicaNames, b.name)
		})
	}

	f.required = requiredOf(spec)
	f.ready = readinessOf(root, columns)
	f.status = statusOf(root, columns, f.ready)
	return f
}
