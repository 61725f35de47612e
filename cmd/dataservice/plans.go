package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/backendcrd"
	"github.com/function-dataservice/function-dataservice/internal/markdown"
	"github.com/function-dataservice/function-dataservice/internal/planmatrix"
)

// errWriteMatrices is the error of output that cannot be written.
const errWriteMatrices = "cannot write the matrices"

type plansCmd struct {
	specFlags `embed:""`
	Output    string `short:"o" enum:"text,json,markdown" default:"text" help:"Output format: text (compact grids), json or markdown."`
}

func (c *plansCmd) Help() string {
	return `Plans shows, for each DataService, which plan changes an existing instance may make: from every
plan to every plan, and from every service to every service. It generates the XRD and asks the API
server's own validation code (OpenAPI schema and CEL transition rules, with the old and the new
object, in-process) about each change, so the grid is what a control plane answers, not what the
declarations are meant to say.

A grid is computed per served version, composition and value of the other field (the service an
instance keeps while changing plan, the plan while changing service); contexts with the same grid
share one. Rows are the value an instance has, columns the value it changes to: "ok" is allowed,
"=" no change, a letter the first rule that refuses, named with the API server's message below the
grid. Values the API refuses on create in a context (plans another composition offers) are listed
as not offered there.

A rule that cannot be evaluated on some change (it fails at runtime, or exceeds the CEL cost budget)
is reported with the change and the rule, and the command fails: the grid would not say what the API
allows.

Examples:
  # The plan changes Klutch's MongoDB allows.
  dataservice plans -f examples/klutch/mongodb.yaml

  # Every bundled data service, as Markdown for a wiki page.
  dataservice plans -f examples/ -o markdown

  # Machine-readable: every cell with every rule that refuses it.
  dataservice plans -f examples/klutch/postgresql.yaml -o json
`
}

// plansResult is the matrix of one DataService.
type plansResult struct {
	DataService string            `json:"dataService"`
	Where       string            `json:"where"`
	Result      planmatrix.Result `json:"result"`
}

func (c *plansCmd) Run(ctx context.Context, s streams) error {
	d, specs, crds, err := c.load()
	if err != nil {
		return err
	}
	var results []plansResult
	var failed []string
	for _, sp := range specs {
		r, err := planMatrix(ctx, sp, d, crds)
		if err != nil {
			return err
		}
		n := changes(r)
		fmt.Fprintf(s.Err, "%s: DataService %s: %d plan and service changes evaluated\n", sp.where, sp.ds.Name, n)
		results = append(results, plansResult{DataService: sp.ds.Name, Where: sp.where, Result: r})
		if len(r.Errors) > 0 {
			failed = append(failed, fmt.Sprintf("%s: DataService %s: %d changes whose rules cannot be evaluated (the first: %s)", sp.where, sp.ds.Name, len(r.Errors), r.Errors[0].Error()))
		}
		// An API with a plan or service field offers something to change between: a grid of
		// nothing would say "no rules" where the XRD has some.
		if n == 0 && !r.Domain.Empty() {
			failed = append(failed, fmt.Sprintf("%s: DataService %s: the API has a plan or service field (%s) but no change was evaluated", sp.where, sp.ds.Name, domainText(r.Domain)))
		}
	}
	switch c.Output {
	case "json":
		e := json.NewEncoder(s.Out)
		e.SetIndent("", "  ")
		if err := e.Encode(results); err != nil {
			return errors.Wrap(err, errWriteMatrices)
		}
	case "markdown":
		for i, r := range results {
			if i > 0 {
				fmt.Fprintln(s.Out)
			}
			fmt.Fprintf(s.Out, "# %s\n\n", markdown.Text(fmt.Sprintf("%s: %s (%s)", r.DataService, r.Result.Kind, r.Result.Group)))
			if err := planmatrix.WriteMarkdown(s.Out, r.Result, 2); err != nil {
				return errors.Wrap(err, errWriteMatrices)
			}
		}
	default:
		for i, r := range results {
			if i > 0 {
				fmt.Fprintln(s.Out)
			}
			if err := planmatrix.WriteText(s.Out, r.Result); err != nil {
				return errors.Wrap(err, errWriteMatrices)
			}
		}
	}
	if len(failed) > 0 {
		return errors.Errorf("some changes were not evaluated, so the API server's answer to them is unknown; fix the rules (see the errors above):\n%s", strings.Join(failed, "\n"))
	}
	return nil
}

// domainText names what a domain holds, for messages.
func domainText(d planmatrix.Domain) string {
	var parts []string
	if len(d.Plans) > 0 {
		parts = append(parts, "plans "+strings.Join(d.Plans, ", "))
	}
	if len(d.Services) > 0 {
		parts = append(parts, "services "+strings.Join(d.Services, ", "))
	}
	return strings.Join(parts, "; ")
}

// planMatrix generates a DataService's XRD and evaluates its plan and service changes.
func planMatrix(ctx context.Context, sp loadedSpec, d inputv1beta1.Defaults, crds *backendcrd.Set) (planmatrix.Result, error) {
	out, err := generateSpec(sp, d, crds)
	if err != nil {
		return planmatrix.Result{}, err
	}
	a, err := planmatrix.Load(out.XRD)
	if err != nil {
		return planmatrix.Result{}, errors.Wrap(err, sp.where)
	}
	r, err := planmatrix.Compute(ctx, a, planmatrix.DomainOf(out.Resolved))
	if err != nil {
		return planmatrix.Result{}, errors.Wrap(err, sp.where)
	}
	return r, nil
}

// changes counts the changes a result evaluated, each context of a matrix counted.
func changes(r planmatrix.Result) int {
	n := 0
	for _, m := range r.Matrices {
		n += len(m.Values) * len(m.Values) * len(m.Contexts)
	}
	return n
}
