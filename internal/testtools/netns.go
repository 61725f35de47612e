package testtools

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/function-dataservice/function-dataservice/internal/netns"
)

// envInNetns marks the copy of a test binary RunInNetworkNamespace started inside the namespace.
const envInNetns = "DATASERVICE_E2E_NETNS"

// RunInNetworkNamespace runs the calling test in a fresh network namespace with only loopback up,
// for components that bind fixed ports on every interface (klutch-bind's konnector: ":8080", no
// flag), so that they can neither clash with the machine's nor reach anything but each other.
//
// Outside the namespace it runs this test binary again, inside a new one, with -test.run naming only
// the calling test; it streams that run's output into the test log, fails the test when it fails,
// and returns true: the caller returns. Inside, it brings loopback up and returns false: the caller
// goes on with the test. Build what the test needs before calling it: the namespace has no network,
// so nothing there can reach the Go module proxy. It needs root (CAP_SYS_ADMIN), as CI runs.
func RunInNetworkNamespace(t *testing.T) bool {
	t.Helper()
	if os.Getenv(envInNetns) == t.Name() {
		if err := netns.LoopbackUp(); err != nil {
			t.Fatalf("cannot bring loopback up in the network namespace: %v", err)
		}
		return false
	}
	if os.Geteuid() != 0 {
		t.Skipf("%s runs in a network namespace of its own, which needs root (CAP_SYS_ADMIN); run as root, as CI does", t.Name())
	}
	args := []string{"-test.run=^" + strings.ReplaceAll(t.Name(), "/", "$/^") + "$", "-test.v=true", "-test.count=1"}
	if d, ok := t.Deadline(); ok {
		// Leave the parent a minute to report a hang of the child.
		args = append(args, "-test.timeout="+(time.Until(d)-time.Minute).Round(time.Second).String())
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), envInNetns+"="+t.Name())
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("cannot run %s in a new network namespace: %v", t.Name(), err)
	}
	t.Logf("running %s again in a network namespace of its own (pid %d); its output follows", t.Name(), cmd.Process.Pid)
	s := bufio.NewScanner(out)
	s.Buffer(make([]byte, 64*1024), 4*1024*1024)
	skipped := false
	for s.Scan() {
		line := s.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "--- SKIP: "+t.Name()+" ") {
			skipped = true
		}
		fmt.Fprintln(os.Stdout, "    netns| "+line)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%s failed in its network namespace: %v (its output is above)", t.Name(), err)
	}
	if skipped {
		t.Skipf("%s skipped in its network namespace (the reason is above)", t.Name())
	}
	return true
}
