package generator

import (
	"regexp"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The validators of single names, tokens and field paths validate.go applies across the spec.

var (
	camelKind  = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)
	lowerCamel = regexp.MustCompile(`^[a-z][A-Za-z0-9]*$`)
	planToken  = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
)

func validateGroup(p *field.Path, g string) field.ErrorList {
	var errs field.ErrorList
	if g == "" {
		return append(errs, field.Required(p, "e.g. anynines.com"))
	}
	for _, msg := range validation.IsDNS1123Subdomain(g) {
		errs = append(errs, field.Invalid(p, g, msg))
	}
	if !strings.Contains(g, ".") {
		errs = append(errs, field.Invalid(p, g, "must contain a dot, e.g. "+g+".example.com"))
	}
	return errs
}

func validateKind(p *field.Path, k string) field.ErrorList {
	if k == "" {
		return field.ErrorList{field.Required(p, "a CamelCase kind, e.g. MongodbInstance")}
	}
	if !camelKind.MatchString(k) {
		return field.ErrorList{field.Invalid(p, k, "must be CamelCase: a capital letter, then letters and digits, e.g. MongodbInstance")}
	}
	return nil
}

func validatePlural(p *field.Path, pl string) field.ErrorList {
	var errs field.ErrorList
	if pl != strings.ToLower(pl) {
		return append(errs, field.Invalid(p, pl, "must be lower case, e.g. "+strings.ToLower(pl)))
	}
	for _, msg := range validation.IsDNS1035Label(pl) {
		errs = append(errs, field.Invalid(p, pl, msg))
	}
	return errs
}

func validateNameList(p *field.Path, names []string) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, n := range names {
		for _, msg := range validation.IsDNS1035Label(n) {
			errs = append(errs, field.Invalid(p.Index(i), n, msg))
		}
		if seen[n] {
			errs = append(errs, field.Duplicate(p.Index(i), n))
		}
		seen[n] = true
	}
	return errs
}

func validateTokens(p *field.Path, toks []string, what string) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for i, t := range toks {
		if !planToken.MatchString(t) {
			errs = append(errs, field.Invalid(p.Index(i), t, "a "+what+" name may hold only letters, digits, '.', '_' and '-'"))
		}
		if seen[t] {
			errs = append(errs, field.Duplicate(p.Index(i), t))
		}
		seen[t] = true
	}
	return errs
}

func validateFieldPath(p *field.Path, path string) field.ErrorList {
	if path == "" {
		return field.ErrorList{field.Required(p, "a field path, e.g. spec.forProvider.planName")}
	}
	if _, err := fieldpath.Parse(path); err != nil {
		return field.ErrorList{field.Invalid(p, path, "not a field path: "+err.Error())}
	}
	return nil
}
