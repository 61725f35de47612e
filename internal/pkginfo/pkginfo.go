// Package pkginfo reads what a Crossplane package holds: its meta and objects (the package.yaml
// stream of the layer annotated io.crossplane.xpkg: base), its examples, layers and digests, the
// way Crossplane's package manager and `crossplane xpkg extract` find them.
package pkginfo

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg"
	"github.com/dustin/go-humanize"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/internal/manifests"
)

// Image describes one package image.
type Image struct {
	Platform string `json:"platform,omitempty"`
	Digest   string `json:"digest"`
	// PushDigest is the manifest digest once pushed: a package file keeps its layer annotations
	// as config labels, and push moves them into the manifest, which changes its digest.
	PushDigest string   `json:"pushDigest"`
	MediaType  string   `json:"mediaType"`
	Config     string   `json:"config"`
	Size       int64    `json:"size"`
	Layers     []Layer  `json:"layers"`
	Meta       *Object  `json:"meta,omitempty"`
	Objects    []Object `json:"objects"`
	Examples   []Object `json:"examples,omitempty"`
}

// Layer describes one layer of a package image.
type Layer struct {
	Digest     string `json:"digest"`
	Size       int64  `json:"size"`
	MediaType  string `json:"mediaType"`
	Annotation string `json:"annotation,omitempty"` // io.crossplane.xpkg: base (package) or upbound (examples)
}

// Object is one object of a package.
type Object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name,omitempty"`
	// Crossplane and DependsOn are set for the meta.
	Crossplane string   `json:"crossplane,omitempty"`
	DependsOn  []string `json:"dependsOn,omitempty"`
}

// Annotate returns the image with the io.crossplane.xpkg layer annotations in its manifest, taken
// from its config labels, as push makes it (xpkg.AnnotateLayers). A package file keeps them as
// labels, which push turns into annotations; an image that already has them is returned as is.
// Unlike xpkg.AnnotateLayers, which appends one layer at a time (quadratic in the layers: 31 s for
// 300), it appends them all at once, and without reading a layer: the diff IDs are the config's,
// which replaces the computed config anyway.
func Annotate(img v1.Image) (v1.Image, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("cannot read the manifest: %w", err)
	}
	if err := checkManifest(m); err != nil {
		return nil, err
	}
	if hasAnnotations(m) {
		return img, nil
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("cannot read the config %s: %w", m.Config.Digest, err)
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("cannot read the layers: %w", err)
	}
	if len(layers) != len(m.Layers) {
		return nil, fmt.Errorf("the image has %d layers, its manifest names %d", len(layers), len(m.Layers))
	}
	if len(layers) == 0 {
		return img, nil
	}
	adds := make([]mutate.Addendum, len(layers))
	for i, l := range layers {
		a := mutate.Addendum{Layer: diffIDLayer{Layer: l, diffID: diffID(cf, i)}}
		if v, ok := cf.Config.Labels[xpkg.Label(m.Layers[i].Digest.String())]; ok {
			a.Annotations = map[string]string{xpkg.AnnotationKey: v}
		}
		adds[i] = a
	}
	out, err := mutate.Append(empty.Image, adds...)
	if err != nil {
		return nil, err
	}
	return mutate.ConfigFile(out, cf)
}

func hasAnnotations(m *v1.Manifest) bool {
	for _, l := range m.Layers {
		if _, ok := l.Annotations[xpkg.AnnotationKey]; ok {
			return true
		}
	}
	return false
}

// diffID is the config's diff ID of layer i; any hash when the config lists none (the config
// replaces what mutate computes from it).
func diffID(cf *v1.ConfigFile, i int) v1.Hash {
	if i < len(cf.RootFS.DiffIDs) {
		return cf.RootFS.DiffIDs[i]
	}
	return v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("0", 64)}
}

// diffIDLayer is a layer whose diff ID is known, so that appending it reads nothing of it.
type diffIDLayer struct {
	v1.Layer
	diffID v1.Hash
}

func (l diffIDLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }

// annotations returns the io.crossplane.xpkg annotation of each layer of the manifest: its own
// (a pushed package) or else its config's label (a package file).
func annotations(img v1.Image, m *v1.Manifest) ([]string, error) {
	out := make([]string, len(m.Layers))
	if hasAnnotations(m) {
		for i, l := range m.Layers {
			out[i] = l.Annotations[xpkg.AnnotationKey]
		}
		return out, nil
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("cannot read the config %s: %w", m.Config.Digest, err)
	}
	for i, l := range m.Layers {
		out[i] = cf.Config.Labels[xpkg.Label(l.Digest.String())]
	}
	return out, nil
}

// Describe reads the layers, meta, objects and examples of a package image, within the limits
// (see MaxPackageYAML), each layer it reads verified against its digest. ctx ends it.
func Describe(ctx context.Context, img v1.Image) (*Image, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("cannot read the manifest: %w", err)
	}
	if err := checkManifest(m); err != nil {
		return nil, err
	}
	d, err := img.Digest()
	if err != nil {
		return nil, err
	}
	size, err := img.Size()
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("cannot read the config %s: %w", m.Config.Digest, err)
	}
	pushed, err := Annotate(img)
	if err != nil {
		return nil, fmt.Errorf("cannot annotate the layers: %w", err)
	}
	pd, err := pushed.Digest()
	if err != nil {
		return nil, err
	}
	ann, err := annotations(img, m)
	if err != nil {
		return nil, err
	}
	out := &Image{Digest: d.String(), PushDigest: pd.String(), MediaType: string(m.MediaType), Config: m.Config.Digest.String(), Size: size, Objects: []Object{}}
	if cf.OS != "" {
		out.Platform = cf.Platform().String()
	}
	for i, l := range m.Layers {
		out.Layers = append(out.Layers, Layer{Digest: l.Digest.String(), Size: l.Size, MediaType: string(l.MediaType), Annotation: ann[i]})
	}

	stream, err := PackageYAML(ctx, img)
	if err != nil {
		return nil, err
	}
	objs, err := objects(manifests.PackageStream, xpkg.StreamFile, stream)
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if strings.HasPrefix(o.APIVersion, "meta.pkg.crossplane.io/") && out.Meta == nil {
			o := o
			out.Meta = &o
			continue
		}
		o.Crossplane, o.DependsOn = "", nil
		out.Objects = append(out.Objects, o)
	}
	ex, err := ExamplesYAML(ctx, img)
	if err != nil {
		return nil, err
	}
	if ex != nil {
		if out.Examples, err = objects(manifests.PackageExamples, xpkg.XpkgExamplesFile, ex); err != nil {
			return nil, err
		}
		for i := range out.Examples {
			out.Examples[i].Crossplane, out.Examples[i].DependsOn = "", nil
		}
	}
	return out, nil
}

// PackageYAML returns the package.yaml stream of a package image: from the layer annotated
// io.crossplane.xpkg: base, or else from the flattened file system, as Crossplane reads it. It
// returns nothing of a layer before the whole layer is read and its digest checked.
func PackageYAML(ctx context.Context, img v1.Image) ([]byte, error) {
	b, err := layerFile(ctx, img, xpkg.PackageAnnotation, xpkg.StreamFile, true)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("the image holds no %s: it is not a Crossplane package", xpkg.StreamFile)
	}
	return b, nil
}

// ExamplesYAML returns the examples stream of a package image, nil when it has none.
func ExamplesYAML(ctx context.Context, img v1.Image) ([]byte, error) {
	return layerFile(ctx, img, xpkg.ExamplesAnnotation, xpkg.XpkgExamplesFile, false)
}

// layerFile reads file from the one layer annotated annotation; when no layer is and flatten is
// set, from the flattened image: the topmost layer that holds it, unless a layer above deletes it.
func layerFile(ctx context.Context, img v1.Image, annotation, file string, flatten bool) ([]byte, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("cannot read the manifest: %w", err)
	}
	if err := checkManifest(m); err != nil {
		return nil, err
	}
	ann, err := annotations(img, m)
	if err != nil {
		return nil, err
	}
	found := -1
	for i := range m.Layers {
		if ann[i] != annotation {
			continue
		}
		if found >= 0 {
			return nil, fmt.Errorf("the package is invalid: more than one layer is annotated %s: %s", xpkg.AnnotationKey, annotation)
		}
		found = i
	}
	b := newBudget()
	if found >= 0 {
		data, _, err := readLayerFile(ctx, img, m.Layers[found], file, b)
		return data, err
	}
	if !flatten {
		return nil, nil
	}
	for i := len(m.Layers) - 1; i >= 0; i-- {
		data, deleted, err := readLayerFile(ctx, img, m.Layers[i], file, b)
		if err != nil || data != nil || deleted {
			return data, err
		}
	}
	return nil, nil
}

// readLayerFile reads file from the root of a layer, within the limits, and returns it once the
// whole layer is read and found to have the digest and size its descriptor names. deleted says
// that the layer deletes the file of the layers below (an OCI whiteout).
func readLayerFile(ctx context.Context, img v1.Image, d v1.Descriptor, file string, b *budget) (data []byte, deleted bool, err error) {
	fail := func(err error) ([]byte, bool, error) {
		return nil, false, fmt.Errorf("cannot read %s from layer %s: %w", file, d.Digest, err)
	}
	layer, err := img.LayerByDigest(d.Digest)
	if err != nil {
		return fail(err)
	}
	rc, err := layer.Compressed()
	if err != nil {
		return fail(err)
	}
	defer rc.Close()
	v, err := newVerifier(ctx, rc, d.Digest, d.Size)
	if err != nil {
		return fail(err)
	}
	br := bufio.NewReader(v)
	var r io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fail(err)
		}
		defer zr.Close()
		r = zr
	}
	tr := tar.NewReader(b.reader(r))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fail(err)
		}
		name := path.Clean("/" + h.Name)[1:]
		switch {
		case name == file && h.Typeflag == tar.TypeReg:
			if h.Size > MaxPackageYAML {
				return fail(fmt.Errorf("it takes %s uncompressed, at most %s are read (as by Crossplane)", humanize.IBytes(uint64(h.Size)), humanize.IBytes(MaxPackageYAML)))
			}
			if data, err = io.ReadAll(io.LimitReader(tr, MaxPackageYAML)); err != nil {
				return fail(err)
			}
		case name == path.Join(path.Dir(file), ".wh."+path.Base(file)), name == ".wh..wh..opq":
			deleted = true
		}
	}
	// The rest of the blob (tar padding, gzip trailer) counts for its digest.
	if err := v.check(); err != nil {
		return fail(err)
	}
	return data, deleted && data == nil, nil
}

// objects lists the objects of a YAML stream read as the kind, each document refused before it is
// decoded when it expands beyond the kind's limits.
func objects(kind manifests.Kind, file string, stream []byte) ([]Object, error) {
	docs, err := kind.Reader().Split(file, stream)
	if err != nil {
		return nil, err
	}
	var out []Object
	for _, d := range docs {
		var o struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
			Spec struct {
				Crossplane struct {
					Version string `json:"version"`
				} `json:"crossplane"`
				DependsOn []map[string]any `json:"dependsOn"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(d.Data, &o); err != nil {
			// "..." document ends and other non-objects are no objects.
			continue
		}
		if o.Kind == "" {
			continue
		}
		obj := Object{APIVersion: o.APIVersion, Kind: o.Kind, Name: o.Metadata.Name, Crossplane: o.Spec.Crossplane.Version}
		for _, dep := range o.Spec.DependsOn {
			obj.DependsOn = append(obj.DependsOn, dependency(dep))
		}
		out = append(out, obj)
	}
	return out, nil
}

// dependency formats one dependsOn entry, e.g. "function xpkg.crossplane.io/x/y >=v1.0.0".
func dependency(dep map[string]any) string {
	var kind, pkg string
	for _, k := range []string{"configuration", "provider", "function"} {
		if v, ok := dep[k].(string); ok {
			kind, pkg = k, v
		}
	}
	if pkg == "" {
		pkg, _ = dep["package"].(string)
		kind, _ = dep["kind"].(string)
		kind = strings.ToLower(kind)
	}
	s := strings.TrimSpace(kind + " " + pkg)
	if v, ok := dep["version"].(string); ok && v != "" {
		s += " " + v
	}
	return s
}

// SortObjects orders objects by kind and name, for display.
func SortObjects(objs []Object) {
	sort.SliceStable(objs, func(i, j int) bool {
		if objs[i].Kind != objs[j].Kind {
			return objs[i].Kind < objs[j].Kind
		}
		return objs[i].Name < objs[j].Name
	})
}
