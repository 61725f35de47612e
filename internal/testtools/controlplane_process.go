package testtools

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvKeep names the environment variable that keeps the run folder (logs, certificates, etcd data)
// of an end-to-end test even when it passes.
const EnvKeep = "DATASERVICE_E2E_KEEP"

// logTailLines is how much of each component's log a failed test prints; the whole logs stay in
// the run folder.
const logTailLines = 30

// runDir is the folder of one end-to-end run: logs/ holds one log per component. It outlives a
// failed test so its logs can be read; a passed test removes it unless $DATASERVICE_E2E_KEEP is set.
type runDir struct {
	dir, logs string
	began     time.Time
	// owner is what the run lives as long as: the test that started it, or a Shared's TB. Components
	// started with start are stopped in its cleanup.
	owner testing.TB
	// shared runs print their logs to each failing test that used them (see ControlPlane.Use),
	// not when they end.
	shared bool

	mu    sync.Mutex
	procs []*process
}

// newRunDir creates the run folder of components that live as long as owner (t, or a Shared's TB
// for t); t is the test that starts them.
func newRunDir(t, owner testing.TB) *runDir {
	t.Helper()
	dir, err := os.MkdirTemp("", "dataservice-e2e-")
	if err != nil {
		t.Fatalf("cannot create the run folder: %v", err)
	}
	_, shared := owner.(*sharedTB)
	r := &runDir{dir: dir, logs: filepath.Join(dir, "logs"), began: time.Now(), owner: owner, shared: shared}
	if err := os.MkdirAll(r.logs, 0o755); err != nil {
		t.Fatalf("cannot create the log folder: %v", err)
	}
	// Registered first, so it runs after every component has been stopped.
	owner.Cleanup(func() {
		if owner.Failed() {
			if r.shared {
				owner.Logf("run folder kept (a test using it failed): %s", dir)
				return
			}
			r.printLogs(owner)
			return
		}
		if os.Getenv(EnvKeep) != "" {
			owner.Logf("run folder kept (%s is set): %s", EnvKeep, dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	return r
}

// path returns a path below the run folder, creating its parent folder.
func (r *runDir) path(t testing.TB, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{r.dir}, elem...)...)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatalf("cannot create %s: %v", filepath.Dir(p), err)
	}
	return p
}

// mkdir creates a folder below the run folder and returns its path.
func (r *runDir) mkdir(t testing.TB, elem ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{r.dir}, elem...)...)
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatalf("cannot create %s: %v", p, err)
	}
	return p
}

// lap logs a step with the time since the run started.
func (r *runDir) lap(t testing.TB, format string, args ...any) {
	t.Helper()
	t.Logf("[%6.1fs] %s", time.Since(r.began).Seconds(), fmt.Sprintf(format, args...))
}

func (r *runDir) printLogs(t testing.TB) {
	t.Helper()
	entries, err := os.ReadDir(r.logs)
	if err != nil {
		t.Logf("cannot read the log folder %s: %v", r.logs, err)
		return
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		t.Logf("--- last %d lines of %s ---\n%s", logTailLines, n, tail(filepath.Join(r.logs, n), logTailLines))
	}
	t.Logf("logs of every component are kept in %s", r.logs)
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close() //nolint:errcheck // Only read.
	var lines []string
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for s.Scan() {
		lines = append(lines, s.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// process is a component started by a test, its output in logs/NAME.log.
type process struct {
	name, log string
	cmd       *exec.Cmd
	done      chan struct{}
	err       error
}

// start starts a component in its own process group, living as long as the run: its stop (SIGTERM,
// then SIGKILL after grace) is registered with the run's owner.
func (r *runDir) start(t testing.TB, name string, grace time.Duration, env []string, bin string, args ...string) *process {
	t.Helper()
	p := r.startIn(t, nil, name, env, bin, args...)
	r.owner.Cleanup(func() { p.stop(grace) })
	return p
}

// startFor starts a component that lives as long as the test t, not the run: it is stopped when t
// ends.
func (r *runDir) startFor(t testing.TB, n *isolatedNet, name string, grace time.Duration, env []string, bin string, args ...string) *process {
	t.Helper()
	p := r.startIn(t, n, name, env, bin, args...)
	t.Cleanup(func() { p.stop(grace) })
	return p
}

// startIn starts a component in its own process group, inside the network namespace n (nil: the
// test's), its output appended to logs/NAME.log. The caller registers its stop.
func (r *runDir) startIn(t testing.TB, n *isolatedNet, name string, env []string, bin string, args ...string) *process {
	t.Helper()
	return r.startView(t, n, nil, name, env, bin, args...)
}

// startView starts a component as startIn does, in the view v of the file system (nil: the
// machine's; see rootView).
func (r *runDir) startView(t testing.TB, n *isolatedNet, v *rootView, name string, env []string, bin string, args ...string) *process {
	t.Helper()
	logPath := filepath.Join(r.logs, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatalf("cannot create the log of %s: %v", name, err)
	}
	fmt.Fprintf(f, "# %s %s\n", bin, strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Dir = r.dir
	cmd.Stdout, cmd.Stderr = f, f
	// Later entries win, so these override what the test process inherited (KUBECONFIG, ...).
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := cmd.Start
	if n != nil || v != nil {
		start = func() error { return startIsolated(cmd, n, v) }
	}
	if err := start(); err != nil {
		_ = f.Close()
		t.Fatalf("cannot start %s (%s): %v", name, bin, err)
	}
	p := &process{name: name, log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = f.Close()
		close(p.done)
	}()
	r.mu.Lock()
	r.procs = append(r.procs, p)
	r.mu.Unlock()
	return p
}

// exited reports whether the process has ended, with how.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// stop ends the process group: SIGTERM, then SIGKILL once grace has passed.
func (p *process) stop(grace time.Duration) {
	if ok, _ := p.exited(); ok {
		return
	}
	pgid := p.cmd.Process.Pid // Setpgid: the group id is the process id.
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
}

// residentMemory is the process' resident set size in bytes, 0 when it is not running.
func (p *process) residentMemory() int64 {
	if ok, _ := p.exited(); ok {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// errExited is returned by a wait when the component it waits for has ended.
var errExited = errors.New("exited")

// waitFor polls check every interval until it reports done, the process p (if any) exits, or
// timeout passes. Failures name what was awaited, the last reason check gave and p's log.
func (r *runDir) waitFor(t testing.TB, what string, p *process, timeout time.Duration, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		ok, why := check()
		if ok {
			return
		}
		if why != "" {
			last = why
		}
		if p != nil {
			if exited, err := p.exited(); exited {
				t.Fatalf("%s: %s %v (%v); last %d lines of %s:\n%s", what, p.name, errExited, err, logTailLines, p.log, tail(p.log, logTailLines))
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not done after %s; last: %s", what, timeout, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// freePorts returns n distinct free TCP ports on 127.0.0.1. The listeners are held until all ports
// are chosen so the same port is not handed out twice.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("cannot find a free port on 127.0.0.1: %v", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports
}

// listening reports whether something accepts TCP connections on addr.
func listening(addr string) (bool, string) {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false, err.Error()
	}
	_ = c.Close()
	return true, ""
}
