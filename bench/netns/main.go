// Command netns runs a command in a network namespace of its own with only loopback up, what
// `unshare -n` followed by `ip link set lo up` does, so that make bench needs neither util-linux nor
// iproute2: every server a benchmark starts (including the metrics listeners the compared
// functions open on :8080) is reachable only there. It needs root (CAP_SYS_ADMIN).
//
//	netns -- bash bench/function.sh
package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"unsafe"

	"github.com/alecthomas/kong"
)

type cli struct {
	Cmd []string `arg:"" passthrough:"" help:"Command and its arguments."`
}

func main() {
	c := &cli{}
	ctx := kong.Parse(c, kong.Name("netns"), kong.Description("Run a command in a new network namespace with only loopback up (needs root)."))
	ctx.FatalIfErrorf(c.Run())
}

func (c *cli) Run() error {
	if len(c.Cmd) > 0 && c.Cmd[0] == "--" {
		c.Cmd = c.Cmd[1:]
	}
	if len(c.Cmd) == 0 {
		return fmt.Errorf("no command given")
	}
	path, err := exec.LookPath(c.Cmd[0])
	if err != nil {
		return err
	}
	// A namespace belongs to the thread that enters it; the command replaces the process from that
	// thread, and so runs in it.
	runtime.LockOSThread()
	if err := syscall.Unshare(syscall.CLONE_NEWNET); err != nil {
		return fmt.Errorf("cannot create a network namespace (run as root): %w", err)
	}
	if err := loopbackUp(); err != nil {
		return fmt.Errorf("cannot bring up lo in the new network namespace: %w", err)
	}
	return syscall.Exec(path, c.Cmd, os.Environ())
}

// ifreq is struct ifreq of <linux/if.h> as SIOCGIFFLAGS and SIOCSIFFLAGS read it: the interface
// name and, in the union that follows, its flags (the union is 24 bytes).
type ifreq struct {
	name  [syscall.IFNAMSIZ]byte
	flags uint16
	_     [22]byte
}

// loopbackUp sets IFF_UP on lo, as `ip link set lo up` does.
func loopbackUp() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(fd)
	var r ifreq
	copy(r.name[:], "lo")
	if err := ioctl(fd, syscall.SIOCGIFFLAGS, &r); err != nil {
		return err
	}
	r.flags |= syscall.IFF_UP
	return ioctl(fd, syscall.SIOCSIFFLAGS, &r)
}

func ioctl(fd int, req uintptr, r *ifreq) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, uintptr(unsafe.Pointer(r))); errno != 0 {
		return errno
	}
	return nil
}
