package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/function-dataservice/function-dataservice/internal/pkgbuild"
	"github.com/function-dataservice/function-dataservice/internal/pkginfo"
)

// inspectCmd shows what a package holds.
type inspectCmd struct {
	Package string `arg:"" placeholder:"FILE|REF" help:"Package file, or reference of a package in a registry (tag or digest)." predictor:"file"`
	Output  string `short:"o" enum:"text,json" default:"text" help:"Output format: text or json."`

	registryFlags `embed:""`
}

func (c *inspectCmd) Help() string {
	return `Show what a package holds: its meta (kind, name, Crossplane constraint, dependencies), its
objects and examples, its layers with their io.crossplane.xpkg annotations, and its digests. A
multi-platform package in a registry shows its index digest and each platform's image.

Digests: for a package file, Digest is the manifest digest of the image as the file holds it, and
"Pushed as" the manifest digest a registry gives it once pushed (what 'dataservice push' prints):
a file keeps the layers' io.crossplane.xpkg annotations as config labels, and push moves them into
the manifest, as 'crossplane xpkg push' does, so the two differ. For a reference, Digest is the
digest in the registry (the index's for a multi-platform package), and each Image line names the
digest of one platform's image. Layer and config digests are the same in both.

Examples:
  dataservice inspect _output/dataservices.xpkg
  dataservice inspect localhost:5000/platform/function-dataservice:v0.1.0
  dataservice inspect -o json _output/dataservices.xpkg | jq '.images[0].objects'
`
}

func (c *inspectCmd) Run(ctx context.Context, s streams) error {
	var in *pkginfo.Inspection
	if isFile(c.Package) {
		img, err := pkgbuild.Read(c.Package)
		if err != nil {
			return err
		}
		if in, err = pkginfo.InspectImage(ctx, c.Package, img); err != nil {
			return err
		}
	} else {
		desc, err := c.client(s.Err).Get(ctx, c.Package)
		if err != nil {
			return fmt.Errorf("%w (not a file either)", err)
		}
		if in, err = pkginfo.InspectDescriptor(ctx, c.Package, desc); err != nil {
			return err
		}
	}
	if c.Output == "json" {
		e := json.NewEncoder(s.Out)
		e.SetIndent("", "  ")
		return e.Encode(in)
	}
	printInspection(s.Out, in, isFile(c.Package))
	return nil
}

// printInspection writes what a package holds; file says it was read from a package file, whose
// digest is not the one it gets when pushed.
func printInspection(w io.Writer, in *pkginfo.Inspection, file bool) {
	fmt.Fprintf(w, "Package:   %s\n", in.Source)
	if file {
		fmt.Fprintf(w, "Digest:    %s (the file's manifest)\n", in.Digest)
		fmt.Fprintf(w, "Pushed as: %s (the manifest once pushed: push moves the layer annotations into it)\n", in.Images[0].PushDigest)
	} else {
		fmt.Fprintf(w, "Digest:    %s\n", in.Digest)
	}
	fmt.Fprintf(w, "MediaType: %s\n", in.MediaType)
	if len(in.Platforms) > 0 {
		fmt.Fprintf(w, "Platforms: %s\n", strings.Join(in.Platforms, ", "))
	}
	first := in.Images[0]
	if m := first.Meta; m != nil {
		fmt.Fprintf(w, "Meta:      %s %s (%s)\n", m.Kind, m.Name, m.APIVersion)
		if m.Crossplane != "" {
			fmt.Fprintf(w, "Crossplane: %s\n", m.Crossplane)
		}
		for _, d := range m.DependsOn {
			fmt.Fprintf(w, "DependsOn: %s\n", d)
		}
	}
	objs := append([]pkginfo.Object(nil), first.Objects...)
	pkginfo.SortObjects(objs)
	fmt.Fprintf(w, "Objects:   %d\n", len(objs))
	for _, o := range objs {
		fmt.Fprintf(w, "  %-30s %s (%s)\n", o.Kind, o.Name, o.APIVersion)
	}
	if len(first.Examples) > 0 {
		fmt.Fprintf(w, "Examples:  %d\n", len(first.Examples))
		for _, o := range first.Examples {
			fmt.Fprintf(w, "  %-30s %s (%s)\n", o.Kind, o.Name, o.APIVersion)
		}
	}
	for _, img := range in.Images {
		title := "Image"
		if img.Platform != "" {
			title += " " + img.Platform
		}
		fmt.Fprintf(w, "%s: %s\n", title, img.Digest)
		fmt.Fprintf(w, "  config  %s\n", img.Config)
		for _, l := range img.Layers {
			note := ""
			switch l.Annotation {
			case "base":
				note = "io.crossplane.xpkg: base (package.yaml)"
			case "upbound":
				note = "io.crossplane.xpkg: upbound (examples)"
			case "":
			default:
				note = "io.crossplane.xpkg: " + l.Annotation
			}
			fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("  layer   %s %10s  %s", l.Digest, humanize.IBytes(uint64(l.Size)), note), " "))
		}
	}
}
