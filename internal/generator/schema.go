package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// schemaError is a schema that does not decode, located below the schema field where possible.
type schemaError struct {
	at  string // path below the schema, e.g. properties.maxMemory
	msg string
}

func (e *schemaError) Error() string { return e.msg }

// errorAt reports a schema error at its location below p.
func errorAt(p *field.Path, err error) *field.Error {
	var se *schemaError
	if errors.As(err, &se) && se.at != "" {
		for _, s := range strings.Split(se.at, ".") {
			p = p.Child(s)
		}
		return field.Invalid(p, se.msg, "not an OpenAPI v3 schema keyword: check its spelling and indentation")
	}
	return field.Invalid(p, "", err.Error())
}

func decodeSchema(raw runtime.RawExtension, into *extv1.JSONSchemaProps) error {
	if len(raw.Raw) == 0 {
		return errors.New("is empty: give an OpenAPI v3 schema, e.g. {type: string}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw.Raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		var key string
		if _, serr := fmt.Sscanf(err.Error(), "json: unknown field %q", &key); serr == nil {
			var m any
			_ = json.Unmarshal(raw.Raw, &m)
			return &schemaError{at: locateKey(m, key), msg: key}
		}
		return errors.Errorf("is not an OpenAPI v3 schema: %v", err)
	}
	return nil
}

// locateKey finds where a key occurs in a decoded schema, as a dotted path ("" at the top).
func locateKey(v any, key string) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if _, ok := m[key]; ok {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch c := m[k].(type) {
		case map[string]any:
			if _, ok := c[key]; ok {
				return k
			}
			if p := locateKey(c, key); p != "" {
				return k + "." + p
			}
		}
	}
	return ""
}

func schemaHas(s *extv1.JSONSchemaProps, segs fieldpath.Segments) bool {
	for _, seg := range segs {
		switch {
		case seg.Type == fieldpath.SegmentIndex && s.Items != nil && s.Items.Schema != nil:
			s = s.Items.Schema
		case seg.Type == fieldpath.SegmentField && s.Properties != nil:
			c, ok := s.Properties[seg.Field]
			if !ok {
				return false
			}
			s = &c
		case s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields:
			return true
		default:
			return false
		}
	}
	return true
}
