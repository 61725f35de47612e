// Package pkginfo reads what a Crossplane package holds: its meta and objects (the package.yaml
// stream of the layer annotated io.crossplane.xpkg: base), its examples, layers and digests, the
// way Crossplane's package manager and `crossplane xpkg extract` find them.
package pkginfo

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg"
	v1 "github.com/google/go-containerregistry/pkg/v1"
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

// annotated returns the image with the io.crossplane.xpkg layer annotations in its manifest: a
// package file keeps them as config labels, which push turns into annotations.
func annotated(img v1.Image) (v1.Image, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	for _, l := range m.Layers {
		if _, ok := l.Annotations[xpkg.AnnotationKey]; ok {
			return img, nil
		}
	}
	return xpkg.AnnotateLayers(img)
}

// Describe reads the layers, meta, objects and examples of a package image.
func Describe(img v1.Image) (*Image, error) {
	d, err := img.Digest()
	if err != nil {
		return nil, err
	}
	img, err = annotated(img)
	if err != nil {
		return nil, fmt.Errorf("cannot read the layer annotations: %w", err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("cannot read the manifest: %w", err)
	}
	pd, err := img.Digest()
	if err != nil {
		return nil, err
	}
	size, err := img.Size()
	if err != nil {
		return nil, err
	}
	out := &Image{Digest: d.String(), PushDigest: pd.String(), MediaType: string(m.MediaType), Config: m.Config.Digest.String(), Size: size, Objects: []Object{}}
	if cf, err := img.ConfigFile(); err == nil && cf.OS != "" {
		out.Platform = cf.Platform().String()
	}
	for _, l := range m.Layers {
		out.Layers = append(out.Layers, Layer{Digest: l.Digest.String(), Size: l.Size, MediaType: string(l.MediaType), Annotation: l.Annotations[xpkg.AnnotationKey]})
	}

	stream, err := PackageYAML(img)
	if err != nil {
		return nil, err
	}
	objs, err := objects(xpkg.StreamFile, stream)
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
	ex, err := ExamplesYAML(img)
	if err != nil {
		return nil, err
	}
	if ex != nil {
		if out.Examples, err = objects(xpkg.XpkgExamplesFile, ex); err != nil {
			return nil, err
		}
		for i := range out.Examples {
			out.Examples[i].Crossplane, out.Examples[i].DependsOn = "", nil
		}
	}
	return out, nil
}

// PackageYAML returns the package.yaml stream of a package image: from the layer annotated
// io.crossplane.xpkg: base, or else from the flattened file system, as Crossplane reads it.
func PackageYAML(img v1.Image) ([]byte, error) {
	img, err := annotated(img)
	if err != nil {
		return nil, err
	}
	b, err := layerFile(img, xpkg.PackageAnnotation, xpkg.StreamFile, true)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fmt.Errorf("the image holds no %s: it is not a Crossplane package", xpkg.StreamFile)
	}
	return b, nil
}

// ExamplesYAML returns the examples stream of a package image, nil when it has none.
func ExamplesYAML(img v1.Image) ([]byte, error) {
	img, err := annotated(img)
	if err != nil {
		return nil, err
	}
	return layerFile(img, xpkg.ExamplesAnnotation, xpkg.XpkgExamplesFile, false)
}

// layerFile reads file from the one layer annotated annotation; when no layer is and flatten is
// set, from the flattened image.
func layerFile(img v1.Image, annotation, file string, flatten bool) ([]byte, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	var rc io.ReadCloser
	for _, l := range m.Layers {
		if l.Annotations[xpkg.AnnotationKey] != annotation {
			continue
		}
		if rc != nil {
			rc.Close()
			return nil, fmt.Errorf("the package is invalid: more than one layer is annotated %s: %s", xpkg.AnnotationKey, annotation)
		}
		layer, err := img.LayerByDigest(l.Digest)
		if err != nil {
			return nil, fmt.Errorf("cannot fetch layer %s: %w", l.Digest, err)
		}
		if rc, err = layer.Uncompressed(); err != nil {
			return nil, fmt.Errorf("cannot read layer %s: %w", l.Digest, err)
		}
	}
	if rc == nil {
		if !flatten {
			return nil, nil
		}
		rc = mutate.Extract(img)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", file, err)
		}
		if strings.TrimPrefix(h.Name, "/") == file {
			return io.ReadAll(tr)
		}
	}
}

// objects lists the objects of a YAML stream.
func objects(file string, stream []byte) ([]Object, error) {
	docs, err := manifests.Split(file, stream)
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
