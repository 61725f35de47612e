package planmatrix

import (
	"fmt"
	"strings"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
)

// MaxEvaluations bounds the work of one Compute, in evaluations of the API server's validation (a
// create or an update of one object each, with its schema, enums and every CEL rule). A grid of n
// plans takes n² of them per version, composition and service, so a spec within the generator's
// limits (2,048 plans, 256 services, 64 compositions, 16 versions) could take billions: plans and
// docs ran for hours. Within this bound Compute takes 20 to 30 s of CPU on the 2-core machine the
// tests run on (0.2 to 0.3 ms per evaluation, rules weighed) and some 100 MiB; Klutch's largest
// data service (PostgreSQL: 2 compositions, 4 services, 23 plans) takes 988 evaluations, weighed
// 1,850.
const MaxEvaluations = 100_000

// celPerEvaluation is how many bytes of CEL rules weigh as one more evaluation. Every evaluation
// runs every rule of the schema, and the rules grow with what the spec offers (the offering rule of
// 32 compositions of 32 plans holds 47 KiB, and made an evaluation 2 ms instead of 0.2): an
// evaluation of a schema holding c bytes of rules counts as 1 + c/celPerEvaluation, which keeps the
// time per counted evaluation between 0.15 and 0.3 ms on the measured shapes.
const celPerEvaluation = 4 << 10

// weight is what one evaluation of a version's objects counts as.
func (v *Version) weight() float64 { return 1 + float64(v.cel)/celPerEvaluation }

// TooLargeError is the error of an API whose matrices would take more than MaxEvaluations, found
// before they are evaluated.
type TooLargeError struct {
	// XRD is the name of the XRD.
	XRD string
	// Evaluations is what the matrices would take, weighed.
	Evaluations int
	// What says what is counted.
	What string
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("XRD %s: its plan and service changes take the work of %d evaluations of the API server's validation (%s), at most %d are made (the plan matrix's limit): offer fewer plans and services per composition (n values of a field take n² changes per composition and value of the other field), or split the data service into several", e.XRD, e.Evaluations, e.What, MaxEvaluations)
}

// checkCreates refuses an API whose creates alone are beyond the limit, before any is evaluated:
// every composition, service and plan of d once per version group.
func checkCreates(a *API, groups [][]string, d Domain) error {
	per := len(orNone(d.Compositions)) * len(orNone(d.Services)) * len(orNone(d.Plans))
	work, heaviest := 0.0, (*Version)(nil)
	for _, g := range groups {
		v := a.version(g[0])
		work += float64(per) * v.weight()
		if heaviest == nil || v.cel > heaviest.cel {
			heaviest = v
		}
	}
	if work <= MaxEvaluations {
		return nil
	}
	factors := []string{count(len(groups), "version schema")}
	for _, f := range []struct {
		n    int
		noun string
	}{{len(d.Compositions), "composition"}, {len(d.Services), "service"}, {len(d.Plans), "plan"}} {
		if f.n > 0 {
			factors = append(factors, count(f.n, f.noun))
		}
	}
	what := strings.Join(factors, " × ") + " to create, before any change" + weighs(heaviest)
	return &TooLargeError{XRD: a.Name, Evaluations: int(work), What: what}
}

// checkChanges refuses an API whose changes are beyond the limit once the values each context
// holds are known, before any change is evaluated: done is the work done so far.
func checkChanges(a *API, done float64, cs []*evalContext) error {
	work, changes, largest := done, 0, 0
	heaviest := (*Version)(nil)
	for _, ec := range cs {
		v := a.version(ec.base.Version)
		n := len(ec.m.Values) * len(ec.m.Values)
		work += float64(n) * v.weight()
		changes += n
		largest = max(largest, len(ec.m.Values))
		if heaviest == nil || v.cel > heaviest.cel {
			heaviest = v
		}
	}
	if work <= MaxEvaluations {
		return nil
	}
	what := fmt.Sprintf("%s in %s, the largest of %s, after the creates", count(changes, "change"), count(len(cs), "grid"), count(largest, "value")) + weighs(heaviest)
	return &TooLargeError{XRD: a.Name, Evaluations: int(work), What: what}
}

// weighs says what an evaluation of v counts as, when its rules make it count as more than one.
func weighs(v *Version) string {
	if v == nil || v.cel == 0 {
		return ""
	}
	return fmt.Sprintf("; each evaluation runs %.1f KiB of CEL rules and counts as %.2f (1, and 1 per %d KiB of rules)", float64(v.cel)/1024, v.weight(), celPerEvaluation/1024)
}

// count says n things.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Evaluations is how many creates and updates the API's validation has been asked to judge, by
// every Compute on it together.
func (a *API) Evaluations() int { return int(a.evaluations.Load()) }

// versionGroups groups the served versions that answer every question the same, in the order they
// are served, each group's first version first: versions with the same schema, whose objects
// differ only in apiVersion, unless a rule on the whole object could read it. A generated XRD
// repeats one schema in every version.
func (a *API) versionGroups() [][]string {
	var groups [][]string
	at := map[string]int{}
	for _, v := range a.Versions {
		if len(v.validator.Structural().XValidations) > 0 {
			groups = append(groups, []string{v.Name})
			continue
		}
		if i, ok := at[v.schema]; ok {
			groups[i] = append(groups[i], v.Name)
			continue
		}
		at[v.schema] = len(groups)
		groups = append(groups, []string{v.Name})
	}
	return groups
}

// celBytes counts the bytes of the CEL rules and message expressions of a schema and everything
// below it.
func celBytes(s *structuralschema.Structural) int {
	if s == nil {
		return 0
	}
	n := 0
	for _, r := range s.XValidations {
		n += len(r.Rule) + len(r.MessageExpression)
	}
	for _, p := range s.Properties {
		n += celBytes(&p)
	}
	n += celBytes(s.Items)
	if s.AdditionalProperties != nil {
		n += celBytes(s.AdditionalProperties.Structural)
	}
	return n
}
