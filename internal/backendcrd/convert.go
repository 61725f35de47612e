package backendcrd

import (
	//nolint:gosec // what P&T's ToSha1 computes, not a security measure

	"encoding/json"
	"fmt"
	"strconv"

	ptv1beta1 "github.com/crossplane-contrib/function-patch-and-transform/input/v1beta1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// function-patch-and-transform's convert transform, on known values and on types: the conversions
// it has, and the Go types it names values by.

// goType is the type P&T's convert transform names a Go value by.
func goType(v any) ptv1beta1.TransformIOType {
	switch v.(type) {
	case string:
		return ptv1beta1.TransformIOTypeString
	case bool:
		return ptv1beta1.TransformIOTypeBool
	case int, int64:
		return ptv1beta1.TransformIOTypeInt64
	case float64:
		return ptv1beta1.TransformIOTypeFloat64
	}
	return ""
}

// ioTypes are the convert transform's types a JSON type may arrive as: a number from the
// composite is an int64 when whole, from a map or match a float64.
func ioTypes(typ string) []ptv1beta1.TransformIOType {
	switch typ {
	case typeString:
		return []ptv1beta1.TransformIOType{ptv1beta1.TransformIOTypeString}
	case typeBoolean:
		return []ptv1beta1.TransformIOType{ptv1beta1.TransformIOTypeBool}
	case typeInteger:
		return []ptv1beta1.TransformIOType{ptv1beta1.TransformIOTypeInt64, ptv1beta1.TransformIOTypeFloat64}
	case typeNumber:
		return []ptv1beta1.TransformIOType{ptv1beta1.TransformIOTypeFloat64}
	}
	return nil
}

// outType is the JSON type of a convert transform's result.
func outType(t ptv1beta1.TransformIOType) string {
	switch t {
	case ptv1beta1.TransformIOTypeString:
		return typeString
	case ptv1beta1.TransformIOTypeBool:
		return typeBoolean
	case ptv1beta1.TransformIOTypeInt, ptv1beta1.TransformIOTypeInt64:
		return typeInteger
	case ptv1beta1.TransformIOTypeFloat64:
		return typeNumber
	case ptv1beta1.TransformIOTypeObject:
		return typeObject
	case ptv1beta1.TransformIOTypeArray:
		return typeArray
	}
	return typeAny
}

// converts says whether P&T converts from to to with format f.
func converts(from, to ptv1beta1.TransformIOType, f ptv1beta1.ConvertTransformFormat) bool {
	if to == ptv1beta1.TransformIOTypeInt {
		to = ptv1beta1.TransformIOTypeInt64
	}
	if from == to {
		return true
	}
	none := f == ptv1beta1.ConvertTransformFormatNone
	switch from {
	case ptv1beta1.TransformIOTypeString:
		switch to {
		case ptv1beta1.TransformIOTypeInt64, ptv1beta1.TransformIOTypeBool:
			return none
		case ptv1beta1.TransformIOTypeFloat64:
			return none || f == ptv1beta1.ConvertTransformFormatQuantity
		case ptv1beta1.TransformIOTypeObject, ptv1beta1.TransformIOTypeArray:
			return f == ptv1beta1.ConvertTransformFormatJSON
		}
	case ptv1beta1.TransformIOTypeInt64, ptv1beta1.TransformIOTypeBool, ptv1beta1.TransformIOTypeFloat64:
		return none && (to == ptv1beta1.TransformIOTypeString || to == ptv1beta1.TransformIOTypeInt64 || to == ptv1beta1.TransformIOTypeBool || to == ptv1beta1.TransformIOTypeFloat64)
	}
	return false
}

func convertTransform(c *ptv1beta1.ConvertTransform, in value) (value, error) {
	if c == nil {
		return unknown(typeAny), nil
	}
	to, f := c.ToType, c.GetFormat()
	if f == "" {
		f = ptv1beta1.ConvertTransformFormatNone
	}
	if !in.known {
		froms := ioTypes(in.typ)
		if len(froms) == 0 {
			return unknown(outType(to)), nil
		}
		for _, from := range froms {
			if converts(from, to, f) {
				return unknown(outType(to)), nil
			}
		}
		return value{}, fmt.Errorf("P&T does not convert %s to %s with format %s", froms[0], to, formatName(f))
	}
	from := goType(in.v)
	if from == "" {
		return value{}, fmt.Errorf("P&T's convert transform does not read %s", article(in.typ))
	}
	if !converts(from, to, f) {
		return value{}, fmt.Errorf("P&T does not convert %s to %s with format %s", from, to, formatName(f))
	}
	if to == ptv1beta1.TransformIOTypeInt {
		to = ptv1beta1.TransformIOTypeInt64
	}
	if from == to {
		return in, nil
	}
	switch x := in.v.(type) {
	case string:
		switch to {
		case ptv1beta1.TransformIOTypeInt64:
			n, err := strconv.ParseInt(x, 10, 64)
			if err != nil {
				return value{}, fmt.Errorf("%q is not an integer: %w", x, err)
			}
			return known(n), nil
		case ptv1beta1.TransformIOTypeBool:
			b, err := strconv.ParseBool(x)
			if err != nil {
				return value{}, fmt.Errorf("%q is not a boolean: %w", x, err)
			}
			return known(b), nil
		case ptv1beta1.TransformIOTypeFloat64:
			if f == ptv1beta1.ConvertTransformFormatQuantity {
				q, err := resource.ParseQuantity(x)
				if err != nil {
					return value{}, fmt.Errorf("%q is not a quantity: %w", x, err)
				}
				return known(q.AsApproximateFloat64()), nil
			}
			n, err := strconv.ParseFloat(x, 64)
			if err != nil {
				return value{}, fmt.Errorf("%q is not a number: %w", x, err)
			}
			return known(n), nil
		case ptv1beta1.TransformIOTypeObject:
			o := map[string]any{}
			if err := json.Unmarshal([]byte(x), &o); err != nil {
				return value{}, fmt.Errorf("%q is not a JSON object: %w", x, err)
			}
			return known(o), nil
		case ptv1beta1.TransformIOTypeArray:
			var a []any
			if err := json.Unmarshal([]byte(x), &a); err != nil {
				return value{}, fmt.Errorf("%q is not a JSON list: %w", x, err)
			}
			return known(a), nil
		}
	case int64:
		switch to {
		case ptv1beta1.TransformIOTypeString:
			return known(strconv.FormatInt(x, 10)), nil
		case ptv1beta1.TransformIOTypeBool:
			return known(x == 1), nil
		case ptv1beta1.TransformIOTypeFloat64:
			return known(float64(x)), nil
		}
	case bool:
		n := int64(0)
		if x {
			n = 1
		}
		switch to {
		case ptv1beta1.TransformIOTypeString:
			return known(strconv.FormatBool(x)), nil
		case ptv1beta1.TransformIOTypeInt64:
			return known(n), nil
		case ptv1beta1.TransformIOTypeFloat64:
			return known(float64(n)), nil
		}
	case float64:
		switch to {
		case ptv1beta1.TransformIOTypeString:
			return known(strconv.FormatFloat(x, 'f', -1, 64)), nil
		case ptv1beta1.TransformIOTypeInt64:
			return known(int64(x)), nil
		case ptv1beta1.TransformIOTypeBool:
			return known(x == 1), nil
		}
	}
	return unknown(outType(to)), nil
}

func formatName(f ptv1beta1.ConvertTransformFormat) string {
	if f == ptv1beta1.ConvertTransformFormatNone {
		return "none"
	}
	return string(f)
}
