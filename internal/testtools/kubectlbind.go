package testtools

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A BindSession is one `kubectl bind URL` as an app developer runs it: klutch-bind's kubectl-bind
// plugin (the program kubectl runs for `kubectl bind`) with the app cluster's KUBECONFIG, on a
// terminal of its own. It prints the URL to open in a browser, waits for the backend's answer on
// its localhost callback, asks on the terminal whether to accept each permission claim of the
// chosen API, creates the APIServiceBinding and exits. Everything it prints is kept in
// logs/kubectl-bind-N.log of the cluster's run folder.
type BindSession struct {
	// Log is the file the session's transcript is written to.
	Log string

	cmd  *exec.Cmd
	in   io.Writer
	done chan struct{}
	err  error

	mu  sync.Mutex
	out bytes.Buffer // what the terminal showed, escape sequences removed
}

// bindSessionTimeout bounds each wait of a BindSession: the backend's /bind alone waits up to 10 s for a
// service account token.
const bindSessionTimeout = 2 * time.Minute

// csi matches the terminal escape sequences (colours) the CLI prints on a terminal.
var csi = regexp.MustCompile("\x1b\\[[0-9;?]*[A-Za-z]")

// KubectlBind starts `kubectl bind exportURL --skip-konnector` against the app cluster app: the
// konnector runs as a process of the test (StartAppKonnector), there is no kubelet to run the
// Deployment the CLI would create. The CLI's stdin, stdout and stderr are a pseudo-terminal, as in
// a user's shell; where none can be opened, pipes (the CLI reads its answers line by line either
// way). It is stopped with the test if it has not exited.
func (app *ControlPlane) KubectlBind(t testing.TB, kb *KlutchBind, exportURL string) *BindSession {
	t.Helper()
	s := &BindSession{done: make(chan struct{})}
	var logFile *os.File
	for n := 1; logFile == nil; n++ {
		s.Log = filepath.Join(app.LogDir, fmt.Sprintf("kubectl-bind-%d.log", n))
		f, err := os.OpenFile(s.Log, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil && !errors.Is(err, os.ErrExist) {
			t.Fatal(err)
		}
		logFile = f
	}
	args := []string{exportURL, "--skip-konnector"}
	fmt.Fprintf(logFile, "$ kubectl bind %s\n", strings.Join(args, " "))
	s.cmd = exec.Command(kb.KubectlBind, args...)
	s.cmd.Dir = app.Dir
	s.cmd.Env = append(os.Environ(), "KUBECONFIG="+app.Kubeconfig, "TERM=xterm")
	var output io.ReadCloser
	controller, term, err := openTerminal()
	if err == nil {
		s.cmd.Stdin, s.cmd.Stdout, s.cmd.Stderr = term, term, term
		// Its own session with the terminal as controlling terminal, as a shell starts a command.
		s.cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
		s.in, output = controller, controller
	} else {
		t.Logf("no pseudo-terminal (%v): kubectl bind reads its answers from a pipe", err)
		in, inErr := s.cmd.StdinPipe()
		r, w, pipeErr := os.Pipe()
		if inErr != nil || pipeErr != nil {
			t.Fatalf("cannot make pipes for kubectl bind: %v %v", inErr, pipeErr)
		}
		s.cmd.Stdout, s.cmd.Stderr = w, w
		s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		s.in, output, term = in, r, w
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("cannot start kubectl bind (%s): %v", kb.KubectlBind, err)
	}
	// The command holds the terminal now; the controller end reads EOF (EIO) once it has exited.
	_ = term.Close()
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		buf := make([]byte, 4096)
		for {
			n, err := output.Read(buf)
			if n > 0 {
				text := csi.ReplaceAllString(strings.ReplaceAll(string(buf[:n]), "\r\n", "\n"), "")
				s.mu.Lock()
				s.out.WriteString(text)
				s.mu.Unlock()
				_, _ = logFile.WriteString(text)
			}
			if err != nil {
				return
			}
		}
	}()
	go func() {
		s.err = s.cmd.Wait()
		<-copied
		_ = output.Close()
		_ = logFile.Close()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
	})
	return s
}

// Output is what the session has printed so far, as the user read it.
func (s *BindSession) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// WaitForOutput waits until the session has printed want n times, failing the test with the
// transcript when it exits first or does not within the timeout.
func (s *BindSession) WaitForOutput(t testing.TB, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(bindSessionTimeout)
	for strings.Count(s.Output(), want) < n {
		select {
		case <-s.done:
			if strings.Count(s.Output(), want) >= n {
				return
			}
			t.Fatalf("kubectl bind exited (%v) before printing %q %d times; it printed:\n%s", s.err, want, n, s.Output())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("kubectl bind has not printed %q %d times after %s; it printed:\n%s", want, n, bindSessionTimeout, s.Output())
		}
	}
}

// authorizeURL is what the CLI prints for the browser: "To authenticate, visit in your browser:"
// and the URL on a line of its own.
var authorizeURL = regexp.MustCompile(`visit in your browser:\s+(\S+)\n`)

// AuthorizeURL waits for the URL the CLI asks the user to open in a browser and returns it.
func (s *BindSession) AuthorizeURL(t testing.TB) string {
	t.Helper()
	s.WaitForOutput(t, "visit in your browser:", 1)
	deadline := time.Now().Add(bindSessionTimeout)
	for {
		if m := authorizeURL.FindStringSubmatch(s.Output()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("kubectl bind printed no authorize URL; it printed:\n%s", s.Output())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Type types a line into the session's terminal, as a user answering a prompt.
func (s *BindSession) Type(t testing.TB, line string) {
	t.Helper()
	if _, err := io.WriteString(s.in, line+"\n"); err != nil {
		t.Fatalf("cannot type %q into kubectl bind: %v", line, err)
	}
}

// Wait waits for the CLI to exit 0 and returns what it printed.
func (s *BindSession) Wait(t testing.TB) string {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(bindSessionTimeout):
		t.Fatalf("kubectl bind has not exited after %s; it printed:\n%s", bindSessionTimeout, s.Output())
	}
	if s.err != nil {
		t.Fatalf("kubectl bind failed (%v); it printed:\n%s", s.err, s.Output())
	}
	return s.Output()
}
