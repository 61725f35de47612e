package crvalidate

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// schema is a CRD schema with a spec holding an immutable plan, a size with a default, and a
// rule on spec.
func schema() *extv1.JSONSchemaProps {
	return &extv1.JSONSchemaProps{
		Type: "object",
		Properties: map[string]extv1.JSONSchemaProps{
			"apiVersion": {Type: "string"}, "kind": {Type: "string"}, "metadata": {Type: "object"},
			"spec": {
				Type:     "object",
				Required: []string{"plan"},
				Properties: map[string]extv1.JSONSchemaProps{
					"plan": {Type: "string", Enum: []extv1.JSON{{Raw: []byte(`"small"`)}, {Raw: []byte(`"big"`)}},
						XValidations: extv1.ValidationRules{{Rule: "self == oldSelf", Message: "plan is immutable"}}},
					"size": {Type: "integer", Default: &extv1.JSON{Raw: []byte(`3`)}},
					"flag": {Type: "string", XValidations: extv1.ValidationRules{{Rule: "self != 'bad'", Message: "flag must not be bad"}}},
				},
				XValidations: extv1.ValidationRules{{Rule: "has(self.size)", Message: "size must be set"}},
			},
		},
	}
}

func obj(spec map[string]any) map[string]any {
	return map[string]any{"apiVersion": "example.org/v1", "kind": "X", "metadata": map[string]any{"name": "x"}, "spec": spec}
}

func TestValidator(t *testing.T) {
	cases := map[string]struct {
		reason   string
		obj, old map[string]any
		// noRatcheting validates the update as an API server without ratcheting.
		noRatcheting bool
		want         []string
	}{
		"CreateAccepted": {
			reason: "A valid object is accepted; transition rules do not run on create.",
			obj:    obj(map[string]any{"plan": "small"}),
		},
		"CreateUnknownField": {
			reason: "An unknown field is an error, as strict field validation makes it.",
			obj:    obj(map[string]any{"plan": "small", "color": "red"}),
			want:   []string{`spec.color: Invalid value: null: unknown field (the API server drops it; kubectl's strict field validation refuses it)`},
		},
		"CreateEnumBlocksRules": {
			reason: "A value outside the enum is refused, and the CEL rules do not run, as in the API server.",
			obj:    obj(map[string]any{"plan": "huge"}),
			want: []string{`spec.plan: Unsupported value: "huge": supported values: "small", "big"`,
				`<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation`},
		},
		"CreateDefaultsBeforeRules": {
			reason: "Defaults apply before the rules see the object: the rule on spec finds the defaulted size.",
			obj:    obj(map[string]any{"plan": "small"}),
		},
		"CreateRuleRefuses": {
			reason: "A rule that fails refuses with its message.",
			obj:    obj(map[string]any{"plan": "small", "flag": "bad"}),
			want:   []string{`spec.flag: Invalid value: "bad": flag must not be bad`},
		},
		"UpdateTransitionRule": {
			reason: "A transition rule sees the old object.",
			obj:    obj(map[string]any{"plan": "big"}), old: obj(map[string]any{"plan": "small"}),
			want: []string{`spec.plan: Invalid value: "big": plan is immutable`},
		},
		"UpdateRatchetsUnchangedField": {
			reason: "A field that did not change is not refused again by a rule it already broke (ratcheting).",
			obj:    obj(map[string]any{"plan": "small", "flag": "bad", "size": int64(4)}), old: obj(map[string]any{"plan": "small", "flag": "bad"}),
		},
		"UpdateWithoutRatchetingRefusesUnchangedField": {
			reason: "Without ratcheting, an update that keeps a value a rule refuses is refused.",
			obj:    obj(map[string]any{"plan": "small", "flag": "bad"}), old: obj(map[string]any{"plan": "small", "flag": "bad"}),
			noRatcheting: true,
			want:         []string{`spec.flag: Invalid value: "bad": flag must not be bad`},
		},
		"UpdateWithoutRatchetingRefusesUnchangedEnum": {
			reason: "Without ratcheting, an object keeping a value its enum no longer has cannot be updated at all.",
			obj:    obj(map[string]any{"plan": "huge"}), old: obj(map[string]any{"plan": "huge"}),
			noRatcheting: true,
			want: []string{`spec.plan: Unsupported value: "huge": supported values: "small", "big"`,
				`<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation`},
		},
		"UpdateWithoutRatchetingRunsTransitionRules": {
			reason: "Without ratcheting, transition rules still see the old object: an unchanged plan passes.",
			obj:    obj(map[string]any{"plan": "big"}), old: obj(map[string]any{"plan": "big"}),
			noRatcheting: true,
		},
	}
	v, err := New(schema())
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			errs := v.Create(context.Background(), tc.obj)
			switch {
			case tc.old != nil && tc.noRatcheting:
				errs = v.UpdateWithoutRatcheting(context.Background(), tc.obj, tc.old)
			case tc.old != nil:
				errs = v.Update(context.Background(), tc.obj, tc.old)
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\n-want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
