package backendcrd

import (
	"maps"
	"slices"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// Paths through a CRD version's schema, as the API server reads an object: a property of an object;
// any key of an object with additionalProperties (a map); an index of an array; anything below
// x-kubernetes-preserve-unknown-fields where no property is declared (the API server keeps unknown
// fields there, untyped); apiVersion, kind and metadata at the root and in embedded resources
// (x-kubernetes-embedded-resource), whose metadata is Kubernetes' ObjectMeta whatever the schema
// says. Anything else is pruned by the API server, or refused by kubectl's strict field validation.

// Value types, as JSON schema names them; typeIntOrString and typeAny are this package's.
const (
	typeString      = "string"
	typeInteger     = "integer"
	typeNumber      = "number"
	typeBoolean     = "boolean"
	typeObject      = "object"
	typeArray       = "array"
	typeIntOrString = "int-or-string"
	typeAny         = "any"
)

// found is where a path leads in a schema.
type found struct {
	// schema is the schema of the field, nil when the field is open or ObjectMeta's.
	schema *extv1.JSONSchemaProps
	// typ is the field's type: one of the type constants.
	typ string
	// open says anything goes at and below the field (preserved unknown fields, untyped).
	open bool
	// at is the index of the first segment that does not exist, -1 when the path exists.
	at int
	// parent is the schema segs[:at] leads to, where a nearer name is looked for; nil in
	// ObjectMeta.
	parent *extv1.JSONSchemaProps
	// why says what is wrong at at, and parentType what segs[:at] is.
	why        reason
	parentType string
}

// reason is why a path does not exist.
type reason byte

const (
	noSuchField reason = iota + 1
	fieldOfList
	fieldOfScalar
	indexOfNonList
	noSuchMetadata
	metadataMap
)

func (f found) ok() bool { return f.at < 0 }

// typeOf names the type of a schema.
func typeOf(s *extv1.JSONSchemaProps) string {
	switch {
	case s == nil:
		return typeAny
	case s.XIntOrString:
		return typeIntOrString
	case s.Type == "":
		if s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields {
			return typeAny
		}
		if len(s.Properties) > 0 || s.AdditionalProperties != nil || s.XEmbeddedResource {
			return typeObject
		}
		return typeAny
	}
	return s.Type
}

func preserves(s *extv1.JSONSchemaProps) bool {
	return s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields
}

// lookup follows segs from root, the schema of a whole object.
func lookup(root *extv1.JSONSchemaProps, segs fieldpath.Segments) found {
	return walk(root, segs, 0, true)
}

// walk follows segs[i:] from s; resource says s is the root of an object or an embedded resource.
func walk(s *extv1.JSONSchemaProps, segs fieldpath.Segments, i int, resource bool) found {
	for ; i < len(segs); i++ {
		seg := segs[i]
		if resource && seg.Type == fieldpath.SegmentField {
			switch seg.Field {
			case "apiVersion", "kind":
				if i == len(segs)-1 {
					return found{typ: typeString, at: -1}
				}
				return found{at: i + 1, why: fieldOfScalar, parentType: typeString}
			case "metadata":
				return objectMeta(segs, i+1)
			}
		}
		resource = false
		if s == nil {
			return found{typ: typeAny, open: true, at: -1}
		}
		switch seg.Type {
		case fieldpath.SegmentIndex:
			if typeOf(s) != typeArray {
				if typeOf(s) == typeAny {
					return found{typ: typeAny, open: true, at: -1}
				}
				return found{at: i, parent: s, why: indexOfNonList, parentType: typeOf(s)}
			}
			if s.Items == nil || s.Items.Schema == nil {
				return found{typ: typeAny, open: true, at: -1}
			}
			s = s.Items.Schema
		default:
			if p, ok := s.Properties[seg.Field]; ok {
				s = &p
				resource = s.XEmbeddedResource
				continue
			}
			if ap := s.AdditionalProperties; ap != nil && len(s.Properties) == 0 {
				if ap.Schema != nil {
					s = ap.Schema
					continue
				}
				if ap.Allows {
					return found{typ: typeAny, open: true, at: -1}
				}
			}
			if preserves(s) {
				return found{typ: typeAny, open: true, at: -1}
			}
			switch t := typeOf(s); t {
			case typeArray:
				return found{at: i, parent: s, why: fieldOfList, parentType: t}
			case typeObject:
				return found{at: i, parent: s, why: noSuchField, parentType: t}
			case typeAny:
				return found{typ: typeAny, open: true, at: -1}
			default:
				return found{at: i, parent: s, why: fieldOfScalar, parentType: t}
			}
		}
	}
	if s == nil {
		return found{typ: typeAny, open: true, at: -1}
	}
	return found{schema: s, typ: typeOf(s), open: typeOf(s) == typeAny, at: -1}
}

// objectMetaFields are the fields of ObjectMeta a composed resource may set, with their types.
var objectMetaFields = map[string]string{
	"name": typeString, "generateName": typeString, "namespace": typeString, "uid": typeString,
	"resourceVersion": typeString, "generation": typeInteger, "creationTimestamp": typeString,
	"deletionTimestamp": typeString, "deletionGracePeriodSeconds": typeInteger,
	"labels": typeObject, "annotations": typeObject, "finalizers": typeArray,
	"ownerReferences": typeArray, "managedFields": typeArray,
}

// objectMeta follows segs[i:] into ObjectMeta.
func objectMeta(segs fieldpath.Segments, i int) found {
	if i == len(segs) {
		return found{typ: typeObject, at: -1}
	}
	seg := segs[i]
	t, ok := objectMetaFields[seg.Field]
	if seg.Type != fieldpath.SegmentField || !ok {
		return found{at: i, why: noSuchMetadata, parentType: typeObject}
	}
	rest := len(segs) - i - 1
	switch {
	case rest == 0:
		return found{typ: t, at: -1}
	case seg.Field == "labels" || seg.Field == "annotations":
		if rest == 1 && segs[i+1].Type == fieldpath.SegmentField {
			return found{typ: typeString, at: -1}
		}
		if segs[i+1].Type != fieldpath.SegmentField {
			return found{at: i + 1, why: indexOfNonList, parentType: typeObject}
		}
		return found{at: i + 2, why: metadataMap, parentType: typeString}
	case t == typeArray:
		return found{typ: typeAny, open: true, at: -1}
	}
	return found{at: i + 1, why: fieldOfScalar, parentType: t}
}

func article(t string) string {
	switch t {
	case typeArray:
		return "a list"
	case typeAny:
		return "any value"
	case typeInteger, typeIntOrString, typeObject:
		return "an " + t
	}
	return "a " + t
}

// fields lists the names a schema offers at an object: its properties, sorted.
func fields(s *extv1.JSONSchemaProps) []string {
	if s == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(s.Properties))
}
