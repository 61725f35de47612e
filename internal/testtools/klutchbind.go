package testtools

import (
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// KlutchBindCommit is the klutch-bind commit the end-to-end tests run (../shared/third_party/README.md).
const KlutchBindCommit = "0b4539e812e01710b8fd0ef20db347d230b1dbbb"

// EnvKlutchBindSrc names the environment variable pointing at klutch-bind's source (the bind/ folder
// of anynines/klutchio), which the Go module proxy does not serve.
const EnvKlutchBindSrc = "KLUTCH_BIND_SRC"

// KlutchBind is klutch-bind built from its source: the backend, the konnector and kubectl-bind (the
// `kubectl bind` plugin), and the source's folder, whose deploy/crd and contrib/deploy/crd hold the
// CRDs the backend needs.
type KlutchBind struct {
	Src, Backend, Konnector, KubectlBind string
}

// KlutchBindSource returns klutch-bind's source folder, $KLUTCH_BIND_SRC or
// ../shared/third_party/klutch-bind beside the module root, skipping the test when it is missing.
func KlutchBindSource(t testing.TB) string {
	t.Helper()
	src := os.Getenv(EnvKlutchBindSrc)
	if src == "" {
		src = filepath.Join(RepoRoot(t), "..", "shared", "third_party", "klutch-bind")
	}
	src = filepath.Clean(src)
	if _, err := os.Stat(filepath.Join(src, "go.mod")); err != nil {
		t.Skipf("klutch-bind source not found at %s (set %s to the bind/ folder of anynines/klutchio at %s)", src, EnvKlutchBindSrc, KlutchBindCommit)
	}
	return src
}

// KlutchBindBinaries returns klutch-bind's example-backend, konnector and kubectl-bind, building them
// on first use with test/tools/klutchbind.sh (about 6 minutes cold on 2 cores), cached by commit.
func KlutchBindBinaries(t testing.TB) *KlutchBind {
	t.Helper()
	src := KlutchBindSource(t)
	kb := &KlutchBind{Src: src}
	bin := filepath.Join(CacheDir(), "bin")
	kb.Backend = filepath.Join(bin, "klutch-bind-example-backend-"+KlutchBindCommit)
	kb.Konnector = filepath.Join(bin, "klutch-bind-konnector-"+KlutchBindCommit)
	kb.KubectlBind = filepath.Join(bin, "klutch-bind-kubectl-bind-"+KlutchBindCommit)
	if isExecutable(kb.Backend) && isExecutable(kb.Konnector) && isExecutable(kb.KubectlBind) {
		return kb
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	cmd := exec.Command("bash", filepath.Join(RepoRoot(t), "test", "tools", "klutchbind.sh"), src)
	cmd.Env = append(os.Environ(), "KLUTCH_BIND_COMMIT="+KlutchBindCommit, "DATASERVICE_CACHE="+CacheDir())
	cmd.Stderr = os.Stderr
	if out, err := cmd.Output(); err != nil {
		t.Fatalf("cannot build klutch-bind from %s: %v\n%s", src, err, out)
	}
	return kb
}

// CRDFiles lists the CRDs klutch-bind's backend needs on the control plane and does not install
// itself: deploy/crd (bindings, exports, requests, namespaces, AppClusterBindings) and
// contrib/deploy/crd (APIServiceExportTemplates).
func (kb *KlutchBind) CRDFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, d := range []string{"deploy/crd", "contrib/deploy/crd"} {
		m, err := filepath.Glob(filepath.Join(kb.Src, d, "*.yaml"))
		if err != nil || len(m) == 0 {
			t.Fatalf("no CRDs in %s: %v", filepath.Join(kb.Src, d), err)
		}
		files = append(files, m...)
	}
	return files
}

// StartAppCluster starts a second API server, an app cluster as Klutch's consumers run: etcd,
// kube-apiserver and kube-controller-manager (garbage collector, namespace controller), no
// Crossplane. Its run folder, logs and laps are its own.
func StartAppCluster(t testing.TB) *ControlPlane {
	t.Helper()
	etcdBin := Etcd(t)
	kasBin := KubeAPIServer(t)
	kcmBin := KubeControllerManager(t)
	r := newRunDir(t, t)
	app := &ControlPlane{Dir: r.dir, LogDir: r.logs, run: r, kcmBin: kcmBin, warnings: &testWarnings{t: t, seen: map[string]bool{}}}
	r.lap(t, "app cluster: run folder %s", r.dir)
	app.startEtcd(t, etcdBin)
	app.startAPIServer(t, kasBin)
	app.StartControllerManager(t)
	return app
}

// SelfContainedKubeconfig is the admin kubeconfig with the API server's CA inlined: what goes into a
// Secret for another component, which cannot rely on a file of the run folder.
func (cp *ControlPlane) SelfContainedKubeconfig(t testing.TB) []byte {
	t.Helper()
	ca, err := os.ReadFile(cp.Config.CAFile)
	if err != nil {
		t.Fatalf("cannot read the API server's CA: %v", err)
	}
	return []byte(kubeconfigOf(cp.Config.Host, "certificate-authority-data", base64.StdEncoding.EncodeToString(ca), cp.Config.BearerToken))
}

// StartKlutchBackend starts klutch-bind's example-backend in --control-plane-mode against cp (no
// OIDC provider), its HTTP server on a free port of 127.0.0.1. It runs until t ends.
func (cp *ControlPlane) StartKlutchBackend(t testing.TB, kb *KlutchBind) {
	t.Helper()
	addr := "127.0.0.1:" + strconv.Itoa(freePorts(t, 1)[0])
	p := cp.run.startFor(t, nil, "klutch-bind-backend", processGrace, nil, kb.Backend,
		"--kubeconfig="+cp.Kubeconfig, "--control-plane-mode", "--listen-address="+addr, "-v=4")
	cp.run.waitFor(t, "klutch-bind backend to listen on "+addr, p, startTimeout, func() (bool, string) {
		return listening(addr)
	})
	cp.addExtra(p, t)
	cp.run.lap(t, "klutch-bind backend serving on %s (control-plane mode)", addr)
}

// StartKonnector starts klutch-bind's konnector in --control-plane-mode against cp for app, the app
// cluster whose kubeconfig the backend mirrored into rootNamespace (the binding root namespace of an
// AppClusterBinding): it reads that Secret once, at start. Its health server binds ":8080" on every
// interface, hard-coded: it runs in a network namespace of its own, with both API servers forwarded
// into it. It runs until t ends.
func (cp *ControlPlane) StartKonnector(t testing.TB, kb *KlutchBind, app *ControlPlane, rootNamespace, secretName, secretKey string) {
	t.Helper()
	n := newIsolatedNet(t, t, "klutch-bind-konnector")
	n.forwardIn(t, cp.apiAddr)
	n.forwardIn(t, app.apiAddr)
	p := cp.run.startFor(t, n, "klutch-bind-konnector", processGrace, nil, kb.Konnector,
		"--kubeconfig="+cp.Kubeconfig, "--control-plane-mode",
		"--app-cluster-kubeconfig-secret-name="+secretName,
		"--app-cluster-kubeconfig-secret-namespace="+rootNamespace,
		"--app-cluster-kubeconfig-secret-key="+secretKey,
		"--binding-root-namespace="+rootNamespace, "--lease-namespace="+rootNamespace, "-v=4")
	cp.run.waitFor(t, "klutch-bind konnector to serve its health check on :8080 in its network namespace", p, startTimeout, func() (bool, string) {
		return n.listening("127.0.0.1:8080")
	})
	cp.addExtra(p, t)
	cp.run.lap(t, "klutch-bind konnector started for binding root namespace %s", rootNamespace)
}

// CreateSecret creates a Secret (and its namespace), or replaces its data.
func (cp *ControlPlane) CreateSecret(t testing.TB, namespace, name string, data map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if err := cp.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("cannot create namespace %s: %v", namespace, err)
	}
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Data: data}
	err := cp.Client.Create(ctx, s)
	if apierrors.IsAlreadyExists(err) {
		err = cp.Client.Update(ctx, s)
	}
	if err != nil {
		t.Fatalf("cannot write Secret %s/%s: %v", namespace, name, err)
	}
}

// LogContains reports whether the log of a component (logs/NAME.log) contains s.
func (cp *ControlPlane) LogContains(name, s string) bool {
	b, err := os.ReadFile(filepath.Join(cp.LogDir, name+".log"))
	return err == nil && strings.Contains(string(b), s)
}
