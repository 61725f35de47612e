package testtools

import (
	"context"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Eventually polls check until it reports done, failing the test with check's last reason when
// timeout passes or when a component of the control plane has died.
func (cp *ControlPlane) Eventually(t testing.TB, what string, timeout time.Duration, check func(ctx context.Context) (bool, string)) {
	t.Helper()
	cp.run.waitFor(t, what, nil, timeout, func() (bool, string) {
		cp.checkAlive(t, what)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return check(ctx)
	})
}

// checkAlive fails the test when a component of the control plane has died.
func (cp *ControlPlane) checkAlive(t testing.TB, what string) {
	t.Helper()
	cp.mu.Lock()
	procs := append([]*process{cp.etcd, cp.apiServer, cp.crossplane, cp.rbacManager, cp.controllerManager}, cp.extra...)
	cp.mu.Unlock()
	for _, p := range procs {
		if p == nil {
			continue
		}
		if exited, err := p.exited(); exited {
			t.Fatalf("%s: %s has %v (%v); last %d lines of %s:\n%s", what, p.name, errExited, err, logTailLines, p.log, tail(p.log, logTailLines))
		}
	}
}

// addExtra watches a component started beside the control plane until untilEnd ends (nil: as long as
// the control plane), when it is stopped and no longer watched.
func (cp *ControlPlane) addExtra(p *process, untilEnd testing.TB) {
	cp.mu.Lock()
	cp.extra = append(cp.extra, p)
	cp.mu.Unlock()
	if untilEnd == nil {
		return
	}
	untilEnd.Cleanup(func() {
		cp.mu.Lock()
		for i, e := range cp.extra {
			if e == p {
				cp.extra = append(cp.extra[:i], cp.extra[i+1:]...)
				break
			}
		}
		cp.mu.Unlock()
	})
}

// Condition returns the status and message of a condition of an object's status.conditions.
func Condition(u *unstructured.Unstructured, typ string) (status, message string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok || m["type"] != typ {
			continue
		}
		s, _ := m["status"].(string)
		msg, _ := m["message"].(string)
		if r, _ := m["reason"].(string); r != "" {
			msg = r + ": " + msg
		}
		return s, msg
	}
	return "", "no " + typ + " condition"
}

// testWarnings logs the warnings the API server answers requests with (deprecations, unknown
// fields) to the test using the control plane, each once.
type testWarnings struct {
	t    testing.TB
	mu   sync.Mutex
	seen map[string]bool
}

// use logs warnings to t from now on; nil drops them (between tests of a shared control plane).
func (w *testWarnings) use(t testing.TB) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.t = t
}

func (w *testWarnings) HandleWarningHeader(code int, _, text string) {
	if code != 299 || text == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen[text] || w.t == nil {
		return
	}
	w.seen[text] = true
	w.t.Logf("kube-apiserver warning: %s", text)
}
