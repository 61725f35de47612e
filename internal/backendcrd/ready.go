package backendcrd

import (
	"fmt"
	"strings"

	ptv1beta1 "github.com/crossplane-contrib/function-patch-and-transform/input/v1beta1"
	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// What readiness checks and connection details read of the composed resource's status, and whether
// P&T's default readiness check (the Ready condition) can ever pass.

// checkReadiness checks the fields readiness checks read, and that the default check has a Ready
// condition to read.
func (c *checker) checkReadiness() {
	if len(c.r.ReadinessChecks) == 0 {
		for _, t := range c.targets {
			if len(t.prefix) > 0 {
				continue // a manifest: the Object has conditions of its own
			}
			f := lookup(t.schema, fieldpath.Segments{fieldpath.Field("status"), fieldpath.Field("conditions")})
			if !f.ok() || (!f.open && f.typ != typeArray) {
				c.errs = append(c.errs, field.Required(c.r.ReadinessPath, fmt.Sprintf(
					"%s has no status.conditions, so P&T's default readiness check (the condition Ready is True) would never pass and the composite would never be ready: declare readinessChecks on a field its status has (%s), e.g. {type: MatchTrue, fieldPath: status.ready} or {type: NonEmpty, fieldPath: status.phase}, or {type: None}",
					t.name(), strings.Join(statusFields(t.schema), ", "))))
			}
		}
		return
	}
	for _, rc := range c.r.ReadinessChecks {
		if rc.Check.FieldPath == nil || *rc.Check.FieldPath == "" {
			if rc.Check.Type == ptv1beta1.ReadinessCheckTypeMatchCondition {
				c.checkConditions(rc)
			}
			continue
		}
		t, _, rel, ok := c.locate(*rc.Check.FieldPath, true)
		if !ok {
			continue
		}
		f := lookup(t.schema, rel)
		if !f.ok() {
			c.errs = append(c.errs, field.Invalid(rc.Path.Child("fieldPath"), *rc.Check.FieldPath, t.describe(rel, t.statusPrefix, f)))
			continue
		}
		want := map[ptv1beta1.ReadinessCheckType]string{
			ptv1beta1.ReadinessCheckTypeMatchTrue: typeBoolean, ptv1beta1.ReadinessCheckTypeMatchFalse: typeBoolean,
			ptv1beta1.ReadinessCheckTypeMatchString: typeString, ptv1beta1.ReadinessCheckTypeMatchInteger: typeInteger,
		}[rc.Check.Type]
		if want != "" && !fits(want, f) {
			c.errs = append(c.errs, field.Invalid(rc.Path.Child("type"), rc.Check.Type, fmt.Sprintf(
				"%s reads %s, and %s is %s in %s: use a check of its type, or {type: NonEmpty}", rc.Check.Type, article(want), written(t.statusPrefix, rel), article(f.typ), t.name())))
		}
	}
}

// checkConditions checks that a MatchCondition check on the resource itself has conditions to read.
func (c *checker) checkConditions(rc ReadinessCheck) {
	for _, t := range c.targets {
		if len(t.prefix) > 0 {
			continue
		}
		if f := lookup(t.schema, fieldpath.Segments{fieldpath.Field("status"), fieldpath.Field("conditions")}); !f.ok() {
			c.errs = append(c.errs, field.Invalid(rc.Path.Child("type"), rc.Check.Type, fmt.Sprintf(
				"%s has no status.conditions for a MatchCondition check to read: check a field its status has (%s)", t.name(), strings.Join(statusFields(t.schema), ", "))))
		}
	}
}

// statusFields lists the fields of a schema's status, for messages.
func statusFields(s *extv1.JSONSchemaProps) []string {
	st, ok := s.Properties["status"]
	if !ok || len(st.Properties) == 0 {
		return []string{"none declared"}
	}
	var out []string
	for _, n := range fields(&st) {
		out = append(out, "status."+n)
	}
	if len(out) > 12 {
		out = append(out[:12], fmt.Sprintf("and %d more", len(out)-12))
	}
	return out
}

// checkConnectionDetails checks the fields connection details read.
func (c *checker) checkConnectionDetails() {
	for _, cd := range c.r.ConnectionDetails {
		if cd.Detail.Type != ptv1beta1.ConnectionDetailTypeFromFieldPath || cd.Detail.FromFieldPath == nil {
			continue
		}
		t, _, rel, ok := c.locate(*cd.Detail.FromFieldPath, true)
		if !ok {
			continue
		}
		if msg := t.pathProblem(rel, t.statusPrefix); msg != "" {
			c.errs = append(c.errs, field.Invalid(cd.Path.Child("fromFieldPath"), *cd.Detail.FromFieldPath, msg))
		}
	}
}
