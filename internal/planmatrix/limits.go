package planmatrix

import (
	"fmt"
	"strings"
	"syscall"
	"time"

	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
)

// MaxEvaluations bounds the work of one Compute, in evaluations of the API server's validation (a
// create or an update of one object each, with its schema, enums and every CEL rule). A grid of n
// plans takes n² of them per version, composition and service, so a spec within the generator's
// limits (2,048 plans, 256 services, 64 compositions, 16 versions) could take billions: plans and
// docs ran for hours. At this bound the largest specs measured (one composition of 300 plans, in 1
// or 16 versions; 2 compositions of 100 plans) took `dataservice plans` 16 to 20 s of CPU and at
// most 320 MiB (0.15 to 0.2 ms per evaluation, rules weighed); rules that cost more than their
// size says are stopped by MaxCPU. Klutch's largest data service (PostgreSQL: 2 compositions, 4
// services, 23 plans) takes 988 evaluations, weighed 1,850.
const MaxEvaluations = 100_000

// MaxCPU bounds the CPU time of one Compute's evaluations, where counting them cannot: what an
// evaluation costs depends on what its rules do, not only on their size. A rule of && chained
// field reads runs every read (each copies the properties of the object it reads, as the API
// server's CEL adaptor does), where an offering rule of ||s stops at the first plan that matches:
// 16 rules of 38 reads each (14.6 KiB) made an evaluation 8 ms, where 47 KiB of offering rules
// made one 2 ms, and a spec the count let through took 158 s. It is the process's CPU time (the
// same on a busy machine as on an idle one), at most the time that passed (a test process runs
// more than one Compute at once): plans and docs answer within 60 s of a machine's undivided core
// or refuse, naming it.
const MaxCPU = 30 * time.Second

// instant is a reading of the clock of MaxCPU.
type instant struct {
	// cpu is the CPU time the process has used: Compute's work, as the CLI runs nothing beside
	// it, and the same on a busy machine as on an idle one.
	cpu time.Duration
	// wall is the time: a process that runs more than Compute (tests, several at once) may use
	// more CPU than time passes, which is none of this Compute's.
	wall time.Time
}

// since is what was spent from start to i: the CPU time, at most the time that passed.
func (i instant) since(start instant) time.Duration {
	return min(i.cpu-start.cpu, i.wall.Sub(start.wall))
}

// now reads the clock of MaxCPU.
func now() instant {
	var ru syscall.Rusage
	cpu := time.Duration(0)
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return instant{cpu: cpu, wall: time.Now()}
}

// celPerEvaluation is how many bytes of CEL rules weigh as one more evaluation. Every evaluation
// runs every rule of the schema, and the rules grow with what the spec offers (the offering rule of
// 32 compositions of 32 plans holds 47 KiB, and made an evaluation 2 ms instead of 0.2): an
// evaluation of a schema holding c bytes of rules counts as 1 + c/celPerEvaluation, which keeps the
// time per counted evaluation between 0.15 and 0.3 ms on the generated rules' shapes (rules of
// chained reads cost up to 1.7 ms: MaxCPU).
const celPerEvaluation = 4 << 10

// weight is what one evaluation of a version's objects counts as.
func (v *Version) weight() float64 { return 1 + float64(v.cel)/celPerEvaluation }

// TooLargeError is the error of an API whose matrices would take more than MaxEvaluations, found
// before they are evaluated, or took more than MaxCPU, found as they were.
type TooLargeError struct {
	// XRD is the name of the XRD.
	XRD string
	// Evaluations is what the matrices would take, weighed; or, stopped by MaxCPU, how many were
	// made.
	Evaluations int
	// What says what is counted.
	What string
	// Spent is the CPU time after which the evaluations were stopped (MaxCPU), when time stopped
	// them, not their count.
	Spent time.Duration
}

func (e *TooLargeError) Error() string {
	if e.Spent > 0 {
		return fmt.Sprintf("XRD %s: its plan and service changes were stopped after %s of CPU, at most %s are spent (the plan matrix's time limit), and %d evaluations of the API server's validation (%s): simplify the rules that every evaluation runs, offer fewer plans and services per composition, or split the data service into several", e.XRD, e.Spent.Round(time.Second), MaxCPU, e.Evaluations, e.What)
	}
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

// checkCPU refuses to go on once the evaluations have spent more than MaxCPU since start: n
// evaluations were made.
func checkCPU(a *API, start instant, n int) error {
	spent := a.clock().since(start)
	if spent <= MaxCPU {
		return nil
	}
	what := "none made"
	if n > 0 {
		what = fmt.Sprintf("%s each", (spent / time.Duration(n)).Round(100*time.Microsecond))
	}
	return &TooLargeError{XRD: a.Name, Evaluations: n, What: what, Spent: spent}
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
