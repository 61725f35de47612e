// Package registry pushes Crossplane packages to OCI registries and reads them back, with
// go-containerregistry: credentials from the Docker config and its credential helpers, retries with
// backoff on 5xx, 429 and timeouts, blobs the registry already holds never uploaded again, and plain
// HTTP only to loopback registries unless insecure is asked for.
package registry

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/function-dataservice/function-dataservice/internal/pkginfo"
)

// Options configure a Client. The zero value is a sensible default.
type Options struct {
	// Insecure allows plain HTTP to any registry and skips TLS certificate verification. Without
	// it plain HTTP is used only for loopback registries (localhost, 127.0.0.0/8, ::1).
	Insecure bool
	// Keychain resolves credentials; authn.DefaultKeychain (Docker config, credential helpers)
	// when nil, refusing a Docker config it cannot read rather than going on without credentials.
	Keychain authn.Keychain
	// Transport is the HTTP transport under retries and the HTTP policy; a clone of
	// remote.DefaultTransport when nil.
	Transport http.RoundTripper
	// Retries is how often a request that failed with a 5xx, 429 or a timeout is tried again;
	// DefaultRetries when zero, none when negative.
	Retries int
	// Backoff is the wait before the first retry, doubled for each further one; one second when
	// zero.
	Backoff time.Duration
	// Progress receives upload progress when not nil (e.g. stderr when it is a terminal).
	Progress io.Writer
	// UserAgent is sent with every request.
	UserAgent string
}

// DefaultRetries is how often a failed request is retried unless told otherwise.
const DefaultRetries = 5

// Client talks to OCI registries.
type Client struct {
	opts  Options
	stats *stats
	http  http.RoundTripper
}

// New returns a client.
func New(o Options) *Client {
	if o.Keychain == nil {
		o.Keychain = dockerKeychain{}
	}
	if o.Retries == 0 {
		o.Retries = DefaultRetries
	}
	if o.Retries < 0 {
		o.Retries = 0
	}
	if o.Backoff == 0 {
		o.Backoff = time.Second
	}
	base := o.Transport
	if base == nil {
		t := remote.DefaultTransport.(*http.Transport).Clone()
		// A registry that accepts a connection but never answers is retried, not waited on forever.
		t.ResponseHeaderTimeout = 2 * time.Minute
		if o.Insecure {
			t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // asked for with --insecure
		}
		base = t
	}
	s := &stats{}
	return &Client{opts: o, stats: s, http: &policy{inner: base, insecure: o.Insecure, stats: s}}
}

func (c *Client) nameOptions() []name.Option {
	if c.opts.Insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

func (c *Client) remoteOptions(ctx context.Context) []remote.Option {
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(c.opts.Keychain),
		remote.WithTransport(c.http),
		remote.WithRetryBackoff(remote.Backoff{Duration: c.opts.Backoff, Factor: 2, Jitter: 0.1, Steps: c.opts.Retries + 1}),
		remote.WithRetryPredicate(retryable),
		remote.WithRetryStatusCodes(http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
			http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout),
	}
	if c.opts.UserAgent != "" {
		opts = append(opts, remote.WithUserAgent(c.opts.UserAgent))
	}
	return opts
}

// retryable says whether a failed request is worth another try: the registry said so (5xx, 429,
// 408), or the network failed or timed out on the way.
func retryable(err error) bool {
	var te *transport.Error
	if errors.As(err, &te) {
		return te.Temporary()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, net.ErrClosed)
}

// Package is one package file to push.
type Package struct {
	// Image is the package as read from its file.
	Image v1.Image
	// Source names it for messages, e.g. the file.
	Source string
}

// Result is what a push did.
type Result struct {
	// Digest is the pushed manifest (one package) or index (several).
	Digest name.Digest
	// Platforms are those of the index, empty for one package.
	Platforms []v1.Platform
	// Uploaded counts the blobs sent; Existing those the registry had already.
	Uploaded, Existing int
}

// Push pushes packages to ref, a tag (":latest" when none is given). One package is pushed as an
// image; several as their images plus one index under the tag, each described by the platform of
// its config (a multi-platform package), as `crossplane xpkg push` does. Layer annotations
// (io.crossplane.xpkg) are taken from the package's config labels.
func (c *Client) Push(ctx context.Context, ref string, pkgs []Package) (*Result, error) {
	if len(pkgs) == 0 {
		return nil, errors.New("no package to push")
	}
	tag, err := name.NewTag(ref, c.nameOptions()...)
	if err != nil {
		return nil, fmt.Errorf("%q is not an image tag (REGISTRY/REPOSITORY:TAG): %w", ref, err)
	}
	before := c.stats.snapshot()

	imgs := make([]v1.Image, len(pkgs))
	for i, p := range pkgs {
		// pkginfo.Annotate is xpkg.AnnotateLayers in linear time and without decompressing a
		// layer for its diff ID (most of a push of the Function package, the CPU profile showed).
		if imgs[i], err = pkginfo.Annotate(p.Image); err != nil {
			return nil, fmt.Errorf("cannot annotate the layers of %s: %w", p.Source, err)
		}
	}

	res := &Result{}
	var target remote.Taggable
	var d v1.Hash
	if len(imgs) == 1 {
		target = imgs[0]
		if d, err = imgs[0].Digest(); err != nil {
			return nil, fmt.Errorf("cannot compute the digest of %s: %w", pkgs[0].Source, err)
		}
	} else {
		idx, platforms, err := index(imgs, pkgs)
		if err != nil {
			return nil, err
		}
		res.Platforms = platforms
		target = idx
		if d, err = idx.Digest(); err != nil {
			return nil, fmt.Errorf("cannot compute the digest of the index: %w", err)
		}
	}

	opts := c.remoteOptions(ctx)
	done := func() {}
	if c.opts.Progress != nil {
		updates := make(chan v1.Update, 16)
		opts = append(opts, remote.WithProgress(updates))
		done = showProgress(c.opts.Progress, tag.String(), updates)
	}
	if idx, ok := target.(v1.ImageIndex); ok {
		err = remote.WriteIndex(tag, idx, opts...)
	} else {
		err = remote.Write(tag, target.(v1.Image), opts...)
	}
	done()
	if err != nil {
		return nil, fmt.Errorf("cannot push to %s: %w", tag, c.explain(err))
	}
	after := c.stats.snapshot()
	res.Uploaded, res.Existing = after.uploaded-before.uploaded, after.existing-before.existing
	res.Digest = tag.Context().Digest(d.String())
	return res, nil
}

// index makes the multi-platform index of several packages, like `crossplane xpkg push -f a,b`, so
// that both give the same index digest.
func index(imgs []v1.Image, pkgs []Package) (v1.ImageIndex, []v1.Platform, error) {
	adds := make([]mutate.IndexAddendum, len(imgs))
	seen := map[string]string{}
	var platforms []v1.Platform
	for i, img := range imgs {
		mt, err := img.MediaType()
		if err != nil {
			return nil, nil, fmt.Errorf("cannot read the media type of %s: %w", pkgs[i].Source, err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, nil, fmt.Errorf("cannot read the config of %s: %w", pkgs[i].Source, err)
		}
		if cf.OS == "" || cf.Architecture == "" {
			return nil, nil, fmt.Errorf("%s names no platform (os, architecture): only packages with a runtime image make a multi-platform package", pkgs[i].Source)
		}
		p := v1.Platform{Architecture: cf.Architecture, OS: cf.OS, OSVersion: cf.OSVersion}
		key := p.String()
		if prev, ok := seen[key]; ok {
			return nil, nil, fmt.Errorf("%s and %s are both for %s: give one package per platform", prev, pkgs[i].Source, key)
		}
		seen[key] = pkgs[i].Source
		platforms = append(platforms, p)
		size, err := img.Size()
		if err != nil {
			return nil, nil, err
		}
		d, err := img.Digest()
		if err != nil {
			return nil, nil, err
		}
		desc := v1.Descriptor{MediaType: mt, Size: size, Digest: d, Platform: &p}
		adds[i] = mutate.IndexAddendum{Add: described{Image: img, desc: desc}, Descriptor: desc}
	}
	return mutate.AppendManifests(empty.Index, adds...), platforms, nil
}

// described is an image whose index descriptor is given: go-containerregistry since v0.21 adds an
// artifactType to the descriptors it computes, which `crossplane xpkg push` v2.2.1 (built on an
// older one) does not write, and which would change the index digest.
type described struct {
	v1.Image
	desc v1.Descriptor
}

func (d described) Descriptor() (*v1.Descriptor, error) {
	desc := d.desc
	return &desc, nil
}

// Get resolves a reference (tag or digest) to its descriptor: an image or an index.
func (c *Client) Get(ctx context.Context, ref string) (*remote.Descriptor, error) {
	r, err := name.ParseReference(ref, c.nameOptions()...)
	if err != nil {
		return nil, fmt.Errorf("%q is not an image reference: %w", ref, err)
	}
	d, err := remote.Get(r, c.remoteOptions(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("cannot get %s: %w", r, c.explain(err))
	}
	return d, nil
}

// Image resolves a reference to an image; an index is resolved to its image for the platform.
func (c *Client) Image(ctx context.Context, ref string, p v1.Platform) (v1.Image, error) {
	r, err := name.ParseReference(ref, c.nameOptions()...)
	if err != nil {
		return nil, fmt.Errorf("%q is not an image reference: %w", ref, err)
	}
	img, err := remote.Image(r, append(c.remoteOptions(ctx), remote.WithPlatform(p))...)
	if err != nil {
		return nil, fmt.Errorf("cannot get %s: %w", r, c.explain(err))
	}
	return img, nil
}

// explain adds the fix to errors a user can do something about, on one line: a registry's error
// page (an HTML body from a proxy) would otherwise spread over many.
func (c *Client) explain(err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			err = fmt.Errorf("%w (log in with 'docker login REGISTRY' or add credentials to $DOCKER_CONFIG/config.json)", err)
		}
	}
	if retryable(err) {
		if c.opts.Retries > 0 {
			err = fmt.Errorf("%w (still failing after %d retries: the registry is unavailable or overloaded; try again later, or raise --retries)", err, c.opts.Retries)
		} else {
			err = fmt.Errorf("%w (not retried: --retries 0)", err)
		}
	}
	return oneLine{err}
}

// oneLine is an error whose message is shown on one line.
type oneLine struct{ err error }

func (e oneLine) Error() string { return strings.Join(strings.Fields(Redact(e.err.Error())), " ") }
func (e oneLine) Unwrap() error { return e.err }
