package testtools

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Names Crossplane core is initialised with: its namespace and the Secrets `crossplane core init`
// fills with its root CA and with the client certificate it presents to functions.
const (
	CrossplaneNamespace       = "crossplane-system"
	CrossplaneCASecret        = "crossplane-root-ca"
	CrossplaneTLSClientSecret = "crossplane-tls-client"
)

// How long each component gets to come up. Generous: a 2-core CI machine may be building or
// compiling something else at the same time. They bound a hang, they measure nothing.
const (
	startTimeout = 2 * time.Minute
	// kube-apiserver drains its watches for more than 30s on SIGTERM; nothing in a test needs that.
	apiServerGrace = 3 * time.Second
	processGrace   = 10 * time.Second
)

// A ControlPlane is a Kubernetes API server with Crossplane core, all on 127.0.0.1, started by a test
// and stopped with it (or shared by the tests of a package, see StartSharedControlPlane): etcd,
// kube-apiserver, kube-controller-manager (garbage collector, namespace controller, ClusterRole
// aggregation), Crossplane's RBAC manager, and Crossplane core of one release (v1.17, v1.20 or v2,
// see CrossplaneLines), as its chart's service account, with the External package runtime, so
// nothing runs a package's Deployment: functions and providers run as local processes (see
// StartFunction, InstallFunction, InstallProvider).
type ControlPlane struct {
	// Dir is the run folder: logs/ (one log per component), pki/, tls/, etcd data. It is kept when
	// the test fails (and its path printed) or when $DATASERVICE_E2E_KEEP is set.
	Dir string
	// LogDir holds one log per component.
	LogDir string
	// Kubeconfig is a kubeconfig for the API server's admin (system:masters).
	Kubeconfig string
	// CrossplaneKubeconfig is Crossplane core's: its service account, see CrossplaneServiceAccount.
	CrossplaneKubeconfig string
	// Config is the admin's REST config, Client a client with it.
	Config *rest.Config
	Client client.Client
	// CACert and CAKey are the PEM files of Crossplane's root CA, which signs function server
	// certificates.
	CACert, CAKey string
	// ClientCertsDir holds the client certificate Crossplane presents to functions (ca.crt, tls.crt,
	// tls.key).
	ClientCertsDir string
	// Crossplane is the release of Crossplane core it runs, e.g. v1.20.7.
	Crossplane string

	run                   *runDir
	core                  coreRelease
	etcdURL               string
	apiAddr               string // host:port of kube-apiserver
	etcd, apiServer       *process
	controllerManager     *process
	kcmLogOffset          int64
	crossplane            *process
	rbacManager           *process
	kcmBin, crossplaneBin string
	// kcmArgs are further flags of kube-controller-manager (enableServiceAccountTokens).
	kcmArgs []string
	// coreNet is Crossplane core's network namespace when it binds fixed ports (v1.17), else nil:
	// what core must reach is forwarded into it (see Reach).
	coreNet *isolatedNet
	// warnings logs the API server's warnings to the test using the control plane.
	warnings *testWarnings

	mu sync.Mutex
	// extra are components started beside it (klutch-bind's, providers): Eventually fails when one
	// dies.
	extra []*process
	// reached are the addresses forwarded into coreNet.
	reached map[string]bool
}

// StartControlPlane builds what is missing (cached under CacheDir) and starts etcd, kube-apiserver,
// kube-controller-manager, Crossplane core of the given release (see CrossplaneLines) as its chart's
// service account and Crossplane's RBAC manager, returning once Crossplane is ready. Call
// StartControllerManager again once the test's CRDs and XRDs exist: the garbage collector discovers
// new types only every 30s. Every component is stopped in t.Cleanup; when the test fails their
// logs' tails are printed and the run folder is kept.
func StartControlPlane(t testing.TB, crossplane string) *ControlPlane {
	t.Helper()
	return startControlPlane(t, t, crossplane)
}

// StartSharedControlPlane starts a control plane as StartControlPlane does, for t and the tests
// after it: it lives until s is closed. Each test that uses it calls Use first.
func StartSharedControlPlane(t testing.TB, s *Shared, crossplane string) *ControlPlane {
	t.Helper()
	return startControlPlane(t, s.TB(t), crossplane)
}

func startControlPlane(t, owner testing.TB, crossplane string) *ControlPlane {
	t.Helper()
	core := mustCoreRelease(t, crossplane)
	etcdBin := Etcd(t)
	kasBin := KubeAPIServer(t)
	kcmBin := KubeControllerManager(t)
	xpBin := CrossplaneCoreBinary(t, crossplane)
	xpCRDs := CrossplaneCRDs(t, crossplane)

	r := newRunDir(t, owner)
	cp := &ControlPlane{Dir: r.dir, LogDir: r.logs, Crossplane: crossplane, run: r, core: core, kcmBin: kcmBin, crossplaneBin: xpBin,
		warnings: &testWarnings{t: t, seen: map[string]bool{}}, reached: map[string]bool{}}
	if r.shared {
		cp.printLogsOnFailure(t)
	}
	r.lap(t, "binaries ready (Crossplane core %s); run folder %s", crossplane, r.dir)
	cp.startEtcd(t, etcdBin)
	cp.startAPIServer(t, kasBin)
	// Its clusterrole-aggregation controller makes Crossplane's chart role.
	cp.StartControllerManager(t)
	cp.grantCrossplaneChartRBAC(t, crossplane)
	cp.initCrossplane(t, xpCRDs)
	cp.startRBACManager(t)
	cp.startCrossplane(t)
	return cp
}

// Use makes a shared control plane t's: the API server's warnings are logged to t, a component that
// died before fails t at once, and when t fails the tails of every component's log are printed to
// it and the run folder is kept.
func (cp *ControlPlane) Use(t testing.TB) {
	t.Helper()
	cp.warnings.use(t)
	cp.checkAlive(t, "Crossplane "+cp.Crossplane+" control plane")
	cp.printLogsOnFailure(t)
}

// printLogsOnFailure prints the tails of the components' logs to t when t fails, and marks a shared
// run failed so that its folder is kept.
func (cp *ControlPlane) printLogsOnFailure(t testing.TB) {
	t.Cleanup(func() {
		cp.warnings.use(nil)
		if !t.Failed() {
			return
		}
		if s, ok := cp.run.owner.(*sharedTB); ok {
			s.s.MarkFailed()
		}
		cp.run.printLogs(t)
	})
}

func (cp *ControlPlane) startEtcd(t testing.TB, bin string) {
	t.Helper()
	ports := freePorts(t, 2)
	client := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peer := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	cp.etcd = cp.run.start(t, "etcd", processGrace, nil, bin,
		"--name=e2e", "--data-dir="+cp.run.path(t, "etcd", "data"),
		"--listen-client-urls="+client, "--advertise-client-urls="+client,
		"--listen-peer-urls="+peer, "--initial-advertise-peer-urls="+peer,
		"--initial-cluster=e2e="+peer, "--initial-cluster-state=new")
	cp.etcdURL = client
	cp.run.waitFor(t, "etcd to become healthy", cp.etcd, startTimeout, func() (bool, string) {
		return httpOK(http.DefaultClient, client+"/health")
	})
	cp.run.lap(t, "etcd ready on %s", client)
}

func (cp *ControlPlane) startAPIServer(t testing.TB, bin string) {
	t.Helper()
	port := freePorts(t, 1)[0]
	host := "https://127.0.0.1:" + strconv.Itoa(port)
	saKey, saPub := cp.run.path(t, "pki", "sa.key"), cp.run.path(t, "pki", "sa.pub")
	writeServiceAccountKeys(t, saKey, saPub)
	token := randomHex(t, 16)
	tokens := cp.run.path(t, "pki", "tokens.csv")
	xpToken := randomHex(t, 16)
	writeFile(t, tokens, token+",admin,admin,system:masters\n"+
		xpToken+","+crossplaneUser+","+crossplaneUser+",\""+strings.Join(crossplaneGroups, ",")+"\"\n", 0o600)
	certDir := cp.run.mkdir(t, "pki", "serving")

	cp.apiAddr = "127.0.0.1:" + strconv.Itoa(port)
	cp.apiServer = cp.run.start(t, "kube-apiserver", apiServerGrace, nil, bin,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port="+strconv.Itoa(port),
		"--cert-dir="+certDir, "--etcd-servers="+cp.etcdURL,
		"--token-auth-file="+tokens, "--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+saPub, "--service-account-signing-key-file="+saKey,
		"--service-cluster-ip-range=10.0.0.0/24", "--endpoint-reconciler-type=none",
		"--disable-admission-plugins=ServiceAccount", "--enable-priority-and-fairness=false")

	// kube-apiserver writes its self-signed serving certificate (followed by the CA that signed it)
	// before it serves; clients trust that bundle instead of skipping verification.
	caFile := filepath.Join(certDir, "apiserver.crt")
	cp.run.waitFor(t, "kube-apiserver to write its serving certificate", cp.apiServer, startTimeout, func() (bool, string) {
		if _, err := os.Stat(caFile); err != nil {
			return false, err.Error()
		}
		return true, ""
	})
	cp.Config = &rest.Config{
		Host:            host,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAFile: caFile},
		QPS:             100,
		Burst:           200,
		// Into the test log, instead of controller-runtime's logger, which nothing configures.
		WarningHandler: cp.warnings,
	}
	cp.Kubeconfig = cp.run.path(t, "kubeconfig")
	writeFile(t, cp.Kubeconfig, kubeconfig(host, caFile, token), 0o600)
	cp.CrossplaneKubeconfig = cp.run.path(t, "crossplane.kubeconfig")
	writeFile(t, cp.CrossplaneKubeconfig, kubeconfig(host, caFile, xpToken), 0o600)

	hc, err := rest.HTTPClientFor(cp.Config)
	if err != nil {
		t.Fatalf("cannot build an HTTP client for kube-apiserver: %v", err)
	}
	cp.run.waitFor(t, "kube-apiserver to become ready (/readyz)", cp.apiServer, startTimeout, func() (bool, string) {
		return httpOK(hc, host+"/readyz")
	})
	c, err := client.New(cp.Config, client.Options{})
	if err != nil {
		t.Fatalf("cannot create a client for kube-apiserver: %v", err)
	}
	cp.Client = c
	cp.run.lap(t, "kube-apiserver ready on %s", host)
}

// StartControllerManager starts kube-controller-manager with only the garbage collector, the
// namespace controller and ClusterRole aggregation, or restarts it so its garbage collector discovers
// types added since.
func (cp *ControlPlane) StartControllerManager(t testing.TB) {
	t.Helper()
	if cp.controllerManager != nil {
		cp.controllerManager.stop(processGrace)
	}
	// The log is appended to: a restart is up once its own lines say so.
	if fi, err := os.Stat(filepath.Join(cp.LogDir, "kube-controller-manager.log")); err == nil {
		cp.kcmLogOffset = fi.Size()
	}
	cp.controllerManager = cp.run.start(t, "kube-controller-manager", processGrace, nil, cp.kcmBin,
		append([]string{"--kubeconfig=" + cp.Kubeconfig, "--controllers=garbagecollector,namespace,clusterrole-aggregation",
			"--leader-elect=false", "--secure-port=0", "--use-service-account-credentials=false"}, cp.kcmArgs...)...)
	// Nothing to probe with --secure-port=0: it is up once it holds a connection to the API server.
	// Give it a moment to fail fast on bad flags.
	cp.run.waitFor(t, "kube-controller-manager to start its controllers", cp.controllerManager, startTimeout, func() (bool, string) {
		b, err := os.ReadFile(cp.controllerManager.log)
		if err != nil {
			return false, err.Error()
		}
		b = b[min(cp.kcmLogOffset, int64(len(b))):]
		if strings.Contains(string(b), "Started controller") || strings.Contains(string(b), "Starting controller") {
			return true, ""
		}
		return false, "no controller started yet"
	})
	cp.run.lap(t, "kube-controller-manager started (garbagecollector, namespace, clusterrole-aggregation)")
}

func (cp *ControlPlane) initCrossplane(t testing.TB, crds string) {
	t.Helper()
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: CrossplaneNamespace}}
	if err := cp.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("cannot create namespace %s: %v", CrossplaneNamespace, err)
	}
	env := append([]string{"KUBECONFIG=" + cp.CrossplaneKubeconfig, "POD_NAMESPACE=" + CrossplaneNamespace}, cp.core.initEnv(crds)...)
	var view *rootView
	if cp.core.crdsFromRoot() {
		// Crossplane v1's init reads its CRDs from /crds of its image, a path no flag changes.
		view = &rootView{root: cp.run.mkdir(t, "init-root"), mounts: map[string]string{"/crds": crds}}
	}
	// init creates its CRDs and then at once a Lock object, which fails ("no matches for kind Lock")
	// until discovery has caught up. It is idempotent, so run it again.
	const attempts = 10
	for i := 1; ; i++ {
		p := cp.run.startView(t, nil, view, "crossplane-init", env, cp.crossplaneBin, "core", "init")
		cp.run.owner.Cleanup(func() { p.stop(processGrace) })
		<-p.done
		if p.err == nil {
			break
		}
		if i == attempts {
			t.Fatalf("crossplane core init failed %d times (%v); last %d lines of %s:\n%s", attempts, p.err, logTailLines, p.log, tail(p.log, logTailLines))
		}
		time.Sleep(2 * time.Second)
	}
	cp.run.lap(t, "crossplane core init done")

	cp.ClientCertsDir = cp.run.mkdir(t, "tls", "client")
	client := cp.secret(t, CrossplaneTLSClientSecret)
	for _, k := range []string{"ca.crt", "tls.crt", "tls.key"} {
		writeFile(t, filepath.Join(cp.ClientCertsDir, k), string(client.Data[k]), 0o600)
	}
	ca := cp.secret(t, CrossplaneCASecret)
	cp.CACert, cp.CAKey = cp.run.path(t, "tls", "ca", "tls.crt"), cp.run.path(t, "tls", "ca", "tls.key")
	writeFile(t, cp.CACert, string(ca.Data["tls.crt"]), 0o600)
	writeFile(t, cp.CAKey, string(ca.Data["tls.key"]), 0o600)
}

func (cp *ControlPlane) startCrossplane(t testing.TB) {
	t.Helper()
	// Crossplane binds these on all interfaces (":PORT"); no flag takes a host. Free ports at least
	// keep parallel runs apart. v1.17 takes no port flags (metrics :8080, health :8081): it runs in a
	// network namespace of its own, where the API server is forwarded, and whatever else it must
	// reach (registries, functions) with Reach.
	ports := freePorts(t, 3)
	env := []string{
		"KUBECONFIG=" + cp.CrossplaneKubeconfig, "POD_NAMESPACE=" + CrossplaneNamespace,
		"TLS_CLIENT_CERTS_DIR=" + cp.ClientCertsDir,
	}
	args := cp.core.startArgs(cp.run.mkdir(t, "cache", "xpkg"), cp.run.mkdir(t, "cache", "xfn"), ports)
	ready := func() (bool, string) {
		return httpOK(http.DefaultClient, "http://127.0.0.1:"+strconv.Itoa(ports[1])+"/readyz")
	}
	if cp.core.fixedPorts() {
		cp.coreNet = newIsolatedNet(t, cp.run.owner, "crossplane")
		cp.coreNet.forwardIn(t, cp.apiAddr)
		ready = func() (bool, string) { return cp.coreNet.httpOK("http://127.0.0.1:8081/readyz") }
	}
	cp.crossplane = cp.run.startIn(t, cp.coreNet, "crossplane", env, cp.crossplaneBin, args...)
	p := cp.crossplane
	cp.run.owner.Cleanup(func() { p.stop(processGrace) })
	cp.run.waitFor(t, "crossplane to become ready", cp.crossplane, startTimeout, ready)
	cp.run.lap(t, "crossplane %s ready", cp.Crossplane)
}

// Reach makes addr (host:port on the test's loopback: a registry Crossplane pulls from, a function it
// calls) reachable to Crossplane core. Only v1.17 needs it, in a network namespace of its own; for
// other releases it does nothing.
func (cp *ControlPlane) Reach(t testing.TB, addr string) {
	t.Helper()
	if cp.coreNet == nil {
		return
	}
	cp.mu.Lock()
	done := cp.reached[addr]
	cp.reached[addr] = true
	cp.mu.Unlock()
	if !done {
		cp.coreNet.forwardIn(t, addr)
	}
}

// Lap logs a step of the test with the time since the control plane started to come up.
func (cp *ControlPlane) Lap(t testing.TB, format string, args ...any) {
	t.Helper()
	cp.run.lap(t, format, args...)
}

// ResidentMemory returns the resident memory of every running component, by log name.
func (cp *ControlPlane) ResidentMemory() map[string]int64 {
	m := map[string]int64{}
	cp.run.mu.Lock()
	defer cp.run.mu.Unlock()
	for _, p := range cp.run.procs {
		if rss := p.residentMemory(); rss > 0 {
			m[p.name] += rss
		}
	}
	return m
}

func (cp *ControlPlane) secret(t testing.TB, name string) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{}
	if err := cp.Client.Get(context.Background(), types.NamespacedName{Namespace: CrossplaneNamespace, Name: name}, s); err != nil {
		t.Fatalf("cannot get Secret %s/%s that crossplane core init should have made: %v", CrossplaneNamespace, name, err)
	}
	return s
}
