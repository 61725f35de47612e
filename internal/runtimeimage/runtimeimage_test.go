package runtimeimage

import (
	"archive/tar"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
)

var (
	amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = v1.Platform{OS: "linux", Architecture: "arm64"}
)

func TestImageMinimal(t *testing.T) {
	program := []byte("#!program")
	img, err := Image(program, arm64, nil, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	want := v1.Config{
		Entrypoint:   []string{"/function"},
		User:         "65532:65532",
		ExposedPorts: map[string]struct{}{"9443/tcp": {}},
		Env:          []string{path},
		WorkingDir:   "/",
	}
	if diff := cmp.Diff(want, cf.Config); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if cf.OS != "linux" || cf.Architecture != "arm64" || !cf.Created.Time.Equal(time.Unix(0, 0)) {
		t.Errorf("platform %s/%s created %v, want linux/arm64 at the epoch", cf.OS, cf.Architecture, cf.Created)
	}
	files := filesOf(t, img)
	if diff := cmp.Diff(map[string]string{"function": "#!program"}, files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if len(cf.RootFS.DiffIDs) != 1 || len(cf.History) != 1 {
		t.Errorf("%d diff IDs and %d history entries, want 1 each", len(cf.RootFS.DiffIDs), len(cf.History))
	}
}

func TestImageShouldBeReproducible(t *testing.T) {
	digest := func() v1.Hash {
		img, err := Image([]byte("program"), amd64, nil, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if a, b := digest(), digest(); a != b {
		t.Errorf("two builds of the same program: %s and %s", a, b)
	}
}

func TestImageOnBase(t *testing.T) {
	base := baseImage(t, amd64, "0")
	img, err := Image([]byte("program"), amd64, base, time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	bl, _ := base.Layers()
	il, _ := img.Layers()
	if len(il) != len(bl)+1 {
		t.Errorf("%d layers, want the base's %d and the program's", len(il), len(bl))
	}
	cf, _ := img.ConfigFile()
	if cf.Config.User != NonRoot {
		t.Errorf("user %q, want %q instead of the base's root", cf.Config.User, NonRoot)
	}
	if !hasEnv(cf.Config.Env, "BASE=yes") {
		t.Errorf("env %v lost the base's BASE=yes", cf.Config.Env)
	}
	if got := cf.Created.Unix(); got != 1700000000 {
		t.Errorf("created %d, want SOURCE_DATE_EPOCH 1700000000", got)
	}

	if _, err := Image([]byte("program"), arm64, base, time.Time{}); err == nil || !strings.Contains(err.Error(), "base image is for linux/amd64, not linux/arm64") {
		t.Errorf("arm64 program on an amd64 base: got %v, want a platform error", err)
	}
}

// TestImageNeverRunsAsRoot: a base image whose user is root, by name or id, in its user or its
// group part, runs the program as nonroot (the base's "0:0" and "root:root" were kept); a base's
// own non-root user is kept.
func TestImageNeverRunsAsRoot(t *testing.T) {
	for user, want := range map[string]string{
		"": NonRoot, "0": NonRoot, "root": NonRoot, "0:0": NonRoot, "root:root": NonRoot, "00": NonRoot,
		"1000:0": NonRoot, "0:1000": NonRoot, "nobody:root": NonRoot, "root:nogroup": NonRoot,
		"1000": "1000", "1000:1000": "1000:1000", "nonroot:nonroot": "nonroot:nonroot", "65532": "65532",
	} {
		img, err := Image([]byte("program"), amd64, baseImage(t, amd64, user), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		cf, _ := img.ConfigFile()
		if cf.Config.User != want {
			t.Errorf("base user %q: image user %q, want %q", user, cf.Config.User, want)
		}
	}
}

func TestBaseFromLayout(t *testing.T) {
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]v1.Image{}
	for _, plat := range []v1.Platform{amd64, arm64} {
		img := baseImage(t, plat, "")
		if err := p.AppendImage(img, layout.WithPlatform(plat)); err != nil {
			t.Fatal(err)
		}
		want[plat.String()] = img
	}
	for _, plat := range []v1.Platform{amd64, arm64} {
		got, err := Base(dir, plat)
		if err != nil {
			t.Fatal(err)
		}
		gd, _ := got.Digest()
		wd, _ := want[plat.String()].Digest()
		if gd != wd {
			t.Errorf("%s: got image %s, want %s", plat, gd, wd)
		}
	}
	if _, err := Base(dir, v1.Platform{OS: "linux", Architecture: "s390x"}); err == nil || !strings.Contains(err.Error(), "no image for linux/s390x") {
		t.Errorf("missing platform: got %v", err)
	}
}

func TestParsePlatform(t *testing.T) {
	for in, want := range map[string]string{"linux/amd64": "amd64", "linux/arm/v7": "arm-v7", "darwin/arm64": "darwin-arm64"} {
		p, err := ParsePlatform(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got := Name(p); got != want {
			t.Errorf("Name(%s) = %s, want %s", in, got, want)
		}
	}
	if _, err := ParsePlatform("amd64"); err == nil {
		t.Error("amd64 alone parsed as a platform")
	}
}

func TestCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles with the go command")
	}
	dir := t.TempDir()
	gb := GoBuild{Main: "./testdata/hello", LDFlags: "-s -w", Env: os.Environ()}
	for _, p := range []v1.Platform{amd64, arm64} {
		out := filepath.Join(dir, Name(p))
		if err := gb.Compile(context.Background(), p, out); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		// ELF header: e_machine at offset 18 is 0x3e for x86-64 and 0xb7 for AArch64.
		machine := map[string]byte{"amd64": 0x3e, "arm64": 0xb7}[p.Architecture]
		if len(b) < 20 || string(b[1:4]) != "ELF" || b[18] != machine {
			t.Errorf("%s: not an ELF binary for %s", out, p.Architecture)
		}
	}
	err := GoBuild{Main: "./testdata/missing", Env: os.Environ()}.Compile(context.Background(), amd64, filepath.Join(dir, "x"))
	if err == nil || !strings.Contains(err.Error(), "cannot compile ./testdata/missing for linux/amd64") {
		t.Errorf("missing package: got %v", err)
	}
}

func baseImage(t *testing.T, p v1.Platform, user string) v1.Image {
	t.Helper()
	img, err := random.Image(128, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = p.OS, p.Architecture
	cf.Config.User = user
	cf.Config.Env = []string{"BASE=yes"}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func filesOf(t *testing.T, img v1.Image) map[string]string {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	files := map[string]string{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		files[h.Name] = string(b)
		if h.Mode != 0o755 {
			t.Errorf("%s has mode %o, want 755", h.Name, h.Mode)
		}
	}
}

func hasEnv(env []string, kv string) bool {
	for _, e := range env {
		if e == kv {
			return true
		}
	}
	return false
}
