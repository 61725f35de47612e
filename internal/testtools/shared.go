package testtools

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

// A Shared holds what the tests of a package start once and share, such as a control plane per
// Crossplane line: started by the first test that needs it, it outlives that test and is stopped by
// Close, which TestMain calls once every test has run. A failure while starting fails the test that
// started it; the run folders are kept when any test that used a shared component failed.
type Shared struct {
	mu       sync.Mutex
	cleanups []func()
	failed   bool
	closing  bool
}

// TB returns t for starting what outlives it: its Cleanup registers with s (run by Close, last
// registered first), its TempDir lives until Close, Failed reports whether any user of s failed (see
// MarkFailed), and its logs go to t until Close, then to stdout. Fatal and Skip end t, as they would.
func (s *Shared) TB(t testing.TB) testing.TB { return &sharedTB{TB: t, s: s} }

// MarkFailed records that a test using what s holds failed: Close keeps the run folders.
func (s *Shared) MarkFailed() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failed = true
}

// Close runs every cleanup registered through TB, last first.
func (s *Shared) Close() {
	s.mu.Lock()
	s.closing = true
	cs := s.cleanups
	s.cleanups = nil
	s.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
}

func (s *Shared) add(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleanups = append(s.cleanups, f)
}

func (s *Shared) state() (failed, closing bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed, s.closing
}

// sharedTB is a test's TB whose cleanups, temporary folders and failure belong to a Shared.
type sharedTB struct {
	testing.TB
	s *Shared
}

func (b *sharedTB) Cleanup(f func()) { b.s.add(f) }

func (b *sharedTB) Failed() bool {
	failed, _ := b.s.state()
	return failed
}

func (b *sharedTB) TempDir() string {
	dir, err := os.MkdirTemp("", "dataservice-shared-")
	if err != nil {
		b.Fatalf("cannot create a temporary folder: %v", err)
	}
	b.s.add(func() { _ = os.RemoveAll(dir) })
	return dir
}

func (b *sharedTB) Logf(format string, args ...any) {
	if _, closing := b.s.state(); closing {
		fmt.Printf(format+"\n", args...)
		return
	}
	b.TB.Logf(format, args...)
}

func (b *sharedTB) Log(args ...any) {
	if _, closing := b.s.state(); closing {
		fmt.Println(args...)
		return
	}
	b.TB.Log(args...)
}
