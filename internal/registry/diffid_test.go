package registry

import (
	"context"
	"errors"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// noDiffID is an image whose layers cannot compute their diff ID, as if decompressing them failed:
// a push must not need it, since the config file lists every layer's diff ID.
type noDiffID struct{ v1.Image }

func (i noDiffID) Layers() ([]v1.Layer, error) {
	ls, err := i.Image.Layers()
	if err != nil {
		return nil, err
	}
	for j, l := range ls {
		ls[j] = failingDiffID{l}
	}
	return ls, nil
}

type failingDiffID struct{ v1.Layer }

func (failingDiffID) DiffID() (v1.Hash, error) {
	return v1.Hash{}, errors.New("diff ID computed: the layer was decompressed")
}

// TestPushShouldNotDecompressLayers pushes a package whose layers cannot compute their diff IDs:
// the push takes them from the config file, as it has them, and pushes what AnnotateLayers makes of
// the image.
func TestPushShouldNotDecompressLayers(t *testing.T) {
	_, host := serve(t)
	img := pkgImage(t, "amd64")
	res, err := client().Push(context.Background(), host+"/platform/pkg:v1", []Package{{Image: noDiffID{img}, Source: "pkg.xpkg"}})
	if err != nil {
		t.Fatal(err)
	}
	annotated, err := xpkg.AnnotateLayers(img)
	if err != nil {
		t.Fatal(err)
	}
	want, err := annotated.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest.DigestStr() != want.String() {
		t.Errorf("pushed digest %s, want the annotated image's %s", res.Digest.DigestStr(), want)
	}
}
