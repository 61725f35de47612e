package main

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/internal/atomicfile"
	"github.com/function-dataservice/function-dataservice/internal/importer"
	"github.com/function-dataservice/function-dataservice/internal/manifests"
)

type importCmd struct {
	Files  []string `short:"f" name:"file" required:"" placeholder:"FILE" help:"XRD, Composition or APIServiceExportTemplate file or folder; repeat for more." predictor:"file"`
	Output string   `short:"o" placeholder:"FILE" help:"Write the DataService specs to FILE instead of standard output."`
	Name   string   `placeholder:"NAME" help:"Name of the DataService (with one XRD only); derived from the API when unset."`
	Strict bool     `help:"Exit 3 when a DataService does not regenerate its input exactly."`
}

func (c *importCmd) Help() string {
	return `Import reads an existing data service API (an XRD, its Compositions and its
APIServiceExportTemplate, such as Klutch's hand-written a9s files) and writes the concise DataService
spec that regenerates them. It recognises the generator's patterns (plan-change rules, offerings per
composition, parameter keys, a9s backends) and keeps anything else verbatim where a DataService can
hold it. It then generates from the result and compares with the input: notes say what was kept
verbatim or dropped, and any difference left is shown.

Compositions are matched to XRDs by compositeTypeRef, templates by the selected group. A package
root (what generate writes) imports as it is: its package meta (crossplane.yaml) is left out with a
note.

Examples:
  # Import Klutch's MongoDB API.
  dataservice import -f klutchio/crossplane-api/api/a9s/mongodb -f klutchio/bind/mongodb_apiserviceexporttemplate.yaml -o mongodb.yaml

  # Import a package root that generate wrote, with its export templates.
  dataservice import -f _output/package -f _output/apiserviceexporttemplates.yaml

  # Then rebrand it with an overlay and generate.
  dataservice generate -f mongodb.yaml -f acme-overlay.yaml -o package
`
}

func (c *importCmd) Run(s streams) error {
	docs, err := manifests.Objects.Reader().Read(c.Files...)
	if err != nil {
		return err
	}
	var xrds, comps, templates []*unstructured.Unstructured
	var errs []error
	for _, d := range docs {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(d.Data, &u.Object); err != nil {
			errs = append(errs, d.Error(err))
			continue
		}
		switch u.GetKind() {
		case "CompositeResourceDefinition", "Composition", "APIServiceExportTemplate":
			// Names end up in the spec, its comments and messages: refused as the API server
			// would refuse them.
			if fe := importer.ValidateMeta(u); len(fe) > 0 {
				errs = append(errs, errors.Wrapf(fe.ToAggregate(), "%s: %s %q", d.Where(), u.GetKind(), u.GetName()))
				continue
			}
		}
		switch u.GetKind() {
		case "CompositeResourceDefinition":
			xrds = append(xrds, u)
		case "Composition":
			comps = append(comps, u)
		case "APIServiceExportTemplate":
			templates = append(templates, u)
		default:
			// The package root `generate` writes holds its package meta (crossplane.yaml) beside
			// the XRDs and Compositions: import reads the root as it is and says what it left out.
			if strings.HasPrefix(u.GetAPIVersion(), "meta.pkg.crossplane.io/") {
				fmt.Fprintf(s.Err, "%s: note: ignored the package meta %s %q: import reads only XRDs, Compositions and APIServiceExportTemplates\n", d.Where(), printable(u.GetKind()), u.GetName())
				continue
			}
			errs = append(errs, errors.Errorf("%s: %s %s is not an XRD, Composition or APIServiceExportTemplate: pass only those", d.Where(), printable(u.GetAPIVersion()), printable(u.GetKind())))
		}
	}
	if len(errs) > 0 {
		return joinErrors(errs)
	}
	if len(xrds) == 0 {
		return errors.Errorf("no CompositeResourceDefinition in %v: import needs the XRD of each data service", c.Files)
	}
	if c.Name != "" && len(xrds) > 1 {
		return errors.Errorf("--name names one DataService, but %d XRDs were given", len(xrds))
	}
	var out bytes.Buffer
	inexact := 0
	for i, x := range xrds {
		in := importer.Input{XRD: x, Compositions: comps, Name: c.Name}
		group, _, _ := unstructured.NestedString(x.Object, "spec", "group")
		for _, t := range templates {
			if g, _, _ := unstructured.NestedString(t.Object, "spec", "APIServiceSelector", "group"); g == group && matchesResource(x, t) {
				in.ExportTemplate = t
			}
		}
		res, err := importer.Import(in)
		if err != nil {
			return errors.Errorf("XRD %q: %s", x.GetName(), printable(err.Error()))
		}
		y, err := yaml.Marshal(res.DataService)
		if err != nil {
			return err
		}
		y = bytes.Replace(y, []byte("status: {}\n"), nil, 1)
		if i > 0 {
			out.WriteString("---\n")
		}
		// What the input says is quoted and kept on its line: a comment ends at a line break.
		fmt.Fprintf(&out, "# Imported by dataservice import from XRD %q.\n", x.GetName())
		for _, n := range res.Notes {
			fmt.Fprintf(&out, "# Note: %s\n", printable(n))
		}
		out.Write(y)
		for _, n := range res.Notes {
			fmt.Fprintf(s.Err, "%s: note: %s\n", x.GetName(), printable(n))
		}
		if res.Exact() {
			fmt.Fprintf(s.Err, "%s: imported as DataService %q; it regenerates the input (%s)\n", x.GetName(), res.DataService.Name, importer.Comparison)
		} else {
			inexact++
			diff := make([]string, len(res.Differences))
			for i, d := range res.Differences {
				diff[i] = printableLines(d)
			}
			fmt.Fprintf(s.Err, "%s: imported as DataService %q, which does NOT regenerate the input (%s):\n%s\n", x.GetName(), res.DataService.Name, importer.Comparison, strings.Join(diff, "\n"))
		}
	}
	if c.Output == "" {
		if _, err := s.Out.Write(out.Bytes()); err != nil {
			return err
		}
	} else if err := atomicfile.WriteFile(c.Output, out.Bytes(), 0o644); err != nil {
		return err
	}
	if inexact > 0 && c.Strict {
		return &exitError{code: 3, err: errors.Errorf("%d of %d DataServices do not regenerate their input exactly", inexact, len(xrds))}
	}
	return nil
}

// matchesResource says whether a template selects the resource app developers use of an XRD.
func matchesResource(x, t *unstructured.Unstructured) bool {
	r, _, _ := unstructured.NestedString(t.Object, "spec", "APIServiceSelector", "resource")
	claim, _, _ := unstructured.NestedString(x.Object, "spec", "claimNames", "plural")
	plural, _, _ := unstructured.NestedString(x.Object, "spec", "names", "plural")
	return r == claim || r == plural
}

// printable escapes what is not printable in text from the input (line breaks, including YAML
// 1.1's NEL, LS and PS, and terminal escapes) as Go does in a quoted string, so that it stays on
// its line: in a YAML comment, a line break would start YAML of the input's choosing.
func printable(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strconv.IsPrint(r) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

// printableLines is printable line by line: a multi-line text (a diff) keeps its lines.
func printableLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.ReplaceAll(printable(l), `\t`, "\t")
	}
	return strings.Join(lines, "\n")
}
