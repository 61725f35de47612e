package main

import (
	"bytes"
	"fmt"
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
	docs, err := manifests.Read(c.Files...)
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
				fmt.Fprintf(s.Err, "%s: note: ignored the package meta %s %s: import reads only XRDs, Compositions and APIServiceExportTemplates\n", d.Where(), u.GetKind(), u.GetName())
				continue
			}
			errs = append(errs, errors.Errorf("%s: %s %s is not an XRD, Composition or APIServiceExportTemplate: pass only those", d.Where(), u.GetAPIVersion(), u.GetKind()))
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
			return errors.Wrapf(err, "XRD %s", x.GetName())
		}
		y, err := yaml.Marshal(res.DataService)
		if err != nil {
			return err
		}
		y = bytes.Replace(y, []byte("status: {}\n"), nil, 1)
		if i > 0 {
			out.WriteString("---\n")
		}
		fmt.Fprintf(&out, "# Imported by dataservice import from XRD %s.\n", x.GetName())
		for _, n := range res.Notes {
			fmt.Fprintf(&out, "# Note: %s\n", n)
		}
		out.Write(y)
		for _, n := range res.Notes {
			fmt.Fprintf(s.Err, "%s: note: %s\n", x.GetName(), n)
		}
		if res.Exact() {
			fmt.Fprintf(s.Err, "%s: imported as DataService %s; it regenerates the input (%s)\n", x.GetName(), res.DataService.Name, importer.Comparison)
		} else {
			inexact++
			fmt.Fprintf(s.Err, "%s: imported as DataService %s, which does NOT regenerate the input (%s):\n%s\n", x.GetName(), res.DataService.Name, importer.Comparison, strings.Join(res.Differences, "\n"))
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
