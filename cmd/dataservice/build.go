package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/function-dataservice/function-dataservice/internal/pkgbuild"
)

// buildCmd groups the package builds: a Configuration by default, the Function with `build function`.
type buildCmd struct {
	Configuration buildConfigurationCmd `cmd:"" default:"withargs" help:"Build a Configuration package from a package root (the default)."`
	Function      buildFunctionCmd      `cmd:"" help:"Build this project's Function package for each platform, without a Docker engine."`
}

func (c *buildCmd) Help() string {
	return `Build Crossplane packages without a Docker engine: 'build [ROOT]' (or 'build configuration')
makes a Configuration package byte-identical to 'crossplane xpkg build'; 'build function' makes the
Function package of this project, one file per platform.

Examples:
  dataservice build _output/package -o _output/dataservices.xpkg
  dataservice build function -o _output/xpkg
`
}

// buildConfigurationCmd builds a Configuration package.
type buildConfigurationCmd struct {
	PackageRoot string `arg:"" default:"." type:"existingdir" placeholder:"ROOT" help:"Package root: the folder that holds crossplane.yaml (default: the current folder)." predictor:"dir"`

	Examples string   `short:"e" default:"examples" placeholder:"DIR" help:"Examples root, relative to the package root; no examples layer when it does not exist." predictor:"dir"`
	Ignore   []string `placeholder:"PATTERN" help:"Files to leave out, as patterns relative to the package root (e.g. 'tests/*.yaml'); repeat or separate with commas."`
	Output   string   `short:"o" placeholder:"FILE" help:"Package file to write (default: NAME.xpkg beside the package root, or in it when it is the current folder; NAME from crossplane.yaml)." predictor:"file"`
}

func (c *buildConfigurationCmd) Help() string {
	return `Build a Crossplane Configuration package (.xpkg, an OCI image in a tarball) from a package root,
byte-identical to 'crossplane xpkg build' v2.2.1 on the same files: the same image digest, run
after run. It uses Crossplane's own builder, parser and linter, and adds what crank lacks:

  - hidden folders and files (.git, .github, editor swap files) are skipped;
  - only regular files inside the package root are read: a symbolic link, named pipe or device
    named *.yaml, or a link to a folder, is an error naming it (the checkout is not trusted);
  - the examples root is relative to the package root, and never part of the package layer;
  - every problem is reported at once with its file, line and object, and an object that a
    Configuration may not hold (an APIServiceExportTemplate, a ConfigMap, a CRD) is refused
    with where it belongs instead.

A Configuration holds only CompositeResourceDefinitions, Compositions,
ManagedResourceActivationPolicies and Operations, plus one crossplane.yaml meta. The file is
written atomically. Its image digest is printed on stderr, with the manifest digest it gets
when pushed (push moves the layer annotations from config labels into the manifest).

Examples:
  # Generate a package root from DataService specs and build it to _output/dataservices.xpkg.
  dataservice generate -f examples/klutch -o _output/package
  dataservice build _output/package

  # Build to a chosen file, with examples from _output/package/examples.
  dataservice build _output/package -o dataservices.xpkg

  # Examples kept outside the package root; leave test fixtures out.
  dataservice build package -e ../examples --ignore 'fixtures/*.yaml'
`
}

// shown is a path as a user reads it: relative to the working directory when below it (kong makes
// path flags absolute).
func shown(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

func (c *buildConfigurationCmd) Run(ctx context.Context, s streams) error {
	src := pkgbuild.Source{Root: c.PackageRoot, Examples: c.Examples, Ignore: c.Ignore}
	p, err := pkgbuild.Build(ctx, src, pkgbuild.Configuration, nil)
	if err != nil {
		return err
	}
	out := c.Output
	if out == "" {
		// Beside the root, like generate's apiserviceexporttemplates.yaml; in the current
		// folder when that is the root.
		out = p.Name + ".xpkg"
		root, _ := filepath.Abs(c.PackageRoot)
		if wd, _ := os.Getwd(); root != wd {
			out = filepath.Join(filepath.Dir(root), out)
		}
	}
	if err := pkgbuild.Write(ctx, out, p.Image); err != nil {
		return err
	}
	examples := "no examples"
	if p.Examples {
		examples = fmt.Sprintf("%d example file", p.ExampleFiles)
		if p.ExampleFiles != 1 {
			examples += "s"
		}
	}
	fmt.Fprintf(s.Err, "built Configuration %s from %d files and %s: %s\n  digest %s, pushed as %s\n", p.Name, p.Files, examples, shown(out), p.Digest, p.PushDigest)
	return nil
}
