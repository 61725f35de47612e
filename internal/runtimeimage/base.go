package runtimeimage

import (
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Base reads the base image for a platform from a local OCI image layout (a folder, which may hold
// a multi-platform index) or an image tarball (a file, as `docker save` or `crane pull` write).
func Base(path string, p v1.Platform) (v1.Image, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read base image: %w", err)
	}
	if !fi.IsDir() {
		img, err := tarball.ImageFromPath(path, nil)
		if err != nil {
			return nil, fmt.Errorf("cannot read base image tarball %s: %w", path, err)
		}
		return img, nil
	}
	idx, err := layout.ImageIndexFromPath(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read base image OCI layout %s: %w", path, err)
	}
	img, err := find(idx, p)
	if err != nil {
		return nil, fmt.Errorf("base image OCI layout %s: %w", path, err)
	}
	return img, nil
}

// find returns the image of an index (and the indexes it holds) for the platform.
func find(idx v1.ImageIndex, p v1.Platform) (v1.Image, error) {
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var seen []string
	for _, d := range m.Manifests {
		switch {
		case d.MediaType.IsIndex():
			child, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return nil, err
			}
			if img, err := find(child, p); err == nil {
				return img, nil
			}
		case d.MediaType.IsImage():
			img, err := idx.Image(d.Digest)
			if err != nil {
				return nil, err
			}
			got := d.Platform
			if got == nil {
				cf, err := img.ConfigFile()
				if err != nil {
					return nil, err
				}
				got = cf.Platform()
			}
			if got != nil && got.OS == p.OS && got.Architecture == p.Architecture && (p.Variant == "" || got.Variant == p.Variant) {
				return img, nil
			}
			if got != nil {
				seen = append(seen, v1PlatformString(*got))
			}
		}
	}
	return nil, fmt.Errorf("no image for %s (found %v)", v1PlatformString(p), seen)
}
