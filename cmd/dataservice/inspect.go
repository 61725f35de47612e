package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

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

The digest of a package file equals the manifest digest it gets when pushed.

Examples:
  dataservice inspect _output/dataservices.xpkg
  dataservice inspect localhost:5000/platform/function-dataservice:v0.1.0
  dataservice inspect -o json _output/dataservices.xpkg | jq '.images[0].objects'
`
}

// inspection is the JSON of inspect.
type inspection struct {
	Source    string           `json:"source"`
	Digest    string           `json:"digest"`
	MediaType string           `json:"mediaType"`
	Platforms []string         `json:"platforms,omitempty"`
	Images    []*pkginfo.Image `json:"images"`
}

func (c *inspectCmd) Run(ctx context.Context, s streams) error {
	in := &inspection{Source: c.Package}
	var imgs []v1.Image
	if isFile(c.Package) {
		img, err := pkgbuild.Read(c.Package)
		if err != nil {
			return err
		}
		imgs = append(imgs, img)
	} else {
		desc, err := c.client(s.Err).Get(ctx, c.Package)
		if err != nil {
			return fmt.Errorf("%w (not a file either)", err)
		}
		in.Digest, in.MediaType = desc.Digest.String(), string(desc.MediaType)
		if desc.MediaType.IsIndex() {
			idx, err := desc.ImageIndex()
			if err != nil {
				return err
			}
			m, err := idx.IndexManifest()
			if err != nil {
				return err
			}
			for _, d := range m.Manifests {
				img, err := idx.Image(d.Digest)
				if err != nil {
					return fmt.Errorf("cannot get image %s of the index: %w", d.Digest, err)
				}
				imgs = append(imgs, img)
				if d.Platform != nil {
					in.Platforms = append(in.Platforms, d.Platform.String())
				}
			}
		} else {
			img, err := desc.Image()
			if err != nil {
				return err
			}
			imgs = append(imgs, img)
		}
	}
	for _, img := range imgs {
		info, err := pkginfo.Describe(img)
		if err != nil {
			return fmt.Errorf("cannot inspect %s: %w", c.Package, err)
		}
		in.Images = append(in.Images, info)
	}
	if in.Digest == "" {
		in.Digest, in.MediaType = in.Images[0].Digest, in.Images[0].MediaType
	}
	if c.Output == "json" {
		e := json.NewEncoder(s.Out)
		e.SetIndent("", "  ")
		return e.Encode(in)
	}
	printInspection(s.Out, in)
	return nil
}

func printInspection(w io.Writer, in *inspection) {
	fmt.Fprintf(w, "Package:   %s\n", in.Source)
	fmt.Fprintf(w, "Digest:    %s\n", in.Digest)
	if len(in.Images) == 1 && in.Images[0].PushDigest != in.Digest {
		fmt.Fprintf(w, "Pushed as: %s (push moves the layer annotations into the manifest)\n", in.Images[0].PushDigest)
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
			fmt.Fprintln(w, strings.TrimRight(fmt.Sprintf("  layer   %s %10s  %s", l.Digest, humanSize(l.Size), note), " "))
		}
	}
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d B", n)
	}
}
