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

	"github.com/alecthomas/kong"

	"github.com/function-dataservice/function-dataservice/internal/netns"
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
	if err := netns.LoopbackUp(); err != nil {
		return fmt.Errorf("cannot bring up lo in the new network namespace: %w", err)
	}
	return syscall.Exec(path, c.Cmd, os.Environ())
}
