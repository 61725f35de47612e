package planmatrix

import "fmt"

// MaxEvaluations bounds the questions one Compute asks the API server's validation (a create or
// an update of one object each). A grid of n plans takes n² of them per version, composition and
// service, each a whole object's validation (schema, enums and every CEL rule: 0.1 to 1 ms), so a
// spec within the generator's limits (2,048 plans, 256 services, 64 compositions) could ask for
// billions: plans and docs ran for hours and out of memory. Within this bound they answer in
// about a minute on a loaded 2-core machine, holding some ten MiB of matrices; Klutch's largest
// data service (PostgreSQL, 23 plans) asks about 2,600.
const MaxEvaluations = 100_000

// TooLargeError is the error of an API whose matrices would take more than MaxEvaluations, found
// before they are evaluated.
type TooLargeError struct {
	// XRD is the name of the XRD.
	XRD string
	// Evaluations is what the matrices would take.
	Evaluations int
	// What says what they count.
	What string
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("XRD %s: its plan and service changes take %d evaluations of the API server's validation (%s), at most %d are made (the plan matrix's limit): offer fewer plans and services per composition (n values of a field take n² changes per composition and value of the other field), or split the data service into several", e.XRD, e.Evaluations, e.What, MaxEvaluations)
}

// checkCreates refuses an API whose creates alone are beyond the limit, before any is evaluated:
// every version group, composition, service and plan once.
func checkCreates(a *API, groups, comps, services, plans int) error {
	n := groups * comps * services * plans
	if n <= MaxEvaluations {
		return nil
	}
	return &TooLargeError{XRD: a.Name, Evaluations: n, What: fmt.Sprintf("%d versions with their own schema × %d compositions × %d services × %d plans to create, before any change", groups, comps, services, plans)}
}

// checkChanges refuses an API whose changes are beyond the limit once the values each context
// holds are known, before any change is evaluated: done is what was evaluated so far.
func checkChanges(a *API, done, changes int, cs []*evalContext) error {
	if done+changes <= MaxEvaluations {
		return nil
	}
	largest := 0
	for _, ec := range cs {
		largest = max(largest, len(ec.m.Values))
	}
	return &TooLargeError{XRD: a.Name, Evaluations: done + changes, What: fmt.Sprintf("%d creates, then %d changes in %d grids, the largest of %d values", done, changes, len(cs), largest)}
}
