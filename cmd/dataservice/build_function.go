package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/function-dataservice/function-dataservice/internal/pkgbuild"
	"github.com/function-dataservice/function-dataservice/internal/runtimeimage"
)

// buildFunctionCmd builds the Function package of this project, one file per platform.
type buildFunctionCmd struct {
	Base                     string   `placeholder:"PATH" help:"Base image of the runtime: a local OCI image layout (folder, may be multi-platform) or image tarball (default: a minimal image with nothing but the function)." predictor:"file" xor:"runtime"`
	EmbedRuntimeImageTarball []string `placeholder:"PATH" type:"existingfile" help:"Prebuilt runtime image tarball to embed instead of compiling, one per platform (its platform is read from the image); repeat for more." predictor:"file" xor:"runtime"`
	Examples                 string   `short:"e" default:"examples" placeholder:"DIR" help:"Examples root, relative to the package root; no examples layer when it does not exist." predictor:"dir"`
	Ignore                   []string `placeholder:"PATTERN" help:"Files to leave out of the package, as patterns relative to the package root."`
	LDFlags                  string   `name:"ldflags" default:"-s -w" help:"Linker flags of the function binary, e.g. '-s -w -X .../version.Version=v1.0.0'."`
	Main                     string   `default:"./cmd/function-dataservice" placeholder:"PKG" help:"Go main package of the function, compiled static (CGO_ENABLED=0) in the current module."`
	Output                   string   `short:"o" default:"_output/xpkg" placeholder:"DIR" help:"Folder to write NAME-ARCH.xpkg files to (NAME from crossplane.yaml)." predictor:"dir"`
	PackageRoot              string   `short:"f" default:"package" type:"existingdir" placeholder:"DIR" help:"Package root: crossplane.yaml (a Function meta) and the input CRDs." predictor:"dir"`
	Platform                 []string `default:"linux/amd64,linux/arm64" placeholder:"OS/ARCH" help:"Platforms to compile for; one package each."`
	SourceDateEpoch          int64    `env:"SOURCE_DATE_EPOCH" default:"0" placeholder:"SECONDS" help:"Creation time of the runtime image and its layer, in Unix seconds (reproducible builds; like ko)."`
}

func (c *buildFunctionCmd) Help() string {
	return `Build the Function package of this project without a Docker engine: for each platform the
function is cross-compiled static (CGO_ENABLED=0, -trimpath), laid as /function into a runtime
image in-process (the way ko does: on the base given by --base, else on a minimal image holding
only the binary, run as user 65532 with gRPC on 9443), and the package layer - package.yaml of
crossplane.yaml and the input CRDs, annotated io.crossplane.xpkg: base - is appended with
Crossplane's own builder. One .xpkg file per platform; push them together as one multi-platform
package with 'dataservice push REF -f FILE -f FILE'.

With --embed-runtime-image-tarball nothing is compiled: each prebuilt runtime image (like
'crossplane xpkg build --embed-runtime-image-tarball') becomes the base of one package.

The same sources give the same digests run after run (set SOURCE_DATE_EPOCH to date the image).

Examples:
  # Both platforms into _output/xpkg/function-dataservice-{amd64,arm64}.xpkg.
  dataservice build function

  # One platform, on a distroless base saved as an OCI layout, with a version.
  dataservice build function --platform linux/arm64 --base ./distroless-static \
      --ldflags "-s -w -X main.version=v0.1.0"

  # Embed runtime images built elsewhere.
  dataservice build function --embed-runtime-image-tarball runtime-amd64.tar \
      --embed-runtime-image-tarball runtime-arm64.tar
`
}

func (c *buildFunctionCmd) Run(ctx context.Context, s streams) error {
	src := pkgbuild.Source{Root: c.PackageRoot, Examples: c.Examples, Ignore: c.Ignore}

	runtimes, err := c.runtimes(ctx, s)
	if err != nil {
		return err
	}
	for _, rt := range runtimes {
		p, err := pkgbuild.Build(ctx, src, pkgbuild.Function, rt.image)
		if err != nil {
			return err
		}
		out := filepath.Join(c.Output, p.Name+"-"+runtimeimage.Name(rt.platform)+".xpkg")
		if err := pkgbuild.Write(ctx, out, p.Image); err != nil {
			return err
		}
		fmt.Fprintf(s.Err, "built Function %s for %s (%s): %s\n  digest %s, pushed as %s\n", p.Name, platformString(rt.platform), rt.from, shown(out), p.Digest, p.PushDigest)
	}
	return nil
}

// runtime is the runtime image of one platform.
type runtime struct {
	platform v1.Platform
	image    v1.Image
	from     string
}

func (c *buildFunctionCmd) runtimes(ctx context.Context, s streams) ([]runtime, error) {
	var rts []runtime
	if len(c.EmbedRuntimeImageTarball) > 0 {
		for _, path := range c.EmbedRuntimeImageTarball {
			img, err := pkgbuild.Read(path)
			if err != nil {
				return nil, fmt.Errorf("cannot read runtime image: %w", err)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				return nil, fmt.Errorf("cannot read the config of runtime image %s: %w", path, err)
			}
			p := cf.Platform()
			if p == nil || p.OS == "" || p.Architecture == "" {
				return nil, fmt.Errorf("runtime image %s names no platform (os, architecture) in its config", path)
			}
			rts = append(rts, runtime{platform: *p, image: img, from: "runtime " + path})
		}
		return rts, nil
	}

	tmp, err := os.MkdirTemp("", "dataservice-build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	gb := runtimeimage.GoBuild{Main: c.Main, LDFlags: c.LDFlags, Env: os.Environ()}
	var created time.Time
	if c.SourceDateEpoch > 0 {
		created = time.Unix(c.SourceDateEpoch, 0).UTC()
	}
	for _, ps := range c.Platform {
		p, err := runtimeimage.ParsePlatform(ps)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(s.Err, "compiling %s for %s\n", c.Main, ps)
		bin := filepath.Join(tmp, "function-"+runtimeimage.Name(p))
		if err := gb.Compile(ctx, p, bin); err != nil {
			return nil, err
		}
		program, err := os.ReadFile(bin)
		if err != nil {
			return nil, err
		}
		var base v1.Image
		from := "minimal runtime"
		if c.Base != "" {
			if base, err = runtimeimage.Base(c.Base, p); err != nil {
				return nil, err
			}
			from = "base " + c.Base
		}
		img, err := runtimeimage.Image(program, p, base, created)
		if err != nil {
			return nil, fmt.Errorf("cannot build the runtime image for %s: %w", ps, err)
		}
		rts = append(rts, runtime{platform: p, image: img, from: from})
	}
	return rts, nil
}

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}
