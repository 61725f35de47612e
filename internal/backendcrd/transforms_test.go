package backendcrd

import (
	"encoding/json"
	"strings"
	"testing"

	ptv1beta1 "github.com/crossplane-contrib/function-patch-and-transform/input/v1beta1"
	"github.com/google/go-cmp/cmp"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

func raw(v any) extv1.JSON {
	b, _ := json.Marshal(v)
	return extv1.JSON{Raw: b}
}

// TestTransform states what P&T v0.10.7 makes of values (its transforms_test.go has the cases
// these follow), and the types of values known only by type.
func TestTransform(t *testing.T) {
	format := func(f string) ptv1beta1.Transform {
		return ptv1beta1.Transform{Type: ptv1beta1.TransformTypeString, String: &ptv1beta1.StringTransform{Type: ptv1beta1.StringTransformTypeFormat, Format: &f}}
	}
	convert := func(to ptv1beta1.TransformIOType, f ptv1beta1.ConvertTransformFormat) ptv1beta1.Transform {
		return ptv1beta1.Transform{Type: ptv1beta1.TransformTypeConvert, Convert: &ptv1beta1.ConvertTransform{ToType: to, Format: &f}}
	}
	multiply := func(n int64) ptv1beta1.Transform {
		return ptv1beta1.Transform{Type: ptv1beta1.TransformTypeMath, Math: &ptv1beta1.MathTransform{Type: ptv1beta1.MathTransformTypeMultiply, Multiply: &n}}
	}
	lit := "small"
	for _, tc := range []struct {
		name    string
		t       ptv1beta1.Transform
		in      value
		want    value
		wantErr string
	}{
		{name: "MapGivesDecodedJSON", t: ptv1beta1.Transform{Type: ptv1beta1.TransformTypeMap, Map: &ptv1beta1.MapTransform{Pairs: map[string]extv1.JSON{"a": raw(2)}}}, in: known("a"), want: known(float64(2))},
		{name: "MapOfUnknownHasItsValuesType", t: ptv1beta1.Transform{Type: ptv1beta1.TransformTypeMap, Map: &ptv1beta1.MapTransform{Pairs: map[string]extv1.JSON{"a": raw("x"), "b": raw("y")}}}, in: unknown(typeString), want: unknown(typeString)},
		{name: "MapMissingKey", t: ptv1beta1.Transform{Type: ptv1beta1.TransformTypeMap, Map: &ptv1beta1.MapTransform{Pairs: map[string]extv1.JSON{"a": raw(2)}}}, in: known("b"), wantErr: `the map has no key "b"`},
		{name: "MapReadsStrings", t: ptv1beta1.Transform{Type: ptv1beta1.TransformTypeMap, Map: &ptv1beta1.MapTransform{}}, in: unknown(typeInteger), wantErr: "a map transform reads a string"},
		{name: "MatchLiteral", t: ptv1beta1.Transform{Type: ptv1beta1.TransformTypeMatch, Match: &ptv1beta1.MatchTransform{Patterns: []ptv1beta1.MatchTransformPattern{{Type: ptv1beta1.MatchTransformPatternTypeLiteral, Literal: &lit, Result: raw(1)}}, FallbackValue: raw(0)}}, in: known("small"), want: known(float64(1))},
		{name: "MatchFallbackToInput", t: ptv1beta1.Transform{Type: ptv1beta1.TransformTypeMatch, Match: &ptv1beta1.MatchTransform{Patterns: []ptv1beta1.MatchTransformPattern{{Type: ptv1beta1.MatchTransformPatternTypeLiteral, Literal: &lit, Result: raw("S")}}, FallbackTo: ptv1beta1.MatchFallbackToTypeInput}}, in: known("big"), want: known("big")},
		{name: "FormatOfAFloatAsP&TDoes", t: format("%d-nodes"), in: known(float64(2)), want: known("%!d(float64=2)-nodes")},
		{name: "ConvertStringToInt64", t: convert(ptv1beta1.TransformIOTypeInt64, ""), in: known("3"), want: known(int64(3))},
		{name: "ConvertQuantityToFloat64", t: convert(ptv1beta1.TransformIOTypeFloat64, ptv1beta1.ConvertTransformFormatQuantity), in: known("1Ki"), want: known(float64(1024))},
		{name: "ConvertFloatToString", t: convert(ptv1beta1.TransformIOTypeString, ""), in: known(float64(2)), want: known("2")},
		{name: "ConvertUnknownIntegerToString", t: convert(ptv1beta1.TransformIOTypeString, ""), in: unknown(typeInteger), want: unknown(typeString)},
		{name: "ConvertUnsupportedPair", t: convert(ptv1beta1.TransformIOTypeObject, ""), in: known("{}"), wantErr: "P&T does not convert string to object with format none"},
		{name: "MultiplyFloat", t: multiply(1024), in: known(float64(2)), want: known(float64(2048))},
		{name: "MultiplyString", t: multiply(2), in: known("2"), wantErr: "a math transform reads a number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := transform(tc.t, tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("transform = %+v, %v; want error %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(value{})); diff != "" {
				t.Errorf("-want, +got:\n%s", diff)
			}
		})
	}
}
