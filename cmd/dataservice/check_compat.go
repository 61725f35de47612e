package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/compat"
	"github.com/function-dataservice/function-dataservice/internal/manifests"
	"github.com/function-dataservice/function-dataservice/internal/textwrap"
)

// reportWidth is where the report wraps: reasons quote rules whole, so lines are wrapped, never cut.
const reportWidth = 100

// errWriteReport is the error of a report that cannot be written.
const errWriteReport = "cannot write the report"

// exitBreaking is the exit code of check-compat when a change breaks existing claims; 1 stays for
// errors, so CI can tell "this release breaks claims" from "the check could not run".
const exitBreaking = 3

type checkCompatCmd struct {
	Old        string `arg:"" placeholder:"OLD" help:"The released API: DataService specs or generated XRDs (with Compositions and export templates), a file or a folder." predictor:"file"`
	New        string `arg:"" placeholder:"NEW" help:"The API about to be released, in either form." predictor:"file"`
	Context    string `placeholder:"NAME" help:"Context of --kubeconfig to use (default: its current context)."`
	Defaults   string `type:"existingfile" placeholder:"FILE" help:"Function input (dataservice.fn.crossplane.io/v1beta1 Input) whose defaults apply when generating from DataServices."`
	Kubeconfig string `type:"existingfile" placeholder:"FILE" help:"Read the existing instances of OLD's APIs from this cluster (a control plane) and list, per change, the instances it breaks or resizes; the verdict is then the function's." predictor:"file"`
	Output     string `short:"o" enum:"text,json" default:"text" help:"Output format: text or json."`

	// list lists the instances of an API: from --kubeconfig, or a test's.
	list instanceLister
}

func (c *checkCompatCmd) Help() string {
	return `Check-compat compares two releases of data service APIs the way an app developer with existing
claims sees them, and classifies every change as safe or breaking, with its path and why.

OLD and NEW are each a DataService spec, a generated XRD (with its Compositions and export templates
when you have them), or a folder holding several; the two may differ in form. DataServices are run
through the generator first, so both sides are compared as XRDs, Compositions and export templates.
APIs are matched by XRD name (a lone API on each side is compared even when renamed).

Breaking: removed or renamed fields, removed enum values, plans or services (in enums or in
compositionRef-keyed CEL rules), new required fields, type changes, tightened validation (new or
changed CEL rules, lower maxima, higher minima, new patterns), new or changed defaults, changed group,
kind, plural or scope, removed served versions, a referenceable version Compositions do not follow,
removed connection secret keys or Compositions, and changed export selectors or permission claims.
Safe: new optional fields, plans, services, served versions and Compositions, loosened validation,
and edits of descriptions and printer columns. Where a new version served beside the old one would
avoid the breakage, it says so; for DataServices it suggests what a DataService can express (a plan
retired with spec.plan.hidden rather than removed, a field kept beside its replacement).

Rules on plan and service are judged by meaning, not text: both releases' rules are evaluated as the
API server does (the matrices of 'dataservice plans'), and a changed rule breaks only when a change
an existing claim could make before is refused now; the pairs that became refused and allowed are
listed. A removed field beside an added one of a similar name is flagged as a possible rename. Rules
are quoted whole, long lines wrapped.

A change of what a plan maps to (a catalog value: medium's memory 4Gi → 8Gi) is reported as the
resize of every instance on the plan it is; a shrink of a storage size, which volumes cannot make,
breaks.

With --kubeconfig (and --context) it reads the existing instances of OLD's APIs from the cluster
(their composites: on Crossplane v1 the composite of each claim, which names the claim) and
evaluates each against NEW as the composition function does before it applies a change: it lists,
per change that breaks some, every instance it breaks and how (a plan, service or value no longer
offered, a field removed, newly required or given another default, composed resources that cannot
be rendered, an update keeping its values refused by an API server without ratcheting), and the
instances each resize changes. The verdict is then the function's: the release breaks when it
breaks an instance that exists, which the function would hold back.

Exit codes: 0 when nothing breaks, 3 when a change breaks existing claims (with --kubeconfig: an
existing instance), 1 when an input cannot be read or generated or the cluster cannot be read
(kong's command-line usage errors exit 80).

Examples:
  # Would this edit of a DataService break claims? (git show prints the released spec)
  git show v1.2.0:specs/mongodb.yaml > /tmp/mongodb-released.yaml
  dataservice check-compat /tmp/mongodb-released.yaml specs/mongodb.yaml

  # Compare a hand-written XRD with the DataService replacing it.
  dataservice check-compat api/a9s/mongodb/ specs/mongodb.yaml

  # Gate a release in CI on the generated package trees, machine-readable.
  dataservice check-compat -o json released/ _output/ > compat.json

  # Which existing instances would this release break? (as the function judges it)
  dataservice check-compat /tmp/mongodb-released.yaml specs/mongodb.yaml --kubeconfig ~/.kube/config --context klutch
`
}

func (c *checkCompatCmd) Run(ctx context.Context, s streams) error {
	d, err := loadDefaults(c.Defaults)
	if err != nil {
		return err
	}
	old, _, err := loadAPIs(s.Err, c.Old, d)
	if err != nil {
		return err
	}
	nw, generated, err := loadAPIs(s.Err, c.New, d)
	if err != nil {
		return err
	}
	r, err := compat.Compare(old, nw)
	if err != nil {
		return err
	}
	if generated {
		// The generator gives every version one schema and its files may not be edited: suggest
		// what a DataService can say.
		r.ForDataService()
	}
	var (
		live  []liveReport
		where string
	)
	if c.Kubeconfig != "" || c.list != nil {
		list := c.list
		if list == nil {
			if list, where, err = kubeconfigLister(c.Kubeconfig, c.Context, s.Err); err != nil {
				return err
			}
		}
		if live, err = evaluateLive(ctx, list, old, nw); err != nil {
			return err
		}
	}
	if c.Output == "json" {
		e := json.NewEncoder(s.Out)
		e.SetIndent("", "  ")
		out := struct {
			compat.Report
			Instances []liveReport `json:"instances,omitempty"`
		}{r, live}
		if err := e.Encode(out); err != nil {
			return errors.Wrap(err, errWriteReport)
		}
	} else {
		if err := writeReport(s.Out, r, len(old) > 1 || len(nw) > 1); err != nil {
			return errors.Wrap(err, errWriteReport)
		}
		if live != nil {
			if err := writeLive(s.Out, where, live); err != nil {
				return errors.Wrap(err, errWriteReport)
			}
		}
	}
	if live != nil {
		n := 0
		for _, l := range live {
			if l.breaking() {
				n += max(1, len(l.Changes))
			}
		}
		if n == 0 {
			return nil
		}
		return &exitError{code: exitBreaking, err: errors.Errorf("%d %s from %s to %s %s existing instances", n, plural(n, "change", "changes"), c.Old, c.New, plural(n, "breaks", "break"))}
	}
	if !r.Breaking {
		return nil
	}
	n := 0
	for _, ch := range r.Changes {
		if ch.Breaking {
			n++
		}
	}
	what := fmt.Sprintf("%d changes from %s to %s break", n, c.Old, c.New)
	if n == 1 {
		what = fmt.Sprintf("1 change from %s to %s breaks", c.Old, c.New)
	}
	return &exitError{code: exitBreaking, err: errors.Errorf("%s existing claims", what)}
}

// writeReport prints breaking changes, then safe ones, one `path: reason` per line, then the
// suggestion. With several APIs each line names its XRD.
func writeReport(w io.Writer, r compat.Report, several bool) error {
	var b strings.Builder
	var breaking, safe []compat.Change
	for _, ch := range r.Changes {
		if ch.Breaking {
			breaking = append(breaking, ch)
		} else {
			safe = append(safe, ch)
		}
	}
	group := func(title string, cs []compat.Change) {
		if len(cs) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s (%d):\n", title, len(cs))
		for _, ch := range cs {
			api := ""
			if several {
				api = "[" + ch.API + "] "
			}
			b.WriteString(textwrap.Wrap(fmt.Sprintf("%s%s: %s", api, ch.Path, ch.Reason), "  ", "      ", reportWidth))
		}
	}
	group("BREAKING", breaking)
	group("safe", safe)
	switch {
	case len(r.Changes) == 0:
		b.WriteString("No changes.\n")
	case len(breaking) == 0:
		b.WriteString("No change breaks existing claims.\n")
	}
	if r.Suggestion != "" {
		b.WriteString("\n" + textwrap.Wrap("Suggestion: "+r.Suggestion, "", "  ", reportWidth))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// loadAPIs reads the APIs of one side: DataServices are generated, XRDs, Compositions and export
// templates are grouped by the XRD they belong to, and anything else (a package's crossplane.yaml,
// Functions) is skipped. Compositions and templates of XRDs not among the inputs are skipped with a
// warning. generated says whether any API came from a DataService.
func loadAPIs(warn io.Writer, path string, d inputv1beta1.Defaults) (apis []compat.API, generated bool, err error) {
	docs, err := manifests.Objects.Reader().Read(path)
	if err != nil {
		return nil, false, errors.Wrapf(err, "cannot read %s", path)
	}
	var loose []compat.Object
	var errs []error
	for _, doc := range docs {
		tm, err := doc.TypeMeta()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		switch {
		case tm.Kind == v1alpha1.DataServiceKind && tm.APIVersion == v1alpha1.GroupVersion.String():
			a, err := generateAPI(doc, d)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			apis = append(apis, a)
		case tm.Kind == "CompositeResourceDefinition" || tm.Kind == "Composition" || tm.Kind == "APIServiceExportTemplate":
			u := &unstructured.Unstructured{}
			if err := yaml.Unmarshal(doc.Data, &u.Object); err != nil {
				errs = append(errs, doc.Error(err))
				continue
			}
			loose = append(loose, compat.Object{Where: doc.Where(), Object: u})
		}
	}
	if err := joinErrors(errs); err != nil {
		return nil, false, err
	}
	generated = len(apis) > 0
	grouped, unclaimed, err := compat.Group(loose)
	if err != nil {
		return nil, false, err
	}
	for _, u := range unclaimed {
		fmt.Fprintf(warn, "warning: skipped %s\n", u)
	}
	apis = append(apis, grouped...)
	if len(apis) == 0 {
		return nil, false, errors.Errorf("no DataService or CompositeResourceDefinition found in %s: pass DataService specs or generated XRDs", path)
	}
	return apis, generated, nil
}

// generateAPI runs the generator on a DataService, as generate does, so that a spec compares with
// what it generates.
func generateAPI(doc manifests.Document, d inputv1beta1.Defaults) (compat.API, error) {
	ds, err := v1alpha1.Decode(doc.Data)
	if err != nil {
		return compat.API{}, doc.Error(err)
	}
	out, err := generateSpec(loadedSpec{where: doc.Where(), ds: ds}, d, nil) // compat compares the APIs: what they compose is not type-checked
	if err != nil {
		return compat.API{}, err
	}
	where := fmt.Sprintf("%s (generated from DataService %s)", doc.Where(), ds.Name)
	a := compat.API{XRD: compat.Object{Where: where, Object: out.XRD}}
	for _, o := range out.Objects() {
		switch o.GetKind() {
		case "Composition":
			a.Compositions = append(a.Compositions, compat.Object{Where: where, Object: o})
		case "APIServiceExportTemplate":
			a.ExportTemplates = append(a.ExportTemplates, compat.Object{Where: where, Object: o})
		}
	}
	return a, nil
}
