package generator

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	ptv1beta1 "github.com/crossplane-contrib/function-patch-and-transform/input/v1beta1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Transforms are function-patch-and-transform's own input types (input/v1beta1 of its v0.10.7 Go
// module): a DataService states them in P&T's form and the generator writes them as they are. P&T
// validates its input when it runs and fails the whole composition on the first invalid transform;
// its validate functions live in its main package and cannot be imported, so validateTransforms
// applies the same rules at generate time, where the error can name the DataService field and
// the fix instead of a Composition failing at reconcile.

// Defaults the DataService's XRD schema (generated from P&T's kubebuilder markers) applies to a
// DataService the function receives, but that a spec file read by the CLI does not carry.
// defaultTransforms applies them to both, so that both generate the same Composition, and P&T,
// which requires some of them in a pipeline input (where no API server defaults them), accepts it.
const (
	defaultStringTransform = ptv1beta1.StringTransformTypeFormat
	defaultMathTransform   = ptv1beta1.MathTransformTypeMultiply
	defaultMatchFallback   = ptv1beta1.MatchFallbackToTypeValue
	defaultMatchPattern    = ptv1beta1.MatchTransformPatternTypeLiteral
)

// defaultTransforms returns a copy of ts with the schema's defaults applied.
func defaultTransforms(ts []ptv1beta1.Transform) []ptv1beta1.Transform {
	if len(ts) == 0 {
		return nil
	}
	out := make([]ptv1beta1.Transform, len(ts))
	for i := range ts {
		t := *ts[i].DeepCopy()
		if t.String != nil && t.String.Type == "" {
			t.String.Type = defaultStringTransform
		}
		if t.Math != nil && t.Math.Type == "" {
			t.Math.Type = defaultMathTransform
		}
		if t.Match != nil {
			if t.Match.FallbackTo == "" {
				t.Match.FallbackTo = defaultMatchFallback
			}
			for j := range t.Match.Patterns {
				if t.Match.Patterns[j].Type == "" {
					t.Match.Patterns[j].Type = defaultMatchPattern
				}
			}
		}
		out[i] = t
	}
	return out
}

// validateTransforms checks transforms as function-patch-and-transform checks its input, with
// messages that say how to fix them. p is the path of the transforms list.
func validateTransforms(p *field.Path, ts []ptv1beta1.Transform) field.ErrorList {
	var errs field.ErrorList
	for i, t := range ts {
		errs = append(errs, validateTransform(p.Index(i), t)...)
	}
	return errs
}

func validateTransform(p *field.Path, t ptv1beta1.Transform) field.ErrorList {
	need := func(set bool, name, example string) field.ErrorList {
		if set {
			return nil
		}
		return field.ErrorList{field.Required(p.Child(name), "a "+string(t.Type)+" transform needs its "+name+" settings, e.g. "+example)}
	}
	switch t.Type {
	case ptv1beta1.TransformTypeMap:
		if errs := need(t.Map != nil, "map", "{type: map, map: {small: 1Gi, big: 4Gi}}"); errs != nil {
			return errs
		}
		if len(t.Map.Pairs) == 0 {
			return field.ErrorList{field.Required(p.Child("map"), "list at least one key: value pair, e.g. {small: 1Gi}")}
		}
	case ptv1beta1.TransformTypeMatch:
		if errs := need(t.Match != nil, "match", "{type: match, match: {patterns: [{literal: small, result: 1Gi}]}}"); errs != nil {
			return errs
		}
		return validateMatch(p.Child("match"), t.Match)
	case ptv1beta1.TransformTypeMath:
		if errs := need(t.Math != nil, "math", "{type: math, math: {multiply: 1024}}"); errs != nil {
			return errs
		}
		return validateMath(p.Child("math"), t.Math)
	case ptv1beta1.TransformTypeString:
		if errs := need(t.String != nil, "string", "{type: string, string: {type: Format, fmt: '%s-creds'}}"); errs != nil {
			return errs
		}
		return validateString(p.Child("string"), t.String)
	case ptv1beta1.TransformTypeConvert:
		if errs := need(t.Convert != nil, "convert", "{type: convert, convert: {toType: int64}}"); errs != nil {
			return errs
		}
		return validateConvert(p.Child("convert"), t.Convert)
	default:
		return field.ErrorList{field.NotSupported(p.Child("type"), t.Type, []string{
			string(ptv1beta1.TransformTypeMap), string(ptv1beta1.TransformTypeMatch), string(ptv1beta1.TransformTypeMath),
			string(ptv1beta1.TransformTypeString), string(ptv1beta1.TransformTypeConvert),
		})}
	}
	return nil
}

func validateMatch(p *field.Path, m *ptv1beta1.MatchTransform) field.ErrorList {
	var errs field.ErrorList
	if len(m.Patterns) == 0 {
		errs = append(errs, field.Required(p.Child("patterns"), "list at least one pattern, e.g. {type: literal, literal: small, result: 1Gi}"))
	}
	for i, pt := range m.Patterns {
		pp := p.Child("patterns").Index(i)
		switch pt.Type {
		case ptv1beta1.MatchTransformPatternTypeLiteral, "":
			if pt.Literal == nil {
				errs = append(errs, field.Required(pp.Child("literal"), "a literal pattern needs the string it matches"))
			}
		case ptv1beta1.MatchTransformPatternTypeRegexp:
			if pt.Regexp == nil {
				errs = append(errs, field.Required(pp.Child("regexp"), "a regexp pattern needs its expression"))
			} else if _, err := regexp.Compile(*pt.Regexp); err != nil {
				errs = append(errs, field.Invalid(pp.Child("regexp"), *pt.Regexp, "does not compile as a Go regular expression: "+err.Error()))
			}
		default:
			errs = append(errs, field.NotSupported(pp.Child("type"), pt.Type, []string{string(ptv1beta1.MatchTransformPatternTypeLiteral), string(ptv1beta1.MatchTransformPatternTypeRegexp)}))
		}
		if len(pt.Result.Raw) == 0 {
			errs = append(errs, field.Required(pp.Child("result"), "the value the pattern yields"))
		}
	}
	switch m.FallbackTo {
	case "", ptv1beta1.MatchFallbackToTypeValue, ptv1beta1.MatchFallbackToTypeInput:
	default:
		errs = append(errs, field.NotSupported(p.Child("fallbackTo"), m.FallbackTo, []string{string(ptv1beta1.MatchFallbackToTypeValue), string(ptv1beta1.MatchFallbackToTypeInput)}))
	}
	return errs
}

func validateMath(p *field.Path, m *ptv1beta1.MathTransform) field.ErrorList {
	switch m.Type {
	case ptv1beta1.MathTransformTypeMultiply, "":
		if m.Multiply == nil {
			return field.ErrorList{field.Required(p.Child("multiply"), "the factor, e.g. 1024")}
		}
	case ptv1beta1.MathTransformTypeClampMin:
		if m.ClampMin == nil {
			return field.ErrorList{field.Required(p.Child("clampMin"), "the smallest value, e.g. 1")}
		}
	case ptv1beta1.MathTransformTypeClampMax:
		if m.ClampMax == nil {
			return field.ErrorList{field.Required(p.Child("clampMax"), "the largest value, e.g. 10")}
		}
	default:
		return field.ErrorList{field.NotSupported(p.Child("type"), m.Type, []string{
			string(ptv1beta1.MathTransformTypeMultiply), string(ptv1beta1.MathTransformTypeClampMin), string(ptv1beta1.MathTransformTypeClampMax),
		})}
	}
	return nil
}

// stringConversions are the conversions of a string Convert transform.
var stringConversions = []string{
	string(ptv1beta1.StringConversionTypeToUpper), string(ptv1beta1.StringConversionTypeToLower),
	string(ptv1beta1.StringConversionTypeToJSON), string(ptv1beta1.StringConversionTypeToBase64),
	string(ptv1beta1.StringConversionTypeFromBase64), string(ptv1beta1.StringConversionTypeToSHA1),
	string(ptv1beta1.StringConversionTypeToSHA256), string(ptv1beta1.StringConversionTypeToSHA512),
	string(ptv1beta1.StringConversionTypeToAdler32),
}

func validateString(p *field.Path, s *ptv1beta1.StringTransform) field.ErrorList {
	switch s.Type {
	case ptv1beta1.StringTransformTypeFormat, "":
		if s.Format == nil {
			return field.ErrorList{field.Required(p.Child("fmt"), "a fmt pattern, e.g. '%s-creds'")}
		}
		if n := strings.Count(*s.Format, "%") - 2*strings.Count(*s.Format, "%%"); n != 1 {
			return field.ErrorList{field.Invalid(p.Child("fmt"), *s.Format, fmt.Sprintf("must hold exactly one verb such as %%s or %%d for the value (found %d); write %%%% for a literal %%", n))}
		}
	case ptv1beta1.StringTransformTypeConvert:
		if s.Convert == nil {
			return field.ErrorList{field.Required(p.Child("convert"), "one of "+strings.Join(stringConversions, ", "))}
		}
		if !slices.Contains(stringConversions, string(*s.Convert)) {
			return field.ErrorList{field.NotSupported(p.Child("convert"), *s.Convert, stringConversions)}
		}
	case ptv1beta1.StringTransformTypeTrimPrefix, ptv1beta1.StringTransformTypeTrimSuffix:
		if s.Trim == nil {
			return field.ErrorList{field.Required(p.Child("trim"), "the text to trim, e.g. a9s-postgresql")}
		}
	case ptv1beta1.StringTransformTypeRegexp:
		if s.Regexp == nil || s.Regexp.Match == "" {
			return field.ErrorList{field.Required(p.Child("regexp", "match"), `a Go regular expression, e.g. '-(\w+)$' (group 1 is taken when it has one)`)}
		}
		re, err := regexp.Compile(s.Regexp.Match)
		if err != nil {
			return field.ErrorList{field.Invalid(p.Child("regexp", "match"), s.Regexp.Match, "does not compile as a Go regular expression: "+err.Error())}
		}
		if g := s.Regexp.Group; g != nil && (*g < 0 || *g > re.NumSubexp()) {
			return field.ErrorList{field.Invalid(p.Child("regexp", "group"), *g, fmt.Sprintf("the expression has %d groups: choose 0 (the whole match) to %d", re.NumSubexp(), re.NumSubexp()))}
		}
	case ptv1beta1.StringTransformTypeJoin:
		if s.Join == nil {
			return field.ErrorList{field.Required(p.Child("join"), "a separator, e.g. {separator: ','}")}
		}
	case ptv1beta1.StringTransformTypeReplace:
		if s.Replace == nil || s.Replace.Search == "" {
			return field.ErrorList{field.Required(p.Child("replace", "search"), "the text to replace")}
		}
	default:
		return field.ErrorList{field.NotSupported(p.Child("type"), s.Type, []string{
			string(ptv1beta1.StringTransformTypeFormat), string(ptv1beta1.StringTransformTypeConvert),
			string(ptv1beta1.StringTransformTypeTrimPrefix), string(ptv1beta1.StringTransformTypeTrimSuffix),
			string(ptv1beta1.StringTransformTypeRegexp), string(ptv1beta1.StringTransformTypeJoin),
			string(ptv1beta1.StringTransformTypeReplace),
		})}
	}
	return nil
}

func validateConvert(p *field.Path, c *ptv1beta1.ConvertTransform) field.ErrorList {
	var errs field.ErrorList
	if !c.ToType.IsValid() {
		errs = append(errs, field.NotSupported(p.Child("toType"), c.ToType, []string{
			string(ptv1beta1.TransformIOTypeString), string(ptv1beta1.TransformIOTypeBool), string(ptv1beta1.TransformIOTypeInt),
			string(ptv1beta1.TransformIOTypeInt64), string(ptv1beta1.TransformIOTypeFloat64), string(ptv1beta1.TransformIOTypeObject),
			string(ptv1beta1.TransformIOTypeArray),
		}))
	}
	if !c.GetFormat().IsValid() {
		errs = append(errs, field.NotSupported(p.Child("format"), c.GetFormat(), []string{
			string(ptv1beta1.ConvertTransformFormatNone), string(ptv1beta1.ConvertTransformFormatQuantity), string(ptv1beta1.ConvertTransformFormatJSON),
		}))
	}
	return errs
}

// validateReadinessChecks checks readiness checks as function-patch-and-transform does.
func validateReadinessChecks(p *field.Path, rcs []ptv1beta1.ReadinessCheck) field.ErrorList {
	var errs field.ErrorList
	for i, r := range rcs {
		rp := p.Index(i)
		if !r.Type.IsValid() {
			errs = append(errs, field.NotSupported(rp.Child("type"), r.Type, []string{"MatchString", "MatchInteger", "NonEmpty", "MatchCondition", "MatchTrue", "MatchFalse", "None"}))
			continue
		}
		switch r.Type {
		case ptv1beta1.ReadinessCheckTypeNone:
			continue
		case ptv1beta1.ReadinessCheckTypeMatchCondition:
			if m := r.MatchCondition; m != nil && (m.Type == "" || m.Status == "") {
				errs = append(errs, field.Required(rp.Child("matchCondition"), "set type and status, e.g. {type: Ready, status: 'True'}"))
			}
			continue
		case ptv1beta1.ReadinessCheckTypeMatchString:
			if r.MatchString == nil {
				errs = append(errs, field.Required(rp.Child("matchString"), "the value that means ready, e.g. Running"))
			}
		case ptv1beta1.ReadinessCheckTypeMatchInteger:
			if r.MatchInteger == nil {
				errs = append(errs, field.Required(rp.Child("matchInteger"), "the value that means ready, e.g. 1"))
			}
		}
		if r.FieldPath == nil || *r.FieldPath == "" {
			errs = append(errs, field.Required(rp.Child("fieldPath"), "the field of the composed resource to check, e.g. status.ready"))
		} else {
			errs = append(errs, validateFieldPath(rp.Child("fieldPath"), *r.FieldPath)...)
		}
	}
	return errs
}

// validateConnectionDetails checks connection details as function-patch-and-transform does.
func validateConnectionDetails(p *field.Path, cds []ptv1beta1.ConnectionDetail) field.ErrorList {
	var errs field.ErrorList
	for i, cd := range cds {
		cp := p.Index(i)
		if cd.Name == "" {
			errs = append(errs, field.Required(cp.Child("name"), "the key in the composite's connection secret, e.g. password"))
		}
		switch cd.Type {
		case ptv1beta1.ConnectionDetailTypeFromConnectionSecretKey:
			if cd.FromConnectionSecretKey == nil {
				errs = append(errs, field.Required(cp.Child("fromConnectionSecretKey"), "the key in the composed resource's connection secret"))
			}
		case ptv1beta1.ConnectionDetailTypeFromFieldPath:
			if cd.FromFieldPath == nil {
				errs = append(errs, field.Required(cp.Child("fromFieldPath"), "the field of the composed resource, e.g. status.endpoint"))
			} else {
				errs = append(errs, validateFieldPath(cp.Child("fromFieldPath"), *cd.FromFieldPath)...)
			}
		case ptv1beta1.ConnectionDetailTypeFromValue:
			if cd.Value == nil {
				errs = append(errs, field.Required(cp.Child("value"), "the fixed value, e.g. '6379'"))
			}
		default:
			errs = append(errs, field.NotSupported(cp.Child("type"), cd.Type, []string{"FromConnectionSecretKey", "FromFieldPath", "FromValue"}))
		}
	}
	return errs
}
