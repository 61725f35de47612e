// Package pkgbuild builds Crossplane packages (.xpkg files: OCI images in a tarball) from a package
// root, with Crossplane's own builder, parser and linter (crossplane-runtime's pkg/xpkg), so that a
// package is byte-identical to what `crossplane xpkg build` makes of the same files. Around that
// builder it checks every file first and names the file, line and object at fault.
package pkgbuild

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg"
	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg/parser"
	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg/parser/examples"
	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg/parser/yaml"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/spf13/afero"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/function-dataservice/function-dataservice/internal/atomicfile"
)

// DefaultExamples is the examples root, relative to the package root, when none is given.
const DefaultExamples = "examples"

// Package is a built package.
type Package struct {
	// Image is the package as an OCI image.
	Image v1.Image
	// Digest is the image's digest, as `crossplane xpkg build` makes it.
	Digest v1.Hash
	// PushDigest is the manifest digest once pushed (by dataservice or crossplane xpkg push),
	// which moves the layer annotations from config labels into the manifest.
	PushDigest v1.Hash
	// Kind and Name are those of the package meta (crossplane.yaml).
	Kind Kind
	Name string
	// Files and ExampleFiles count the files read from the package and examples roots.
	Files, ExampleFiles int
	// Examples says whether the package has an examples layer.
	Examples bool
}

// Build builds a package of the kind from the source. A Configuration is built on an empty image
// (base nil); a Function on its runtime image, which the package layer is appended to.
func Build(ctx context.Context, src Source, kind Kind, base v1.Image) (*Package, error) {
	f, err := collect(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("cannot read the package root %s: %w", src.Root, err)
	}
	wd, _ := os.Getwd()
	if err := check(f, kind, relTo(wd)); err != nil {
		return nil, err
	}

	pp, err := yaml.New()
	if err != nil {
		return nil, err
	}
	fs := regularFs{afero.NewOsFs()}
	b := xpkg.New(
		parser.NewFsBackend(fs, parser.FsDir(f.root), parser.FsFilters(only(f.pkg))),
		parser.NewFsBackend(fs, parser.FsDir(f.examples), parser.FsFilters(only(f.ex))),
		pp,
		examples.New(),
	)
	var opts []xpkg.BuildOpt
	if base != nil {
		opts = append(opts, xpkg.WithBase(base))
	}
	img, meta, err := b.Build(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("cannot build the package in %s: %w", src.Root, err)
	}
	d, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("cannot compute the digest of the package in %s: %w", src.Root, err)
	}
	annotated, err := xpkg.AnnotateLayers(img)
	if err != nil {
		return nil, fmt.Errorf("cannot annotate the layers of the package in %s: %w", src.Root, err)
	}
	pd, err := annotated.Digest()
	if err != nil {
		return nil, err
	}
	p := &Package{Image: img, Digest: d, PushDigest: pd, Kind: kind, Files: len(f.pkg), ExampleFiles: len(f.ex), Examples: f.hasExamples}
	if m, ok := meta.(metav1.Object); ok {
		p.Name = m.GetName()
	}
	return p, nil
}

// only keeps exactly the listed files: those collect chose. Crossplane's reader walks the root
// itself; this filter makes it read the same files in the same order.
func only(paths []string) parser.FilterFn {
	keep := make(map[string]bool, len(paths))
	for _, p := range paths {
		keep[p] = true
	}
	return func(path string, _ os.FileInfo) (bool, error) {
		return !keep[path], nil
	}
}

// Write writes a package to a file the way `crossplane xpkg build` does (an OCI image tarball),
// atomically: a reader sees the old file or the new one, never half of one. When ctx ends while
// writing (an interrupt), the write stops and nothing is left behind.
func Write(ctx context.Context, path string, img v1.Image) error {
	if err := atomicfile.Write(ctx, path, 0o644, func(w io.Writer) error { return tarball.Write(nil, img, w) }); err != nil {
		return fmt.Errorf("cannot write %s: %w; nothing was written", path, err)
	}
	return nil
}

// Read reads a package file.
func Read(path string) (v1.Image, error) {
	img, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		return nil, fmt.Errorf("cannot read package file %s: %w", path, err)
	}
	return img, nil
}
