package pkginfo

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/xpkg"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The tests in this file build hostile packages and registries (on 127.0.0.1) and check that
// inspect's and extract's reads stay within the limits, check digests before anything is used,
// and end when told to.

const meta = "apiVersion: meta.pkg.crossplane.io/v1\nkind: Configuration\nmetadata:\n  name: platform\n"

// tarLayer is an uncompressed tar of one file of size bytes, filled from r.
func tarLayer(t *testing.T, name string, size int64, r io.Reader, gz bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.Writer = &buf
	var zw *gzip.Writer
	if gz {
		zw, _ = gzip.NewWriterLevel(&buf, gzip.BestCompression)
		w = zw
	}
	tw := tar.NewWriter(w)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(tw, r, size); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// image makes a package image of the layers; the one at base (unless negative) is annotated
// io.crossplane.xpkg: base by a config label, as in a package file.
func image(t *testing.T, layers [][]byte, mt types.MediaType, base int) v1.Image {
	t.Helper()
	img := empty.Image
	labels := map[string]string{}
	var ls []v1.Layer
	for i, b := range layers {
		l := static.NewLayer(b, mt)
		ls = append(ls, l)
		if i == base {
			d, _ := l.Digest()
			labels[xpkg.Label(d.String())] = xpkg.PackageAnnotation
		}
	}
	img, err := mutate.AppendLayers(img, ls...)
	if err != nil {
		t.Fatal(err)
	}
	if img, err = mutate.Config(img, v1.Config{Labels: labels}); err != nil {
		t.Fatal(err)
	}
	return img
}

// allocated returns the bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestPackageYAMLBomb: a small layer whose package.yaml inflates beyond Crossplane's 200 MB limit
// is refused by the size its tar header names, without inflating it (io.ReadAll read 1 GiB of it
// into 6.5 GB of memory).
func TestPackageYAMLBomb(t *testing.T) {
	layer := tarLayer(t, xpkg.StreamFile, MaxPackageYAML+1, zeros{}, true)
	t.Logf("layer of %d KiB inflating to %d MiB", len(layer)>>10, (MaxPackageYAML+1)>>20)
	img := image(t, [][]byte{layer}, types.DockerLayer, 0)
	for name, read := range map[string]func() error{
		"PackageYAML": func() error { _, err := PackageYAML(context.Background(), img); return err },
		"Describe":    func() error { _, err := Describe(context.Background(), img); return err },
	} {
		t.Run(name, func(t *testing.T) {
			var err error
			n := allocated(func() { err = read() })
			if err == nil || !strings.Contains(err.Error(), "at most 200 MiB") {
				t.Errorf("%s: %v; want an error naming the 200 MiB limit", name, err)
			}
			if n > 32<<20 {
				t.Errorf("%s allocated %d MiB reading a bomb, want at most 32 MiB", name, n>>20)
			}
		})
	}
}

// TestLayerBombCutOff: a layer that inflates without end in files nobody asked for is read only
// within the budget (MaxLayerRead; 1 MiB here, so that the test inflates little).
func TestLayerBombCutOff(t *testing.T) {
	layer := tarLayer(t, "padding", 8<<20, zeros{}, true)
	img := image(t, [][]byte{layer}, types.DockerLayer, 0)
	m, _ := img.Manifest()
	_, _, err := readLayerFile(context.Background(), img, m.Layers[0], xpkg.StreamFile, &budget{n: 1 << 20})
	if !errors.Is(err, errTooLarge) {
		t.Errorf("readLayerFile: %v; want the layer cut off at the budget", err)
	}
}

// TestTooManyLayers: an image of more layers than MaxLayers is refused before any is read
// (300 unannotated layers took 31 s: xpkg.AnnotateLayers is quadratic).
func TestTooManyLayers(t *testing.T) {
	var layers [][]byte
	for i := range 300 {
		layers = append(layers, tarLayer(t, fmt.Sprintf("f%d", i), 1, strings.NewReader("x"), false))
	}
	img := image(t, layers, types.DockerUncompressedLayer, -1)
	if _, err := Describe(context.Background(), img); err == nil || !strings.Contains(err.Error(), "300 layers, at most 127") {
		t.Errorf("Describe: %v; want the layer limit", err)
	}
}

// TestAnnotate: the linear Annotate gives the image push makes with xpkg.AnnotateLayers, so
// that inspect's "pushed as" digest is what push yields.
func TestAnnotate(t *testing.T) {
	var layers [][]byte
	for i := range 5 {
		layers = append(layers, tarLayer(t, fmt.Sprintf("f%d", i), 1, strings.NewReader("x"), true))
	}
	img := image(t, layers, types.DockerLayer, 3)
	want, err := xpkg.AnnotateLayers(img)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Annotate(img)
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := want.Digest()
	gd, _ := got.Digest()
	if wd != gd {
		wm, _ := want.RawManifest()
		gm, _ := got.RawManifest()
		t.Errorf("Annotate digest %s, xpkg.AnnotateLayers %s\n%s\n%s", gd, wd, gm, wm)
	}
}

// fakeRegistry serves one image at /v2/pkg/manifests/v1 and its blobs, with the changes a test
// makes: another blob under a digest, or handlers of its own.
type fakeRegistry struct {
	manifest []byte
	mt       types.MediaType
	blobs    map[string][]byte
	handle   map[string]http.HandlerFunc // by digest
	served   atomic.Int64                // bytes of blobs served
}

func newFakeRegistry(t *testing.T, img v1.Image) *fakeRegistry {
	t.Helper()
	r := &fakeRegistry{blobs: map[string][]byte{}, handle: map[string]http.HandlerFunc{}}
	var err error
	if r.manifest, err = img.RawManifest(); err != nil {
		t.Fatal(err)
	}
	r.mt, _ = img.MediaType()
	cfg, _ := img.RawConfigFile()
	cd, _ := img.ConfigName()
	r.blobs[cd.String()] = cfg
	ls, _ := img.Layers()
	for _, l := range ls {
		d, _ := l.Digest()
		rc, _ := l.Compressed()
		b, _ := io.ReadAll(rc)
		r.blobs[d.String()] = b
	}
	return r
}

func (r *fakeRegistry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	switch {
	case req.URL.Path == "/v2/":
		w.WriteHeader(http.StatusOK)
	case strings.HasPrefix(req.URL.Path, "/v2/pkg/manifests/"):
		w.Header().Set("Content-Type", string(r.mt))
		w.Write(r.manifest)
	case strings.HasPrefix(req.URL.Path, "/v2/pkg/blobs/"):
		d := strings.TrimPrefix(req.URL.Path, "/v2/pkg/blobs/")
		if h, ok := r.handle[d]; ok {
			h(w, req)
			return
		}
		b, ok := r.blobs[d]
		if !ok {
			http.NotFound(w, req)
			return
		}
		r.served.Add(int64(len(b)))
		w.Write(b)
	default:
		http.NotFound(w, req)
	}
}

// serve serves the registry on 127.0.0.1 and returns its image.
func (r *fakeRegistry) serve(t *testing.T, ctx context.Context) v1.Image {
	t.Helper()
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	ref, err := name.ParseReference(strings.TrimPrefix(srv.URL, "http://")+"/pkg:v1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref, remote.WithContext(ctx), remote.WithRetryBackoff(remote.Backoff{Steps: 1}))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestTamperedLayer: a registry that serves another layer of the same size under the digest the
// manifest names gets nothing of it printed: the layer is read to its end and its digest checked
// before package.yaml is returned.
func TestTamperedLayer(t *testing.T) {
	good := tarLayer(t, xpkg.StreamFile, int64(len(meta)), strings.NewReader(meta), false)
	evil := tarLayer(t, xpkg.StreamFile, int64(len(meta)), strings.NewReader(strings.Replace(meta, "platform", "tampered", 1)), false)
	if len(good) != len(evil) {
		t.Fatalf("layers of %d and %d bytes, want the same size", len(good), len(evil))
	}
	img := image(t, [][]byte{good}, types.DockerUncompressedLayer, 0)
	reg := newFakeRegistry(t, img)
	ls, _ := img.Layers()
	d, _ := ls[0].Digest()
	reg.blobs[d.String()] = evil

	data, err := PackageYAML(context.Background(), reg.serve(t, context.Background()))
	if err == nil || bytes.Contains(data, []byte("tampered")) {
		t.Fatalf("PackageYAML from a registry serving a tampered layer: %q, %v; want an error and nothing of it", data, err)
	}
	if !strings.Contains(err.Error(), d.String()) {
		t.Errorf("PackageYAML: %v; want the error to name the layer %s", err, d)
	}
}

// TestHostileConfig: a config the manifest says is 2 GiB is not fetched; one whose digest is
// wrong fails Describe (its error was dropped).
func TestHostileConfig(t *testing.T) {
	good := tarLayer(t, xpkg.StreamFile, int64(len(meta)), strings.NewReader(meta), true)
	img := image(t, [][]byte{good}, types.DockerLayer, 0)

	t.Run("TooLarge", func(t *testing.T) {
		reg := newFakeRegistry(t, img)
		m, _ := img.Manifest()
		m.Config.Size = 2 << 30
		reg.manifest, _ = jsonOf(m)
		reg.handle[m.Config.Digest.String()] = func(w http.ResponseWriter, _ *http.Request) {
			n, _ := io.CopyN(w, zeros{}, 2<<30)
			reg.served.Add(n)
		}
		_, err := Describe(context.Background(), reg.serve(t, context.Background()))
		if err == nil || !strings.Contains(err.Error(), "at most 4.0 MiB") {
			t.Errorf("Describe: %v; want the config limit", err)
		}
		if n := reg.served.Load(); n > MaxConfigSize {
			t.Errorf("%d MiB of the config were fetched, want at most %d", n>>20, MaxConfigSize>>20)
		}
	})
	t.Run("WrongDigest", func(t *testing.T) {
		reg := newFakeRegistry(t, img)
		cd, _ := img.ConfigName()
		cfg := reg.blobs[cd.String()]
		reg.blobs[cd.String()] = bytes.Replace(cfg, []byte(`"Labels"`), []byte(`"Lxbels"`), 1)
		if _, err := Describe(context.Background(), reg.serve(t, context.Background())); err == nil || !strings.Contains(err.Error(), "config") {
			t.Errorf("Describe: %v; want an error about the config", err)
		}
	})
}

// TestInterrupted: a registry that never ends a blob does not keep inspect waiting once its
// context ends (SIGTERM did not stop it).
func TestInterrupted(t *testing.T) {
	good := tarLayer(t, xpkg.StreamFile, int64(len(meta)), strings.NewReader(meta), true)
	img := image(t, [][]byte{good}, types.DockerLayer, 0)
	reg := newFakeRegistry(t, img)
	ls, _ := img.Layers()
	d, _ := ls[0].Digest()
	started := make(chan struct{}, 1)
	reg.handle[d.String()] = func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(good)))
		w.Write(good[:10])
		w.(http.Flusher).Flush()
		started <- struct{}{}
		<-req.Context().Done()
	}
	ctx, cancel := context.WithCancel(context.Background())
	remoteImg := reg.serve(t, ctx)
	done := make(chan error, 1)
	go func() { _, err := PackageYAML(ctx, remoteImg); done <- err }()
	<-started
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("PackageYAML after its context ended: %v; want context.Canceled", err)
	}
}

func jsonOf(v any) ([]byte, error) { return json.Marshal(v) }
