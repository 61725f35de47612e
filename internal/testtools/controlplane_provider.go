package testtools

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ProviderKubernetes is the release of provider-kubernetes the tests run: what Klutch's deploy
// scripts install.
const ProviderKubernetes = "v0.18.0"

// providerTools are the providers the tests build from the Go module proxy.
var providerTools = map[string]tool{
	"provider-kubernetes": {module: "github.com/crossplane-contrib/provider-kubernetes", pkg: "./cmd/provider"},
}

var (
	providerGVK         = schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: "Provider"}
	providerRevisionGVK = schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: "ProviderRevision"}
	runtimeConfigGVK    = schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1beta1", Kind: "DeploymentRuntimeConfig"}
)

// webhookServicePort is the port Crossplane points the conversion webhooks of a provider's CRDs at,
// on the provider's Service (its servicePort, a constant of the package manager).
const webhookServicePort = 9443

// Provider returns a provider's binary of a version, building it on first use (provider-kubernetes:
// about 5 minutes cold on 2 cores).
func Provider(t testing.TB, name, version string) string {
	t.Helper()
	tl := knownTool(t, "provider", providerTools, name)
	return build(t, name, tl.module, version, tl.pkg)
}

// A ProviderServer is a provider running as a local process as Crossplane's Deployment runtime would
// run its pod: as its revision's ServiceAccount, holding only what Crossplane's RBAC manager binds to
// it (the ClusterRole its package asks for) and what the operator binds to it (examples/rbac.yaml),
// never system:masters; in-cluster, with the ServiceAccount's token and the API server's CA at
// /var/run/secrets/kubernetes.io/serviceaccount and $KUBERNETES_SERVICE_HOST and _PORT, so that
// it reaches the API server as a pod does and a ProviderConfig's InjectedIdentity is that
// ServiceAccount; its TLS server certificate at /tls/server.
type ProviderServer struct {
	// Name is the Provider's name; Revision its active ProviderRevision.
	Name, Revision string
	// ServiceAccount is the name of its ServiceAccount in CrossplaneNamespace.
	ServiceAccount string
}

// InstallProvider creates a pkg.crossplane.io/v1 Provider named name from the package source (an OCI
// reference Crossplane pulls), plays the Deployment runtime for its active revision (see
// ServeProviderRevision), starts bin as the provider and waits until the Provider is Installed and
// Healthy. obj, when not nil, is the Provider to create (e.g. with a runtimeConfigRef); its name and
// package are set.
func (cp *ControlPlane) InstallProvider(t testing.TB, name, source, bin string, obj *unstructured.Unstructured, args ...string) *ProviderServer {
	t.Helper()
	p := &unstructured.Unstructured{Object: map[string]any{}}
	if obj != nil {
		p = obj.DeepCopy()
	}
	p.SetGroupVersionKind(providerGVK)
	p.SetName(name)
	_ = unstructured.SetNestedField(p.Object, source, "spec", "package")
	if err := cp.Client.Create(context.Background(), p); err != nil {
		t.Fatalf("cannot create Provider %s: %v", name, err)
	}
	ps := cp.ServeProviderRevision(t, name, bin, args...)
	cp.WaitForConditions(t, providerGVK, client.ObjectKey{Name: name}, "Installed", "Healthy")
	cp.run.lap(t, "Provider %s installed and healthy", name)
	return ps
}

// ServeProviderRevision plays Crossplane's Deployment runtime for the active revision of the Provider
// named name, which the External runtime leaves to someone else, and runs bin as the provider:
//
//   - the revision's TLS server Secret (<name>-tls-server), a certificate for its Service signed by
//     Crossplane's root CA: Crossplane puts it into the conversion webhooks of the provider's CRDs
//     and the provider serves them with it;
//   - its ServiceAccount (named by the Provider's DeploymentRuntimeConfig, else after the revision)
//     and a Deployment record owned by the revision naming it (zero replicas: nothing here runs
//     pods), from which Crossplane's RBAC manager binds the provider's ClusterRole to it;
//   - its Service, of type ExternalName, so that the API server reaches the conversion webhook on a
//     loopback address of the test's, forwarded into the provider's network namespace;
//   - the provider process, in-cluster as in its pod (see ProviderServer), in a network namespace
//     of its own (it binds :8080 and :9443 on every interface, no flag changes them) and a mount
//     namespace of its own (see rootView).
//
// It waits for Crossplane to have created the revision (pulled the package) and for the RBAC manager
// to have bound the ServiceAccount, and marks the revision's runtime healthy.
func (cp *ControlPlane) ServeProviderRevision(t testing.TB, name, bin string, args ...string) *ProviderServer {
	t.Helper()
	ctx := context.Background()
	rev := cp.activeRevision(t, "ProviderRevisionList", "Provider", name)

	// The Deployment runtime's ServiceAccount: named by the runtime config, else after the revision.
	sa := rev.GetName()
	prov := &unstructured.Unstructured{}
	prov.SetGroupVersionKind(providerGVK)
	if err := cp.Client.Get(ctx, client.ObjectKey{Name: name}, prov); err != nil {
		t.Fatalf("cannot get Provider %s: %v", name, err)
	}
	if rc, _, _ := unstructured.NestedString(prov.Object, "spec", "runtimeConfigRef", "name"); rc != "" {
		drc := &unstructured.Unstructured{}
		drc.SetGroupVersionKind(runtimeConfigGVK)
		if err := cp.Client.Get(ctx, client.ObjectKey{Name: rc}, drc); err == nil {
			if n, _, _ := unstructured.NestedString(drc.Object, "spec", "serviceAccountTemplate", "metadata", "name"); n != "" {
				sa = n
			}
		}
	}
	owner := metav1.OwnerReference{
		APIVersion: providerRevisionGVK.GroupVersion().String(), Kind: providerRevisionGVK.Kind,
		Name: rev.GetName(), UID: rev.GetUID(), Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true),
	}

	// TLS: the provider's server certificate, for its Service's names, signed by Crossplane's root CA.
	dir := cp.run.mkdir(t, "tls", "provider-"+name)
	svcNames := []string{name, name + "." + CrossplaneNamespace, name + "." + CrossplaneNamespace + ".svc", name + "." + CrossplaneNamespace + ".svc.cluster.local"}
	cert := cp.signCert(t, name, dir, svcNames)
	key, err := os.ReadFile(filepath.Join(dir, "tls.key"))
	if err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(cp.CACert)
	if err != nil {
		t.Fatal(err)
	}
	secret := name + "-tls-server"
	cp.createOrKeep(t, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: CrossplaneNamespace, Name: secret},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{"tls.crt": cert, "tls.key": key, "ca.crt": ca},
	})
	// v2 establishes the revision's CRDs once its runtime says which Secret it serves with (1.x
	// reads the revision's spec and drops this field).
	cp.updateRevisionStatus(t, providerRevisionGVK, rev.GetName(), func(r *unstructured.Unstructured) {
		_ = unstructured.SetNestedField(r.Object, secret, "status", "tlsServerSecretName")
	})
	cp.createOrKeep(t, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Namespace: CrossplaneNamespace, Name: sa, OwnerReferences: []metav1.OwnerReference{owner},
	}})
	labels := map[string]string{"pkg.crossplane.io/revision": rev.GetName()}
	source, _, _ := unstructured.NestedString(rev.Object, "spec", "image")
	cp.createOrKeep(t, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: CrossplaneNamespace, Name: rev.GetName(), OwnerReferences: []metav1.OwnerReference{owner}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](0),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					ServiceAccountName: sa,
					Containers:         []corev1.Container{{Name: "package-runtime", Image: source}},
				},
			},
		},
	})

	// The provider, in a network namespace of its own: the API server forwarded in, its webhook
	// exposed on a loopback address of the test's that the Service names.
	n := newIsolatedNet(t, cp.run.owner, "provider-"+name)
	n.forwardIn(t, cp.apiAddr)
	webhook := listenLoopback(t, webhookServicePort)
	n.exposeOut(webhook, "127.0.0.1:"+strconv.Itoa(webhookServicePort))
	webhookHost, _, _ := net.SplitHostPort(webhook.Addr().String())
	cp.createOrKeep(t, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: CrossplaneNamespace, Name: name, OwnerReferences: []metav1.OwnerReference{owner}},
		Spec: corev1.ServiceSpec{
			Type:         corev1.ServiceTypeExternalName,
			ExternalName: webhookHost,
			Ports:        []corev1.ServicePort{{Name: "webhook", Port: webhookServicePort}},
		},
	})

	// The RBAC manager binds the revision's ClusterRole to the ServiceAccount of its Deployment.
	user, groups := serviceAccountUser(sa)
	cp.Eventually(t, "Crossplane's RBAC manager to bind the ClusterRole of "+rev.GetName()+" to "+user, installTimeout, func(ctx context.Context) (bool, string) {
		return cp.mayCheck(ctx, user, groups, "get", "", "secrets", CrossplaneNamespace)
	})
	// What the kubelet mounts into a pod running as the ServiceAccount.
	saDir := cp.run.mkdir(t, "provider-"+name, "serviceaccount")
	writeFile(t, filepath.Join(saDir, "token"), cp.serviceAccountToken(t, sa), 0o600)
	writeFile(t, filepath.Join(saDir, "ca.crt"), string(cp.apiServerCA(t)), 0o644)
	writeFile(t, filepath.Join(saDir, "namespace"), CrossplaneNamespace, 0o644)
	view := &rootView{root: cp.run.mkdir(t, "provider-"+name, "root"), mounts: map[string]string{
		"/var/run/secrets/kubernetes.io/serviceaccount": saDir,
		"/tls/server": dir,
	}}
	host, port, _ := net.SplitHostPort(cp.apiAddr)
	env := []string{
		"KUBECONFIG=", "KUBERNETES_SERVICE_HOST=" + host, "KUBERNETES_SERVICE_PORT=" + port,
		"TLS_SERVER_CERTS_DIR=/tls/server", "POD_NAMESPACE=" + CrossplaneNamespace,
	}
	p := cp.run.startView(t, n, view, "provider-"+name, env, bin, append([]string{"--debug"}, args...)...)
	ps := &ProviderServer{Name: name, Revision: rev.GetName(), ServiceAccount: sa}
	cp.run.owner.Cleanup(func() { p.stop(processGrace) })
	cp.run.waitFor(t, "provider "+name+" to serve metrics on :8080 in its network namespace", p, startTimeout, func() (bool, string) {
		return n.listening("127.0.0.1:8080")
	})
	cp.addExtra(p, nil)

	cp.updateRevisionStatus(t, providerRevisionGVK, rev.GetName(), func(r *unstructured.Unstructured) {
		setCondition(r, map[string]any{
			"type": "RuntimeHealthy", "status": "True", "reason": "HealthyPackageRevision",
			"message":            "served by a local process as " + user,
			"lastTransitionTime": time.Now().UTC().Format(time.RFC3339),
		})
	})
	cp.run.lap(t, "ProviderRevision %s served by a local process as %s", rev.GetName(), user)
	return ps
}

// updateRevisionStatus changes the status of a package revision as its runtime does: read, modify,
// write, again on conflict (Crossplane writes it too).
func (cp *ControlPlane) updateRevisionStatus(t testing.TB, gvk schema.GroupVersionKind, name string, modify func(*unstructured.Unstructured)) {
	t.Helper()
	ctx := context.Background()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		r := &unstructured.Unstructured{}
		r.SetGroupVersionKind(gvk)
		if err := cp.Client.Get(ctx, client.ObjectKey{Name: name}, r); err != nil {
			return err
		}
		modify(r)
		return cp.Client.Status().Update(ctx, r)
	})
	if err != nil {
		t.Fatalf("cannot update the status of %s %s: %v", gvk.Kind, name, err)
	}
}

// activeRevision waits until Crossplane has pulled the package of the named package of kind (Provider,
// Function) and created its active revision, and returns it.
func (cp *ControlPlane) activeRevision(t testing.TB, listKind, kind, name string) *unstructured.Unstructured {
	t.Helper()
	var rev *unstructured.Unstructured
	cp.Eventually(t, "Crossplane to pull the package of "+kind+" "+name+" and create its active revision", installTimeout, func(ctx context.Context) (bool, string) {
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: listKind})
		if err := cp.Client.List(ctx, l, client.MatchingLabels{"pkg.crossplane.io/package": name}); err != nil {
			return false, err.Error()
		}
		for i := range l.Items {
			if s, _, _ := unstructured.NestedString(l.Items[i].Object, "spec", "desiredState"); s == "Active" {
				rev = &l.Items[i]
				return true, ""
			}
		}
		pkg := &unstructured.Unstructured{}
		pkg.SetGroupVersionKind(schema.GroupVersionKind{Group: "pkg.crossplane.io", Version: "v1", Kind: kind})
		if err := cp.Client.Get(ctx, client.ObjectKey{Name: name}, pkg); err != nil {
			return false, err.Error()
		}
		_, msg := Condition(pkg, "Healthy")
		return false, fmt.Sprintf("%d revisions, none active; %s Healthy: %s", len(l.Items), kind, msg)
	})
	return rev
}

// serviceAccountToken asks the API server for a token of a ServiceAccount of CrossplaneNamespace
// (TokenRequest, valid for a day): what the kubelet mounts into a pod running as it.
func (cp *ControlPlane) serviceAccountToken(t testing.TB, name string) string {
	t.Helper()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: CrossplaneNamespace, Name: name}}
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](24 * 60 * 60)}}
	if err := cp.Client.SubResource("token").Create(context.Background(), sa, tr); err != nil {
		t.Fatalf("cannot request a token for ServiceAccount %s/%s: %v", CrossplaneNamespace, name, err)
	}
	return tr.Status.Token
}

// apiServerCA returns the CA bundle clients trust the API server with.
func (cp *ControlPlane) apiServerCA(t testing.TB) []byte {
	t.Helper()
	ca, err := os.ReadFile(cp.Config.CAFile)
	if err != nil {
		t.Fatalf("cannot read the API server's CA: %v", err)
	}
	return ca
}

// createOrKeep creates an object, keeping one that exists (a runtime played again after a restart).
func (cp *ControlPlane) createOrKeep(t testing.TB, o client.Object) {
	t.Helper()
	if err := cp.Client.Create(context.Background(), o); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("cannot create %T %s/%s: %v", o, o.GetNamespace(), o.GetName(), err)
	}
}

// listenLoopback listens on port of a random address of 127.0.0.0/8 that is free: the port a
// client insists on (a webhook's Service port) without taking 127.0.0.1's, which other tests and
// runs on the machine may need.
func listenLoopback(t testing.TB, port int) net.Listener {
	t.Helper()
	var err error
	for range 50 {
		ip := net.IPv4(127, byte(1+rand.IntN(254)), byte(rand.IntN(256)), byte(1+rand.IntN(254)))
		var l net.Listener
		if l, err = net.Listen("tcp", net.JoinHostPort(ip.String(), strconv.Itoa(port))); err == nil {
			return l
		}
	}
	t.Fatalf("cannot listen on port %d of a loopback address: %v", port, err)
	return nil
}
