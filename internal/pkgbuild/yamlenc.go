package pkgbuild

import (
	"bytes"
	"encoding/json"
	"strconv"

	goyaml "go.yaml.in/yaml/v2"
	"sigs.k8s.io/yaml"
)

// jsonToYAML is sigs.k8s.io/yaml's JSONToYAML, which the API machinery's YAML serializer (and so
// Crossplane's package encoder) writes objects with, byte for byte, but about twice as fast: that
// function reads the JSON back with the YAML parser (most of a build's encoding in the CPU
// profile) only to pick each number's Go type, which is done here as the YAML parser's resolver
// picks it for a JSON number (int, int64, uint64, float64), from the JSON decoder's tokens. The
// same value goes to the same YAML marshaller. Whatever this cannot read is left to JSONToYAML.
func jsonToYAML(j []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return yaml.JSONToYAML(j)
	}
	y, ok := asYAMLValue(v)
	if !ok {
		return yaml.JSONToYAML(j)
	}
	return goyaml.Marshal(y)
}

// asYAMLValue converts a value of the JSON decoder to what the YAML parser decodes the same JSON
// into: maps keyed by any, numbers typed as its resolver types plain scalars.
func asYAMLValue(v any) (any, bool) {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[any]any, len(v))
		for k, e := range v {
			y, ok := asYAMLValue(e)
			if !ok {
				return nil, false
			}
			m[k] = y
		}
		return m, true
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			y, ok := asYAMLValue(e)
			if !ok {
				return nil, false
			}
			s[i] = y
		}
		return s, true
	case json.Number:
		// The order of go.yaml.in/yaml/v2's resolve for a plain scalar of digits.
		if i, err := strconv.ParseInt(string(v), 0, 64); err == nil {
			if i == int64(int(i)) {
				return int(i), true
			}
			return i, true
		}
		if u, err := strconv.ParseUint(string(v), 0, 64); err == nil {
			return u, true
		}
		if f, err := strconv.ParseFloat(string(v), 64); err == nil {
			return f, true
		}
		return nil, false
	default: // string, bool, nil
		return v, true
	}
}
