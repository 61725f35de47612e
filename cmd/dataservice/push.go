package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/function-dataservice/function-dataservice/internal/pkgbuild"
	"github.com/function-dataservice/function-dataservice/internal/registry"
)

// pushCmd pushes package files to a registry.
type pushCmd struct {
	Ref   string   `arg:"" placeholder:"REGISTRY/REPOSITORY:TAG" help:"Where to push: registry, repository and tag (:latest when none)."`
	Files []string `short:"f" name:"file" type:"existingfile" placeholder:"FILE" help:"Package file(s) to push; several (repeated or comma-separated) become one multi-platform package (default: the one .xpkg in the current folder)." predictor:"file"`

	registryFlags `embed:""`
}

func (c *pushCmd) Help() string {
	return `Push package files to any OCI registry. One file is pushed as an image; several - one per
platform, as 'dataservice build function' writes them - as their images plus one multi-platform
index under the tag, exactly as 'crossplane xpkg push' does (same manifest and index digests).

Credentials come from the Docker config ($DOCKER_CONFIG/config.json, ~/.docker/config.json) and
its credential helpers, as for docker and crane: log in with 'docker login' or write the config.
Registries on this machine (localhost, 127.0.0.1) are spoken to over plain HTTP; any other only
over TLS unless --insecure. Requests failing with a 5xx, 429 or a timeout are retried with backoff;
blobs the registry already holds are not uploaded again. Upload progress is shown on stderr when
it is a terminal. The pushed reference with its digest is printed on stdout.

Examples:
  # Push a Configuration package.
  dataservice push localhost:5000/platform/dataservices:v0.1.0 -f _output/dataservices.xpkg

  # Push the Function package of both platforms as one multi-platform package.
  dataservice push ghcr.io/acme/function-dataservice:v0.1.0 \
      -f _output/xpkg/function-dataservice-amd64.xpkg -f _output/xpkg/function-dataservice-arm64.xpkg

  # Use the pushed digest in a script.
  ref=$(dataservice push registry.example.com/platform/dataservices:v1 -f dataservices.xpkg)
`
}

func (c *pushCmd) Run(ctx context.Context, s streams) error {
	files := c.Files
	if len(files) == 0 {
		found, err := filepath.Glob("*.xpkg")
		if err != nil {
			return err
		}
		if len(found) != 1 {
			return fmt.Errorf("found %d .xpkg files in the current folder: name the package file(s) to push with -f", len(found))
		}
		files = found
	}
	pkgs := make([]registry.Package, 0, len(files))
	for _, f := range files {
		img, err := pkgbuild.Read(f)
		if err != nil {
			return err
		}
		pkgs = append(pkgs, registry.Package{Image: img, Source: f})
	}
	res, err := c.client(s.Err).Push(ctx, c.Ref, pkgs)
	if err != nil {
		return err
	}
	what := shown(files[0])
	if len(res.Platforms) > 0 {
		var ps []string
		for _, p := range res.Platforms {
			ps = append(ps, p.String())
		}
		what = fmt.Sprintf("%d packages as one index (%s)", len(files), strings.Join(ps, ", "))
	}
	if res.Uploaded == 0 {
		fmt.Fprintf(s.Err, "pushed %s: nothing uploaded, the registry had every blob already\n", what)
	} else {
		fmt.Fprintf(s.Err, "pushed %s: %d blobs uploaded, %d already in the registry\n", what, res.Uploaded, res.Existing)
	}
	_, err = fmt.Fprintln(s.Out, pushedRef(c.Ref, res))
	return err
}

// pushedRef is the reference as given, pinned to the pushed digest: REGISTRY/REPO:TAG@sha256:...
func pushedRef(ref string, res *registry.Result) string {
	if res == nil {
		return ref
	}
	if strings.Contains(ref, "@") {
		return ref
	}
	return ref + "@" + res.Digest.DigestStr()
}
