// Package pkgbuild builds Crossplane packages (.xpkg files: OCI images in a tarball) from a package
// root, with Crossplane's own builder, parser and linter (crossplane-runtime's pkg/xpkg), so that a
// package is byte-identical to what `crossplane xpkg build` makes of the same files. Around that
// builder it checks every file first and names the file, line and object at fault.
package pkgbuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg"
	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg/parser"
	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg/parser/examples"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/spf13/afero"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/function-dataservice/function-dataservice/internal/atomicfile"
	"github.com/function-dataservice/function-dataservice/internal/manifests"
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
	rel := relTo(wd)
	// The package files and examples together expand to at most what Crossplane reads of a
	// package: its builder writes the objects out expanded.
	r := manifests.PackageFiles.Reader()
	docs, err := parseFiles(r, f.pkg, rel)
	if err != nil {
		return nil, err
	}
	if err := check(r, f, docs, kind, rel); err != nil {
		return nil, err
	}
	img, meta, err := assemble(ctx, f, packageOf(docs), base)
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

// assemble makes the package image of the decoded package as Crossplane's builder (xpkg's
// Builder.Build) makes it, step for step and with its own linter, layer and examples parser, so
// that the image is byte-identical; but from the documents the check decoded, and encoding the
// objects and parsing the examples in parallel.
func assemble(ctx context.Context, f *files, pkg *lintable, base v1.Image) (v1.Image, runtime.Object, error) {
	if base == nil {
		base = empty.Image
	}
	if len(pkg.meta) != 1 {
		return nil, nil, errors.New("package must contain exactly one meta file")
	}
	meta := pkg.meta[0]
	var linter parser.Linter
	switch meta.GetObjectKind().GroupVersionKind().Kind {
	case string(Function):
		linter = xpkg.NewFunctionLinter()
	default:
		linter = xpkg.NewConfigurationLinter()
	}
	if err := linter.Lint(pkg); err != nil {
		return nil, nil, fmt.Errorf("failed to lint package: %w", err)
	}

	// The examples layer holds the files as the examples parser read them, which it checks to be
	// Kubernetes objects; it runs beside the package's encoding.
	exBuf := new(bytes.Buffer)
	exErr := make(chan error, 1)
	go func() {
		if !f.hasExamples {
			exErr <- nil
			return
		}
		r, err := parser.NewFsReadCloser(regularFs{afero.NewOsFs()}, f.examples, only(f.ex))
		if err != nil {
			exErr <- err
			return
		}
		_, err = examples.New().Parse(ctx, io.NopCloser(io.TeeReader(r, exBuf)))
		exErr <- err
	}()

	cfgFile, err := base.ConfigFile()
	if err != nil {
		<-exErr
		return nil, nil, err
	}
	cfg := cfgFile.Config
	if cfg.Labels == nil {
		cfg.Labels = make(map[string]string)
	}
	pkgBytes, err := encode(pkg)
	if err != nil {
		<-exErr
		return nil, nil, err
	}
	layers := make([]v1.Layer, 0, 2)
	l, err := xpkg.Layer(pkgBytes, xpkg.StreamFile, xpkg.PackageAnnotation, int64(pkgBytes.Len()), xpkg.StreamFileMode, &cfg)
	if err != nil {
		<-exErr
		return nil, nil, err
	}
	layers = append(layers, l)
	if err := <-exErr; err != nil {
		return nil, nil, fmt.Errorf("failed to parse examples: %w", err)
	}
	if f.hasExamples {
		l, err := xpkg.Layer(exBuf, xpkg.XpkgExamplesFile, xpkg.ExamplesAnnotation, int64(exBuf.Len()), xpkg.StreamFileMode, &cfg)
		if err != nil {
			return nil, nil, err
		}
		layers = append(layers, l)
	}
	img := base
	for _, l := range layers {
		if img, err = mutate.AppendLayers(img, l); err != nil {
			return nil, nil, err
		}
	}
	if img, err = mutate.Config(img, cfg); err != nil {
		return nil, nil, err
	}
	return img, meta, nil
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
