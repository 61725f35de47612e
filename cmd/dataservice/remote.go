package main

import (
	"context"
	"fmt"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/term"

	"github.com/function-dataservice/function-dataservice/internal/pkgbuild"
	"github.com/function-dataservice/function-dataservice/internal/registry"
	"github.com/function-dataservice/function-dataservice/internal/version"
)

// registryFlags are the flags of every command that talks to a registry.
type registryFlags struct {
	Insecure bool `help:"Allow plain HTTP to registries that are not on this machine, and skip TLS certificate verification (loopback registries get plain HTTP without it)."`
	Retries  int  `default:"5" placeholder:"N" help:"How often a request that failed with a 5xx, 429 or a timeout is tried again, with exponential backoff from one second."`
}

// client is a registry client; progress goes to w when it is a terminal.
func (f registryFlags) client(w io.Writer) *registry.Client {
	o := registry.Options{Insecure: f.Insecure, Retries: f.Retries, UserAgent: "dataservice/" + version.Version}
	if f.Retries == 0 {
		o.Retries = -1
	}
	if file, ok := w.(*os.File); ok && term.IsTerminal(int(file.Fd())) {
		o.Progress = w
	}
	return registry.New(o)
}

// isFile says whether arg names a package file rather than a registry reference.
func isFile(arg string) bool {
	fi, err := os.Stat(arg)
	return err == nil && !fi.IsDir()
}

// packageImage opens a package file or pulls the image of a reference (for the platform when the
// reference is a multi-platform index).
func (f registryFlags) packageImage(ctx context.Context, arg string, p v1.Platform, errw io.Writer) (v1.Image, error) {
	if isFile(arg) {
		return pkgbuild.Read(arg)
	}
	img, err := f.client(errw).Image(ctx, arg, p)
	if err != nil {
		return nil, fmt.Errorf("%w (not a file either)", err)
	}
	return img, nil
}
