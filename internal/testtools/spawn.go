package testtools

import (
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// A rootView is the file system a component sees when it runs as in its image or pod: the
// machine's, with folders of the test's at the paths the component reads without a flag to change
// them (Crossplane v1's CRDs at /crds, a pod's service account at
// /var/run/secrets/kubernetes.io/serviceaccount). It is built in a mount namespace of the component's
// own, so nothing of it outlives the component and the machine's / is never written: a tmpfs at
// root (an empty folder of the run) gets a bind mount of every folder of / (recursive: the machine's
// files stay where they are, the run folder among them) and a link for every symbolic link, except
// that a top-level folder holding one of the mounts is a tmpfs of its own in the view (hiding the
// machine's: /run for a pod's service account) where the mount's folders are made; the component
// is chrooted into root.
type rootView struct {
	root string
	// mounts maps a path in the view to the folder of the test's bind-mounted there.
	mounts map[string]string
}

// enter builds the view on the calling thread, which must be locked to its goroutine and never
// unlocked, in a mount namespace it enters first.
func (v *rootView) enter() error {
	if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("unshare(CLONE_NEWNS): %w", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("cannot make / private: %w", err)
	}
	if err := unix.Mount("tmpfs", v.root, "tmpfs", 0, ""); err != nil {
		return fmt.Errorf("cannot mount a tmpfs at %s: %w", v.root, err)
	}
	// Mount paths as the machine resolves them (/var/run is /run), by top-level folder.
	mounts := map[string]string{}
	own := map[string]bool{}
	for p, src := range v.mounts {
		p = resolveExisting(p)
		mounts[p] = src
		own[strings.SplitN(strings.TrimPrefix(p, "/"), "/", 2)[0]] = true
	}
	entries, err := os.ReadDir("/")
	if err != nil {
		return err
	}
	for _, e := range entries {
		src, dst := "/"+e.Name(), filepath.Join(v.root, e.Name())
		switch {
		case e.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(src)
			if err != nil {
				return err
			}
			if err := os.Symlink(target, dst); err != nil {
				return err
			}
		case e.IsDir() && own[e.Name()]:
			if err := os.Mkdir(dst, 0o755); err != nil {
				return err
			}
			if err := unix.Mount("tmpfs", dst, "tmpfs", 0, ""); err != nil {
				return fmt.Errorf("cannot mount a tmpfs at %s: %w", dst, err)
			}
		case e.IsDir():
			if err := os.Mkdir(dst, 0o755); err != nil {
				return err
			}
			if err := unix.Mount(src, dst, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
				return fmt.Errorf("cannot bind-mount %s at %s: %w", src, dst, err)
			}
		}
	}
	for _, p := range slices.Sorted(maps.Keys(mounts)) {
		dst := filepath.Join(v.root, p)
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return err
		}
		if err := unix.Mount(mounts[p], dst, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("cannot bind-mount %s at %s: %w", mounts[p], dst, err)
		}
	}
	return nil
}

// resolveExisting resolves the symbolic links of the longest existing prefix of an absolute path
// (/var/run/secrets/x is /run/secrets/x where /var/run links to /run and /run/secrets does not exist).
func resolveExisting(p string) string {
	rest := ""
	for dir := filepath.Clean(p); ; dir = filepath.Dir(dir) {
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(r, rest)
		}
		if dir == "/" {
			return p
		}
		rest = filepath.Join(filepath.Base(dir), rest)
	}
}

// startIsolated starts cmd in a network namespace of the test's (n, nil: the test's own) and a view
// of the file system (v, nil: the machine's): on an OS thread of its own, locked to a goroutine that
// ends with the start (so the thread ends with it and no other goroutine ever runs there), which
// enters n and builds v; cmd is forked from that thread and inherits both.
func startIsolated(cmd *exec.Cmd, n *isolatedNet, v *rootView) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // Never unlocked: the thread ends with this goroutine.
		errc <- func() error {
			if n != nil {
				if err := n.enter(); err != nil {
					return err
				}
			}
			if v != nil {
				if err := v.enter(); err != nil {
					return err
				}
				cmd.SysProcAttr.Chroot = v.root
			}
			return cmd.Start()
		}()
	}()
	return <-errc
}
