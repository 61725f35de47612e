package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/function-dataservice/function-dataservice/internal/pkgbuild"
	"github.com/function-dataservice/function-dataservice/internal/pkginfo"
)

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestInspectBomb: `inspect` and `extract` of a package file of a few hundred KiB whose
// package.yaml inflates beyond Crossplane's 200 MB limit fail naming the limit, without inflating
// it (it took 33 s and 6.5 GB, or ran out of memory).
func TestInspectBomb(t *testing.T) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	size := int64(pkginfo.MaxPackageYAML + 1)
	if err := tw.WriteHeader(&tar.Header{Name: xpkg.StreamFile, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(tw, zeroReader{}, size); err != nil {
		t.Fatal(err)
	}
	tw.Close()
	zw.Close()
	layer := static.NewLayer(buf.Bytes(), types.DockerLayer)
	d, _ := layer.Digest()
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	if img, err = mutate.Config(img, v1.Config{Labels: map[string]string{xpkg.Label(d.String()): xpkg.PackageAnnotation}}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "bomb.xpkg")
	if err := pkgbuild.Write(context.Background(), file, img); err != nil {
		t.Fatal(err)
	}
	for name, run := range map[string]func() error{
		"inspect": func() error {
			return (&inspectCmd{Package: file, Output: "text"}).Run(context.Background(), streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
		},
		"extract": func() error {
			return (&extractCmd{Package: file, Output: "-", Platform: "linux/amd64"}).Run(context.Background(), streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
		},
	} {
		t.Run(name, func(t *testing.T) {
			var before, after goruntime.MemStats
			goruntime.GC()
			goruntime.ReadMemStats(&before)
			err := run()
			goruntime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), "at most 200 MiB") {
				t.Errorf("%s of a package.yaml bomb: %v; want an error naming the 200 MiB limit", name, err)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 32<<20 {
				t.Errorf("%s allocated %d MiB, want at most 32 MiB", name, n>>20)
			}
		})
	}
}
