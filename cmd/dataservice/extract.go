package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"path/filepath"

	"github.com/function-dataservice/function-dataservice/internal/atomicfile"
	"github.com/function-dataservice/function-dataservice/internal/pkginfo"
	"github.com/function-dataservice/function-dataservice/internal/runtimeimage"
)

// extractCmd writes the package.yaml stream of a package.
type extractCmd struct {
	Package  string `arg:"" placeholder:"FILE|REF" help:"Package file, or reference of a package in a registry." predictor:"file"`
	Examples bool   `help:"Extract the examples (.up/examples.yaml) instead of package.yaml."`
	Output   string `short:"o" default:"-" placeholder:"FILE" help:"File to write; '-' for stdout. A name ending in .gz is gzipped like Crossplane's package cache ('crossplane xpkg extract')." predictor:"file"`
	Platform string `default:"linux/amd64" placeholder:"OS/ARCH" help:"Platform to read from a multi-platform package."`

	registryFlags `embed:""`
}

func (c *extractCmd) Help() string {
	return `Extract the package.yaml stream of a package - its meta and objects, as Crossplane's package
manager reads them from the layer annotated io.crossplane.xpkg: base - from a package file or a
registry. With --examples, the examples layer instead.

Examples:
  # See what Crossplane will install.
  dataservice extract _output/dataservices.xpkg

  # From a registry, into Crossplane's cache format (as 'crossplane xpkg extract').
  dataservice extract localhost:5000/platform/dataservices:v0.1.0 -o out.gz
`
}

func (c *extractCmd) Run(ctx context.Context, s streams) error {
	p, err := runtimeimage.ParsePlatform(c.Platform)
	if err != nil {
		return err
	}
	img, err := c.packageImage(ctx, c.Package, p, s.Err)
	if err != nil {
		return err
	}
	var data []byte
	if c.Examples {
		if data, err = pkginfo.ExamplesYAML(ctx, img); err == nil && data == nil {
			return fmt.Errorf("%s has no examples layer", c.Package)
		}
	} else {
		data, err = pkginfo.PackageYAML(ctx, img)
	}
	if err != nil {
		return fmt.Errorf("cannot extract from %s: %w", c.Package, err)
	}
	if c.Output == "-" {
		_, err = s.Out.Write(data)
		return err
	}
	if filepath.Ext(c.Output) == ".gz" {
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		if err != nil {
			return err
		}
		if _, err := zw.Write(data); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		data = buf.Bytes()
	}
	if err := atomicfile.WriteFile(c.Output, data, 0o644); err != nil {
		return fmt.Errorf("cannot write %s: %w", c.Output, err)
	}
	fmt.Fprintf(s.Err, "extracted %s of %s to %s\n", map[bool]string{true: ".up/examples.yaml", false: "package.yaml"}[c.Examples], c.Package, c.Output)
	return nil
}
