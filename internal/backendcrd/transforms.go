package backendcrd

import (
	"crypto/sha1" //nolint:gosec // what P&T's ToSha1 computes, not a security measure
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/adler32"
	"math"
	"regexp"
	"strconv"
	"strings"

	ptv1beta1 "github.com/crossplane-contrib/function-patch-and-transform/input/v1beta1"
)

// What function-patch-and-transform v0.10.7 makes of a value, transform by transform (its
// transforms.go, which lives in its main package and cannot be imported): a known value becomes
// the value P&T would write, with the Go types P&T's own steps give it (a map's value is decoded
// JSON, so its numbers are float64; a convert to int64 gives int64), so that a format such as %d
// yields what P&T yields. A value known only by its type (a parameter, a field an instance sets)
// becomes the type P&T would give it. A transform P&T would fail on is an error: the composition
// would fail at every reconcile.

// value is what a patch carries.
type value struct {
	known bool
	v     any
	// typ is the value's type (the type constants); for a known value, of v.
	typ string
}

func known(v any) value { return value{known: true, v: v, typ: jsonType(v)} }

func unknown(typ string) value { return value{typ: typ} }

// jsonType is the JSON schema type of a Go value as JSON holds it.
func jsonType(v any) string {
	switch x := v.(type) {
	case string:
		return typeString
	case bool:
		return typeBoolean
	case int, int32, int64:
		return typeInteger
	case float64:
		if x == math.Trunc(x) && !math.IsInf(x, 0) {
			return typeInteger
		}
		return typeNumber
	case map[string]any:
		return typeObject
	case []any:
		return typeArray
	}
	return typeAny
}

// transform applies t to in.
func transform(t ptv1beta1.Transform, in value) (value, error) {
	switch t.Type {
	case ptv1beta1.TransformTypeMap:
		return mapTransform(t.Map, in)
	case ptv1beta1.TransformTypeMatch:
		return matchTransform(t.Match, in)
	case ptv1beta1.TransformTypeMath:
		return mathTransform(t.Math, in)
	case ptv1beta1.TransformTypeString:
		return stringTransform(t.String, in)
	case ptv1beta1.TransformTypeConvert:
		return convertTransform(t.Convert, in)
	}
	return unknown(typeAny), nil // the generator refuses it before
}

func decodeJSON(raw []byte) (any, error) {
	var v any
	if len(raw) == 0 {
		return nil, nil
	}
	err := json.Unmarshal(raw, &v)
	return v, err
}

func mapTransform(m *ptv1beta1.MapTransform, in value) (value, error) {
	if m == nil {
		return unknown(typeAny), nil
	}
	if in.typ != typeString && in.typ != typeAny {
		return value{}, fmt.Errorf("a map transform reads a string, and this value is %s", article(in.typ))
	}
	if in.known {
		s, _ := in.v.(string)
		raw, ok := m.Pairs[s]
		if !ok {
			return value{}, fmt.Errorf("the map has no key %q", s)
		}
		v, err := decodeJSON(raw.Raw)
		if err != nil {
			return value{}, fmt.Errorf("the map's value of %q is not JSON: %w", s, err)
		}
		return known(v), nil
	}
	var types []string
	for _, raw := range m.Pairs {
		v, _ := decodeJSON(raw.Raw)
		types = append(types, jsonType(v))
	}
	return unknown(common(types...)), nil
}

// common is the one type of types, typeAny when they differ; integers are numbers among numbers.
func common(types ...string) string {
	out := ""
	for _, t := range types {
		switch {
		case out == "" || out == t:
			out = t
		case (out == typeInteger && t == typeNumber) || (out == typeNumber && t == typeInteger):
			out = typeNumber
		default:
			return typeAny
		}
	}
	if out == "" {
		return typeAny
	}
	return out
}

func matchTransform(m *ptv1beta1.MatchTransform, in value) (value, error) {
	if m == nil {
		return unknown(typeAny), nil
	}
	if in.known {
		for i, p := range m.Patterns {
			s, isString := in.v.(string)
			if !isString {
				return value{}, fmt.Errorf("a match transform reads a string, and this value is %s", article(in.typ))
			}
			hit := false
			switch p.Type {
			case ptv1beta1.MatchTransformPatternTypeRegexp:
				re, err := regexp.Compile(ptrString(p.Regexp))
				if err != nil {
					return value{}, fmt.Errorf("pattern %d: %w", i, err)
				}
				hit = re.MatchString(s)
			default:
				hit = p.Literal != nil && *p.Literal == s
			}
			if hit {
				v, err := decodeJSON(p.Result.Raw)
				if err != nil {
					return value{}, fmt.Errorf("pattern %d: the result is not JSON: %w", i, err)
				}
				return known(v), nil
			}
		}
		if m.FallbackTo == ptv1beta1.MatchFallbackToTypeInput {
			return in, nil
		}
		v, err := decodeJSON(m.FallbackValue.Raw)
		if err != nil {
			return value{}, fmt.Errorf("the fallbackValue is not JSON: %w", err)
		}
		return known(v), nil
	}
	var types []string
	for _, p := range m.Patterns {
		v, _ := decodeJSON(p.Result.Raw)
		types = append(types, jsonType(v))
	}
	if m.FallbackTo == ptv1beta1.MatchFallbackToTypeInput {
		types = append(types, in.typ)
	} else if len(m.FallbackValue.Raw) > 0 {
		v, _ := decodeJSON(m.FallbackValue.Raw)
		types = append(types, jsonType(v))
	}
	return unknown(common(types...)), nil
}

func mathTransform(m *ptv1beta1.MathTransform, in value) (value, error) {
	if m == nil {
		return unknown(typeAny), nil
	}
	if in.typ != typeInteger && in.typ != typeNumber && in.typ != typeAny {
		return value{}, fmt.Errorf("a math transform reads a number, and this value is %s: convert it first, e.g. {type: convert, convert: {toType: float64, format: quantity}} for a quantity", article(in.typ))
	}
	if !in.known {
		return unknown(in.typ), nil
	}
	switch m.Type {
	case ptv1beta1.MathTransformTypeClampMin, ptv1beta1.MathTransformTypeClampMax:
		var n int64
		switch x := in.v.(type) {
		case int64:
			n = x
		case float64:
			n = int64(x)
		}
		if m.Type == ptv1beta1.MathTransformTypeClampMin && m.ClampMin != nil && n < *m.ClampMin {
			return known(*m.ClampMin), nil
		}
		if m.Type == ptv1beta1.MathTransformTypeClampMax && m.ClampMax != nil && n > *m.ClampMax {
			return known(*m.ClampMax), nil
		}
		return in, nil
	default:
		if m.Multiply == nil {
			return in, nil
		}
		switch x := in.v.(type) {
		case int64:
			return known(x * *m.Multiply), nil
		case float64:
			return known(x * float64(*m.Multiply)), nil
		}
	}
	return in, nil
}

func ptrString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func stringTransform(t *ptv1beta1.StringTransform, in value) (value, error) {
	if t == nil {
		return unknown(typeString), nil
	}
	if t.Type == ptv1beta1.StringTransformTypeJoin && in.typ != typeArray && in.typ != typeAny {
		return value{}, fmt.Errorf("a Join string transform reads a list, and this value is %s", article(in.typ))
	}
	if !in.known {
		return unknown(typeString), nil
	}
	str := fmt.Sprintf("%v", in.v)
	switch t.Type {
	case ptv1beta1.StringTransformTypeFormat:
		return known(fmt.Sprintf(ptrString(t.Format), in.v)), nil
	case ptv1beta1.StringTransformTypeTrimPrefix:
		return known(strings.TrimPrefix(str, ptrString(t.Trim))), nil
	case ptv1beta1.StringTransformTypeTrimSuffix:
		return known(strings.TrimSuffix(str, ptrString(t.Trim))), nil
	case ptv1beta1.StringTransformTypeReplace:
		if t.Replace == nil {
			return unknown(typeString), nil
		}
		return known(strings.ReplaceAll(str, t.Replace.Search, t.Replace.Replace)), nil
	case ptv1beta1.StringTransformTypeRegexp:
		if t.Regexp == nil {
			return unknown(typeString), nil
		}
		re, err := regexp.Compile(t.Regexp.Match)
		if err != nil {
			return value{}, err
		}
		g := 0
		if t.Regexp.Group != nil {
			g = *t.Regexp.Group
		}
		m := re.FindStringSubmatch(str)
		if len(m) == 0 || g >= len(m) {
			return value{}, fmt.Errorf("the regexp %q does not match %q", t.Regexp.Match, str)
		}
		return known(m[g]), nil
	case ptv1beta1.StringTransformTypeJoin:
		arr, _ := in.v.([]any)
		parts := make([]string, len(arr))
		for i, v := range arr {
			parts[i] = fmt.Sprintf("%v", v)
		}
		sep := ""
		if t.Join != nil {
			sep = t.Join.Separator
		}
		return known(strings.Join(parts, sep)), nil
	case ptv1beta1.StringTransformTypeConvert:
		if t.Convert == nil {
			return unknown(typeString), nil
		}
		return stringConvert(*t.Convert, in.v, str)
	}
	return unknown(typeString), nil
}

func stringConvert(c ptv1beta1.StringConversionType, v any, str string) (value, error) {
	raw := func() []byte {
		if s, ok := v.(string); ok {
			return []byte(s)
		}
		b, _ := json.Marshal(v)
		return b
	}
	switch c {
	case ptv1beta1.StringConversionTypeToUpper:
		return known(strings.ToUpper(str)), nil
	case ptv1beta1.StringConversionTypeToLower:
		return known(strings.ToLower(str)), nil
	case ptv1beta1.StringConversionTypeToJSON:
		b, err := json.Marshal(v)
		return known(string(b)), err
	case ptv1beta1.StringConversionTypeToBase64:
		return known(base64.StdEncoding.EncodeToString([]byte(str))), nil
	case ptv1beta1.StringConversionTypeFromBase64:
		b, err := base64.StdEncoding.DecodeString(str)
		if err != nil {
			return value{}, fmt.Errorf("%q is not base64: %w", str, err)
		}
		return known(string(b)), nil
	case ptv1beta1.StringConversionTypeToSHA1:
		h := sha1.Sum(raw()) //nolint:gosec // see the import
		return known(hex.EncodeToString(h[:])), nil
	case ptv1beta1.StringConversionTypeToSHA256:
		h := sha256.Sum256(raw())
		return known(hex.EncodeToString(h[:])), nil
	case ptv1beta1.StringConversionTypeToSHA512:
		h := sha512.Sum512(raw())
		return known(hex.EncodeToString(h[:])), nil
	case ptv1beta1.StringConversionTypeToAdler32:
		return known(strconv.FormatUint(uint64(adler32.Checksum(raw())), 10)), nil
	}
	return unknown(typeString), nil
}
