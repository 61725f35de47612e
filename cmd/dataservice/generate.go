package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/function-dataservice/function-dataservice/internal/pkgmeta"
	"github.com/function-dataservice/function-dataservice/internal/tree"
)

type generateCmd struct {
	CRDs     []string `name:"crd" placeholder:"FILE_OR_DIR" help:"CustomResourceDefinitions of the kinds the DataServices compose (an operator's CRD file, a folder of them, a multi-document manifest): every path, type, enum, required field and CEL rule of what is composed of those kinds is checked against them, for every plan and service. Repeat for more." predictor:"file"`
	Files    []string `short:"f" name:"file" required:"" placeholder:"SPEC" help:"DataService spec file or folder; repeat for more." predictor:"file"`
	Output   string   `short:"o" required:"" placeholder:"DIR" help:"Package root to write XRDs and Compositions to."`
	Exports  string   `placeholder:"FILE" help:"Manifest for the APIServiceExportTemplates (default: apiserviceexporttemplates.yaml beside the package root)."`
	Defaults string   `type:"existingfile" placeholder:"FILE" help:"Function input (dataservice.fn.crossplane.io/v1beta1 Input) whose defaults apply, as in a Composition's pipeline."`
	Name     string   `placeholder:"NAME" help:"Name of the generated Configuration meta (crossplane.yaml) and of its ClusterRole (crossplane:composite:NAME); default: the DataServices' names joined (said on stderr), so that two packages on one control plane never share their RBAC."`
	// CrossplaneConstraint is a version constraint on Crossplane itself, not the Crossplane line a
	// DataService is generated for (spec.crossplaneVersion): the flag keeps its name --crossplane.
	CrossplaneConstraint string `name:"crossplane" placeholder:"CONSTRAINT" help:"Crossplane version constraint of the generated meta (crossplane.yaml spec.crossplane.version); default: the oldest Crossplane that serves the package's XRDs (${crossplane_constraint}, or >=v2.0.0 when any is of the v2 line). Not the Crossplane line, which each spec's crossplaneVersion names."`
	RBAC                 string `placeholder:"FILE" help:"Manifest for the ClusterRole that lets Crossplane compose the package's kinds (default: crossplane-rbac.yaml beside the package root)."`
	Check                bool   `help:"Write nothing; show the diff and exit 2 when the files on disk are stale (for CI)."`
	Force                bool   `help:"Overwrite files in the way that generate did not write."`
}

func (c *generateCmd) Help() string {
	return `Generate runs the generator of the composition function offline: each DataService becomes an
XRD and its Compositions in a Crossplane package root, ready for 'dataservice build', and an
APIServiceExportTemplate in a manifest beside the root (a Configuration package may hold only XRDs,
Compositions, MRAPs and Operations, so templates are applied to the control plane separately).

Output is deterministic and written all-or-nothing: an invalid spec writes nothing. Files it writes
start with "` + tree.Marker + `"; it refuses to overwrite other files unless --force. It lists
what it wrote, with digests, in ` + tree.RecordFile + ` in the root, and deletes only files that
list names, unchanged, once no spec produces them any more; it never writes through a symbolic link
below the root. Keep your own crossplane.yaml in the root to set annotations and dependsOn;
otherwise one is generated, with dependsOn for the functions the Compositions pipe to and the
Crossplane constraint the XRDs need. Package roots side by side keep their templates apart:
generate refuses to replace the templates manifest of another root (give each its own --exports).
Crossplane may compose only what its service account may manage, and a Configuration cannot carry
RBAC: the ClusterRole that lets it manage the composed kinds (aggregated into Crossplane's own) is
written beside the root (crossplane-rbac.yaml); apply it with the export templates.

With --crd, what the Compositions compose is type-checked against the CustomResourceDefinitions of
its kinds (an operator's CRD, a provider's): every path a mapping writes, a status mapping or
readiness check reads and every field of a base must exist in the version the apiVersion names, the
value mapped must fit the field's type, and the object composed for every plan and service must be
one the API server accepts (required fields, enums, patterns, the CRD's own CEL rules). Inside a
provider-kubernetes Object (Crossplane 1.x), the manifest is checked against its own kind's CRD.
Each error names the spec file, the spec field, the bad path and the nearest valid one. Kinds no CRD
given defines are listed once on stderr, not checked.

Examples:
  # Generate Klutch's data services into _output/package (templates in _output/).
  dataservice generate -f examples/klutch -o _output/package

  # An operator-backed service, type-checked against the operator's CRD.
  dataservice generate -f examples/internal/v2 --crd examples/internal/crds -o _output/internal/package

  # Fail CI when the committed tree is stale, showing the diff.
  dataservice generate -f specs/ -o package --check
`
}

func (c *generateCmd) Run(ctx context.Context, s streams) error {
	d, err := loadDefaults(c.Defaults)
	if err != nil {
		return err
	}
	crds, err := loadCRDs(c.CRDs)
	if err != nil {
		return err
	}
	specs, err := loadSpecs(c.Files)
	if err != nil {
		return err
	}
	var srcs []tree.Source
	var errs []string
	checks := typeChecks{crds: crds}
	for _, sp := range specs {
		out, err := generateSpec(sp, d, crds)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		checks.add(out)
		for _, n := range append(slices.Clone(sp.notes), out.Notes...) {
			fmt.Fprintf(s.Err, "%s: DataService %q: note: %s\n", sp.where, sp.ds.Name, n)
		}
		srcs = append(srcs, tree.Source{Where: sp.where, DataService: sp.ds, Output: out})
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "\n") + "\nnothing was written")
	}
	checks.report(s.Err)
	name := c.Name
	if name == "" {
		var names []string
		for _, sp := range specs {
			names = append(names, sp.ds.Name)
		}
		name = pkgmeta.DefaultName(names)
		fmt.Fprintf(s.Err, "note: the package is named %s after its DataServices (crossplane.yaml, and the ClusterRole %s): set --name to choose another\n", name, pkgmeta.ClusterRoleName(name))
	}
	l := tree.Layout{Root: filepath.Clean(c.Output), Exports: c.Exports, Name: name, Crossplane: c.CrossplaneConstraint, RBAC: c.RBAC}
	if l.RBAC == "" {
		l.RBAC = filepath.Join(filepath.Dir(l.Root), "crossplane-rbac.yaml")
	}
	l.Note = func(n string) { fmt.Fprintf(s.Err, "note: %s\n", n) }
	if l.Exports == "" {
		l.Exports = filepath.Join(filepath.Dir(l.Root), "apiserviceexporttemplates.yaml")
	}
	files, err := tree.Files(srcs, l)
	if err != nil {
		return err
	}
	pl, err := l.Plan(files)
	if err != nil {
		return err
	}
	kept := func() {
		if len(pl.Kept) > 0 {
			fmt.Fprintf(s.Err, "kept %d files no spec generates any more, since %s does not list them as written by generate unchanged: delete them by hand if they are stale: %s\n",
				len(pl.Kept), filepath.Join(l.Root, tree.RecordFile), strings.Join(pl.Kept, ", "))
		}
	}
	if c.Check {
		if len(pl.Changes) == 0 {
			fmt.Fprintf(s.Err, "%s is up to date (%d DataServices)\n", l.Root, len(srcs))
			kept()
			return nil
		}
		fmt.Fprint(s.Out, tree.Diff(pl.Changes))
		return &exitError{code: 2, err: errors.Errorf("%d files under %s are stale: run dataservice generate without --check and commit the result", len(pl.Changes), l.Root)}
	}
	if len(pl.Conflicts) > 0 && !c.Force {
		return errors.Errorf("refusing to overwrite files dataservice generate did not write: %s; move them away or pass --force, nothing was written", strings.Join(pl.Conflicts, ", "))
	}
	changes := pl.Changes
	if pl.Record != nil {
		changes = append(changes, *pl.Record)
	}
	if err := tree.Apply(ctx, changes); err != nil {
		return err
	}
	kept()
	written, deleted := 0, 0
	for _, ch := range pl.Changes {
		if ch.New == nil {
			deleted++
		} else {
			written++
		}
	}
	fmt.Fprintf(s.Err, "generated %d DataServices into %s (%d files written, %d deleted, %d unchanged); export templates in %s\n",
		len(srcs), l.Root, written, deleted, len(files)-written, l.Exports)
	if _, ok := files[l.RBAC]; ok {
		fmt.Fprintf(s.Err, "apply %s to the control plane: it lets Crossplane manage the kinds the Compositions compose\n", l.RBAC)
	}
	return nil
}
