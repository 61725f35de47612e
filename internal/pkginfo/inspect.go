package pkginfo

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Inspection is what a package file or a reference holds: its digest and media type, and each
// image with its platform (several for a multi-platform package).
type Inspection struct {
	Source    string   `json:"source"`
	Digest    string   `json:"digest"`
	MediaType string   `json:"mediaType"`
	Platforms []string `json:"platforms,omitempty"`
	Images    []*Image `json:"images"`
}

// InspectImage describes one package image, e.g. read from a package file.
func InspectImage(ctx context.Context, source string, img v1.Image) (*Inspection, error) {
	info, err := Describe(ctx, img)
	if err != nil {
		return nil, fmt.Errorf("cannot inspect %s: %w", source, err)
	}
	return &Inspection{Source: source, Digest: info.Digest, MediaType: info.MediaType, Images: []*Image{info}}, nil
}

// InspectDescriptor describes what a registry serves under a reference: an image, or an index
// and each of its images (at most MaxImages).
func InspectDescriptor(ctx context.Context, source string, desc *remote.Descriptor) (*Inspection, error) {
	in := &Inspection{Source: source, Digest: desc.Digest.String(), MediaType: string(desc.MediaType)}
	var imgs []v1.Image
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, err
		}
		m, err := idx.IndexManifest()
		if err != nil {
			return nil, err
		}
		if len(m.Manifests) > MaxImages {
			return nil, fmt.Errorf("cannot inspect %s: the index names %d images, at most %d are read", source, len(m.Manifests), MaxImages)
		}
		for _, d := range m.Manifests {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("interrupted: %w", err)
			}
			img, err := idx.Image(d.Digest)
			if err != nil {
				return nil, fmt.Errorf("cannot get image %s of the index: %w", d.Digest, err)
			}
			imgs = append(imgs, img)
			if d.Platform != nil {
				in.Platforms = append(in.Platforms, d.Platform.String())
			}
		}
	} else {
		img, err := desc.Image()
		if err != nil {
			return nil, err
		}
		imgs = append(imgs, img)
	}
	for _, img := range imgs {
		info, err := Describe(ctx, img)
		if err != nil {
			return nil, fmt.Errorf("cannot inspect %s: %w", source, err)
		}
		in.Images = append(in.Images, info)
	}
	return in, nil
}
