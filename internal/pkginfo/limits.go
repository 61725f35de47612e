package pkginfo

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/dustin/go-humanize"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Limits on what a package may make inspect, extract and push read. A package file or a registry
// is not trusted: a 1 MiB layer inflates to gigabytes, a manifest names as many layers as it likes
// and a registry serves what it likes under any digest. Every blob and file is read through these
// limits, and a blob's digest is checked before anything read from it is used.
const (
	// MaxPackageYAML bounds package.yaml and .up/examples.yaml, uncompressed: Crossplane's own
	// package manager stops there too (crossplane-runtime pkg/xpkg, maxPackageSize), so every
	// package Crossplane installs can be read.
	MaxPackageYAML = 200 << 20
	// MaxLayerSize bounds one layer blob as stored (compressed): Crossplane packages hold a few
	// MiB; a Function's runtime image layers a few dozen.
	MaxLayerSize = 512 << 20
	// MaxLayerRead bounds what is read of one layer uncompressed, to find a file in it.
	MaxLayerRead = 1 << 30
	// MaxConfigSize bounds an image config: a package's holds its layer annotations as labels, a
	// few KiB.
	MaxConfigSize = 4 << 20
	// MaxLayers bounds the layers of one image: what overlay file systems (and so container
	// runtimes) stack at most; a Configuration has two, a Function a handful.
	MaxLayers = 127
	// MaxImages bounds the images of one index (platforms of a package).
	MaxImages = 64
)

// checkManifest refuses a manifest beyond the limits before anything it names is fetched.
func checkManifest(m *v1.Manifest) error {
	if n := len(m.Layers); n > MaxLayers {
		return fmt.Errorf("the image has %d layers, at most %d are read: it is not a Crossplane package", n, MaxLayers)
	}
	if m.Config.Size > MaxConfigSize {
		return fmt.Errorf("the image config %s takes %s, at most %s are read: it is not a Crossplane package", m.Config.Digest, humanize.IBytes(uint64(m.Config.Size)), humanize.IBytes(MaxConfigSize))
	}
	for _, l := range m.Layers {
		if l.Size > MaxLayerSize || l.Size < 0 {
			return fmt.Errorf("layer %s takes %s, at most %s are read", l.Digest, humanize.IBytes(uint64(max(l.Size, 0))), humanize.IBytes(MaxLayerSize))
		}
	}
	return nil
}

// verifier reads a blob, at most size bytes, hashing what it reads; check tells whether what was
// read is the whole blob and has its digest.
type verifier struct {
	ctx  context.Context
	r    io.Reader
	h    hash.Hash
	n    int64
	want v1.Hash
	size int64
}

func newVerifier(ctx context.Context, r io.Reader, want v1.Hash, size int64) (*verifier, error) {
	if want.Algorithm != "sha256" {
		return nil, fmt.Errorf("blob %s: only sha256 digests are read", want)
	}
	return &verifier{ctx: ctx, r: io.LimitReader(r, size+1), h: sha256.New(), want: want, size: size}, nil
}

func (v *verifier) Read(p []byte) (int, error) {
	if err := v.ctx.Err(); err != nil {
		return 0, fmt.Errorf("interrupted: %w", err)
	}
	n, err := v.r.Read(p)
	v.n += int64(n)
	v.h.Write(p[:n])
	if v.n > v.size {
		return n, fmt.Errorf("blob %s is larger than the %d bytes its descriptor says", v.want, v.size)
	}
	return n, err
}

// check reads the rest of the blob and reports whether it is the one the digest names.
func (v *verifier) check() error {
	if _, err := io.Copy(io.Discard, v); err != nil {
		return err
	}
	if v.n != v.size {
		return fmt.Errorf("blob %s has %d bytes, its descriptor says %d: the registry or file serves another blob", v.want, v.n, v.size)
	}
	got := v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", v.h.Sum(nil))}
	if got != v.want {
		return fmt.Errorf("blob %s has digest %s: the registry or file serves another blob than the manifest names; nothing of it is used", v.want, got)
	}
	return nil
}

// budget bounds what is read uncompressed from the layers of one image, to find a file in them:
// a gzip bomb in a layer is cut off there, not inflated to the end.
type budget struct{ n int64 }

func newBudget() *budget { return &budget{n: MaxLayerRead} }

// reader reads r within the budget, failing once it is spent rather than ending quietly as
// io.LimitReader does.
func (b *budget) reader(r io.Reader) io.Reader { return &budgeted{r: r, b: b} }

type budgeted struct {
	r io.Reader
	b *budget
}

var errTooLarge = errors.New("too large")

func (l *budgeted) Read(p []byte) (int, error) {
	if l.b.n <= 0 {
		var one [1]byte
		if n, err := l.r.Read(one[:]); n == 0 {
			return 0, err
		}
		return 0, fmt.Errorf("the layers inflate to more than %s: %w", humanize.IBytes(MaxLayerRead), errTooLarge)
	}
	if int64(len(p)) > l.b.n {
		p = p[:l.b.n]
	}
	n, err := l.r.Read(p)
	l.b.n -= int64(n)
	return n, err
}
