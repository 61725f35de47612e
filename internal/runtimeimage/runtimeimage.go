// Package runtimeimage builds the runtime image of a Go program without a Docker engine, the way ko
// does: the program is cross-compiled static, written as one layer onto a base image (a local OCI
// layout or image tarball, or else a minimal image that holds nothing but the program), and the
// image config says how to run it. Everything is a value in memory; layers have fixed times, so the
// same program gives the same image digest run after run.
package runtimeimage

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Defaults of the runtime image, those of function-template-go's Dockerfile on distroless
// static:nonroot: the program at /function, run as the nonroot user, serving gRPC on 9443.
const (
	Entrypoint = "/function"
	NonRoot    = "65532:65532"
	GRPCPort   = "9443/tcp"
	path       = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// ParsePlatform parses OS/ARCH[/VARIANT], e.g. linux/arm64.
func ParsePlatform(s string) (v1.Platform, error) {
	p, err := v1.ParsePlatform(s)
	if err != nil || p.OS == "" || p.Architecture == "" {
		return v1.Platform{}, fmt.Errorf("platform %q is not OS/ARCH, e.g. linux/amd64", s)
	}
	return *p, nil
}

// Name is a platform as a file name suffix: amd64, arm64, arm-v7, or os-arch when not linux.
func Name(p v1.Platform) string {
	n := p.Architecture
	if p.OS != "linux" {
		n = p.OS + "-" + n
	}
	if p.Variant != "" {
		n += "-" + p.Variant
	}
	return n
}

// GoBuild is how a Go main package is compiled.
type GoBuild struct {
	// Go is the go command; "go" when empty.
	Go string
	// Dir is the folder go build runs in (inside the module).
	Dir string
	// Main is the main package, e.g. ./cmd/function-dataservice.
	Main string
	// LDFlags are passed to the linker, e.g. "-s -w -X main.version=v1".
	LDFlags string
	// Env is the environment of go build, e.g. os.Environ(); GOOS, GOARCH and CGO_ENABLED are set
	// on top of it.
	Env []string
}

// Compile cross-compiles the main package for the platform into a static binary at out.
func (g GoBuild) Compile(ctx context.Context, p v1.Platform, out string) error {
	gocmd := g.Go
	if gocmd == "" {
		gocmd = "go"
	}
	args := []string{"build", "-trimpath", "-o", out}
	if g.LDFlags != "" {
		args = append(args, "-ldflags", g.LDFlags)
	}
	args = append(args, g.Main)
	cmd := exec.CommandContext(ctx, gocmd, args...)
	cmd.Dir = g.Dir
	cmd.Env = append(append([]string{}, g.Env...), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture)
	if p.Architecture == "arm" && strings.HasPrefix(p.Variant, "v") {
		cmd.Env = append(cmd.Env, "GOARM="+strings.TrimPrefix(p.Variant, "v"))
	}
	// The compiler's messages go into the error, which names the command to run it again.
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("cannot compile %s for %s (GOOS=%s GOARCH=%s CGO_ENABLED=0 %s %s): %w\n%s", g.Main, v1PlatformString(p),
			p.OS, p.Architecture, gocmd, quote(args), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// Image lays the program into a runtime image for the platform: onto base, or onto an empty image
// when base is nil. created dates the image and its layer (ko's SOURCE_DATE_EPOCH; the Unix epoch
// when zero) so that builds are reproducible.
func Image(program []byte, p v1.Platform, base v1.Image, created time.Time) (v1.Image, error) {
	if created.IsZero() {
		created = time.Unix(0, 0).UTC()
	}
	var cf *v1.ConfigFile
	layerType := types.DockerLayer
	if base == nil {
		base = empty.Image
		cf = &v1.ConfigFile{}
	} else {
		bcf, err := base.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("cannot read the config of the base image: %w", err)
		}
		if bcf.OS != p.OS || bcf.Architecture != p.Architecture || (p.Variant != "" && bcf.Variant != p.Variant) {
			return nil, fmt.Errorf("base image is for %s/%s, not %s: give a base for each platform (a multi-platform OCI layout)", bcf.OS, bcf.Architecture, v1PlatformString(p))
		}
		cf = bcf.DeepCopy()
		if mt, err := base.MediaType(); err == nil && mt == types.OCIManifestSchema1 {
			layerType = types.OCILayer
		}
	}

	layer, err := programLayer(program, created, layerType)
	if err != nil {
		return nil, err
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:     layer,
		History:   v1.History{Created: v1.Time{Time: created}, CreatedBy: "dataservice build function", Comment: "program at " + Entrypoint},
		MediaType: layerType,
	})
	if err != nil {
		return nil, fmt.Errorf("cannot add the program layer: %w", err)
	}
	// Take the config as mutate.Append left it (with the new layer's diff ID and history).
	withLayer, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf.RootFS = withLayer.RootFS
	cf.History = withLayer.History
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Created = v1.Time{Time: created}
	cf.Config.Entrypoint = []string{Entrypoint}
	cf.Config.Cmd = nil
	if cf.Config.WorkingDir == "" {
		cf.Config.WorkingDir = "/"
	}
	if runsAsRoot(cf.Config.User) {
		cf.Config.User = NonRoot
	}
	if cf.Config.ExposedPorts == nil {
		cf.Config.ExposedPorts = map[string]struct{}{}
	}
	cf.Config.ExposedPorts[GRPCPort] = struct{}{}
	if !hasPath(cf.Config.Env) {
		cf.Config.Env = append(cf.Config.Env, path)
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("cannot set the runtime image config: %w", err)
	}
	return img, nil
}

// runsAsRoot says whether an image config's user (USER, [uid|name][:gid|group]) runs the program
// as root or in root's group, or names no user at all (root by default): then the image runs it as
// NonRoot instead. Any user or group 0 or root counts ("0:0", "root:root", "1000:0", "0:1000",
// "00"), as the runtime resolves them; other names are the base's to resolve.
func runsAsRoot(user string) bool {
	if user == "" {
		return true
	}
	for _, id := range strings.SplitN(user, ":", 2) {
		if id == "root" {
			return true
		}
		if n, err := strconv.ParseUint(id, 10, 64); err == nil && n == 0 {
			return true
		}
	}
	return false
}

// programLayer is a layer holding the program at Entrypoint, executable by anyone.
func programLayer(program []byte, created time.Time, mt types.MediaType) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     strings.TrimPrefix(Entrypoint, "/"),
		Mode:     0o755,
		Size:     int64(len(program)),
		ModTime:  created,
		Format:   tar.FormatPAX,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(program); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithMediaType(mt))
}

// quote joins arguments as a shell would need them.
func quote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = a
		if strings.ContainsAny(a, " \t\"'") {
			q[i] = fmt.Sprintf("%q", a)
		}
	}
	return strings.Join(q, " ")
}

func hasPath(env []string) bool {
	for _, e := range env {
		if strings.HasPrefix(e, "PATH=") {
			return true
		}
	}
	return false
}

func v1PlatformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}
