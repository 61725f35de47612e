package e2e

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// klutchBindNamespace is where `kubectl bind` keeps its APIServiceBindings and the control plane's
// kubeconfig on the app cluster.
const klutchBindNamespace = "klutch-bind"

// TestWebBind is the app developer's side of Klutch, on each Crossplane line, on the line's
// platform (our Function and Configuration installed from a loopback registry): the function
// composes Klutch's MongoDB and ServiceBinding DataServices and ACME's DocumentDatabase (MongoDB
// rebranded by examples/overlays/acme-documentdb.yaml, applied as the DataService the overlay
// makes); klutch-bind's example-backend serves app developers in OIDC mode, dex its identity
// provider, and its konnector serves an app cluster. Then, as an app developer does:
//
//  1. for each API, `kubectl bind <backend>/export` (klutch-bind's kubectl-bind, on a terminal)
//     prints a login URL; headless Chromium opens it and follows the real redirects (/authorize ->
//     dex -> /callback -> /resources), the API's card is found by the names the DataService gives
//     (the rebrand's too), a screenshot kept with the card outlined, and its Bind link clicked
//     (/bind -> the CLI's localhost callback); the CLI asks about each permission claim the
//     DataService declares, answered on the terminal, and creates the APIServiceBinding; the
//     konnector installs the CRD;
//  2. the app cluster's API server enforces the generated rules: an unknown plan, a downsize and
//     a service change are refused there with our messages, and so is a plan the rebrand removed;
//  3. claims created on the app cluster are composed on the control plane, and the provider's
//     status comes back to the app cluster;
//  4. a ServiceBinding's credentials Secret reaches the app cluster through the accepted
//     permission claims.
func TestWebBind(t *testing.T) {
	// Chromium first, so that make unit (-short) says how to get it when it is missing.
	testtools.Chromium(t)
	skipControlPlaneIfShort(t)
	kb := testtools.KlutchBindBinaries(t)
	testtools.Dex(t)
	forEachLine(t, func(t *testing.T, p *platform) { testWebBind(t, p, kb) })
}

// A webAPI is a DataService's API as an app developer meets it.
type webAPI struct {
	ds *v1alpha1.DataService
	// group, version, kind and resource are the API the function reported in the DataService's
	// status.api.
	group, version, kind, resource string
}

// name is the API's resource.group, the name of its CRD and of its APIServiceBinding.
func (a webAPI) name() string { return a.resource + "." + a.group }

func testWebBind(t *testing.T, p *platform, kb *testtools.KlutchBind) {
	ctx := context.Background()
	ph := newPhases(t)
	root := testtools.RepoRoot(t)
	cp, kc := p.cp, p.cp.Client
	installKlutchCRDs(t, cp)

	// Step 1: the DataServices composed by the function; ACME's is the one the overlay makes.
	examples := testtools.Examples(t, filepath.Join(root, "examples"))
	mongo := example(t, examples, "klutch/mongodb.yaml")
	binding := example(t, examples, "klutch/servicebinding.yaml")
	acme := example(t, examples, "overlays/acme-documentdb.yaml on klutch/mongodb.yaml")
	// Deleted when the test ends, and with them what they composed (and the claims of their APIs):
	// the line stays as the platform left it.
	defaults := compositionDefaults(t, filepath.Join(root, "apis", "composition.yaml"))
	var dss, composed []*unstructured.Unstructured
	for _, ds := range []*v1alpha1.DataService{mongo, binding, acme} {
		out, err := generator.Generate(ds, defaults)
		if err != nil {
			t.Fatalf("DataService %s: %v", ds.Name, err)
		}
		dss = append(dss, dataServiceObject(t, ds))
		composed = append(composed, out.Objects()...)
	}
	deleteAfter(t, cp, dss, composed)
	cp.Apply(t, dss...)
	var apis []webAPI
	for _, ds := range []*v1alpha1.DataService{mongo, binding, acme} {
		apis = append(apis, composedAPI(t, cp, ds))
	}
	ph.end("step 1: DataServices mongodb, servicebinding and documentdb (acme-documentdb overlay) Ready; XRDs Offered; export templates in " + testtools.CrossplaneNamespace)

	// Step 2: what serves app developers: dex, the backend, the app cluster with the konnector.
	for _, f := range kb.CRDFiles(t) {
		cp.WaitForCRDs(t, cp.ApplyFile(t, f)...)
	}
	backend := cp.StartWebBindBackend(t, kb)
	app := testtools.StartAppCluster(t)
	app.StartAppKonnector(t, kb, cp)
	browser := app.StartBrowser(t)
	ph.end("step 2: dex and klutch-bind's backend (OIDC) on the control plane, konnector on the app cluster, Chromium")

	// Step 3: bind each API as an app developer.
	for _, api := range apis {
		webBind(t, app, kb, backend, browser, api)
	}
	ph.end("step 3: kubectl bind + Chromium bound " + apiNames(apis) + " into the app cluster")

	// Step 4: the generated rules, enforced by the app cluster's API server.
	mongoAPI, bindingAPI, acmeAPI := apis[0], apis[1], apis[2]
	const appNS = "team-a"
	app.CreateSecret(t, appNS, "placeholder", nil) // creates the namespace
	claim := appClaim(mongoAPI, appNS, "orders-db", map[string]any{
		"service": "a9s-mongodb70", "plan": "mongodbsspl-single-small-ssl", "compositionRef": map[string]any{"name": "a9s-mongodb"},
	})
	ac := app.Client
	t.Run("AppClusterRefusesUnknownPlan", func(t *testing.T) {
		bad := claim.DeepCopy()
		bad.SetName("unknown-plan")
		setPlan(t, bad, newPlan)
		err := ac.Create(ctx, bad)
		if err == nil || !strings.Contains(err.Error(), `Unsupported value: "`+newPlan+`"`) {
			t.Fatalf("app cluster: creating a %s with plan %s: got %v, want Unsupported value", mongoAPI.kind, newPlan, err)
		}
		t.Logf("refused: %v", err)
	})
	if err := ac.Create(ctx, claim.DeepCopy()); err != nil {
		t.Fatalf("cannot create %s %s on the app cluster: %v", mongoAPI.kind, objectKey(claim), err)
	}
	t.Run("AppClusterRefusesDownsize", func(t *testing.T) {
		refusedUpdate(ctx, t, ac, claim, "spec.plan", "mongodbsspl-single-nano-ssl", "Transition from bigger to smaller plan size is not supported.")
	})
	t.Run("AppClusterRefusesServiceChange", func(t *testing.T) {
		refusedUpdate(ctx, t, ac, claim, "spec.service", "a9s-mongodb50", "Service is an immutable field")
	})
	acmeClaim := appClaim(acmeAPI, appNS, "billing-db", map[string]any{
		"service": "acme-documentdb70", "plan": "acme-docdb-single-small", "compositionRef": map[string]any{"name": "acme-documentdb"},
	})
	t.Run("AppClusterRefusesPlanTheRebrandRemoved", func(t *testing.T) {
		bad := acmeClaim.DeepCopy()
		bad.SetName("removed-plan")
		setPlan(t, bad, "acme-docdb-single-nano")
		err := ac.Create(ctx, bad)
		if err == nil || !strings.Contains(err.Error(), `Unsupported value: "acme-docdb-single-nano"`) {
			t.Fatalf("app cluster: creating a %s with the removed plan acme-docdb-single-nano: got %v, want Unsupported value", acmeAPI.kind, err)
		}
		t.Logf("refused: %v", err)
	})
	if err := ac.Create(ctx, acmeClaim.DeepCopy()); err != nil {
		t.Fatalf("cannot create %s %s on the app cluster: %v", acmeAPI.kind, objectKey(acmeClaim), err)
	}
	ph.end("step 4: the app cluster refused an unknown plan, a downsize, a service change and a plan the rebrand removed")

	// Step 5: the claims composed on the control plane, the provider's status back on the app cluster.
	for _, c := range []*unstructured.Unstructured{claim, acmeClaim} {
		cpClaim := waitOnControlPlane(t, cp, c.GroupVersionKind(), c.GetName())
		si := waitForServiceInstance(t, cp, cpClaim, field(c, "spec.plan"))
		setServiceInstanceState(ctx, t, kc, si, "succeeded")
		waitForManagedState(t, app, c, "succeeded")
		cp.Lap(t, "%s %s: %s on the control plane, ServiceInstance %s composed, its state back on the app cluster", c.GetKind(), objectKey(c), objectKey(cpClaim), si.GetName())
	}
	ph.end("step 5: " + mongoAPI.kind + " and " + acmeAPI.kind + " claims composed on the control plane; the provider's status back on the app cluster")

	// Step 6: a ServiceBinding and its credentials, through the permission claims accepted in step 3.
	sb := appClaim(bindingAPI, appNS, "orders-db-binding", map[string]any{
		"instanceRef": claim.GetName(), "serviceInstanceType": "mongodb", "compositionRef": map[string]any{"name": "a9s-servicebinding"},
	})
	if err := ac.Create(ctx, sb); err != nil {
		t.Fatalf("cannot create %s on the app cluster: %v", bindingAPI.kind, err)
	}
	cpSB := waitOnControlPlane(t, cp, sb.GroupVersionKind(), sb.GetName())
	creds := provideCredentials(t, cp, app, cpSB, appNS)
	ph.end("step 6: ServiceBinding on the control plane in " + cpSB.GetNamespace() + "; its Secret " + creds + " on the app cluster")
}

// webBind binds api into the app cluster as an app developer does: `kubectl bind`, the login in
// the browser, the API's card on /resources, its Bind link, the permission claims answered on the
// terminal. It returns once the konnector has installed the API's CRD.
func webBind(t *testing.T, app *testtools.ControlPlane, kb *testtools.KlutchBind, backend *testtools.WebBindBackend, browser *testtools.Browser, api webAPI) {
	t.Helper()
	s := app.KubectlBind(t, kb, backend.ExportURL())
	login := s.AuthorizeURL(t)
	page, loginHops := browser.Open(t, login)
	iss := backend.Issuer.URL
	wantHops(t, "login", loginHops, backend.URL+"/authorize?", iss+"/auth?", iss+"/callback?", backend.URL+"/callback?", backend.URL+"/resources?s=")
	if !strings.HasPrefix(page, backend.URL+"/resources?s=") {
		t.Fatalf("browser: the login landed on %s, want %s/resources", page, backend.URL)
	}

	// What the user reads: the card's heading is the kind, lower case, then the group; the Bind
	// link names the resource.
	cards := browser.Cards(t)
	var card *testtools.Card
	var seen []string
	for i, c := range cards {
		seen = append(seen, fmt.Sprintf("%q %q", c.Title, c.Lines))
		if c.Title == strings.ToLower(api.ds.Spec.Kind) && hasLine(c.Lines, "Group: "+api.ds.Spec.Group) {
			card = &cards[i]
		}
	}
	if card != nil {
		browser.Outline(t, *card)
	}
	shot := browser.Screenshot(t, "resources-"+api.name())
	if card == nil {
		t.Fatalf("/resources has no card %q with \"Group: %s\" (DataService %s); it shows %d: %s; screenshot %s", strings.ToLower(api.ds.Spec.Kind), api.ds.Spec.Group, api.ds.Name, len(cards), strings.Join(seen, ", "), shot)
	}
	if card.Link != "Bind" || !strings.Contains(card.LinkURL, "resource="+api.resource+"&group="+api.group) || !hasLine(card.Lines, "Scope: Namespaced") {
		t.Errorf("card %q: link %q to %s, lines %q; want Bind to resource=%s&group=%s, Scope: Namespaced", card.Title, card.Link, card.LinkURL, card.Lines, api.resource, api.group)
	}
	t.Logf("/resources lists %d APIs (%s); card %q of DataService %s found; screenshot %s", len(cards), strings.Join(seen, ", "), card.Title, api.ds.Name, shot)

	page, bindHops := browser.Click(t, *card)
	wantHops(t, "bind", bindHops, backend.URL+"/bind?", "http://localhost:")
	if text := browser.Text(t); !strings.Contains(text, "authenticated successfully") {
		t.Fatalf("browser: after Bind, %s shows %q; want the CLI's success page", page, text)
	}

	// The CLI asks about each permission claim the DataService declares, one after the other.
	var claims []string
	if api.ds.Spec.Export != nil {
		for i, pc := range api.ds.Spec.Export.PermissionClaims {
			gv := pc.Version
			if pc.Group != "" {
				gv = pc.Group + "/" + pc.Version
			}
			s.WaitForOutput(t, "Do you accept this Permission?", i+1)
			want := fmt.Sprintf("%s objects (apiVersion: %q)", pc.Resource, gv)
			if strings.Count(s.Output(), want) < 1 {
				t.Errorf("kubectl bind asked permission %d without naming %s; it printed:\n%s", i+1, want, s.Output())
			}
			s.Type(t, "y")
			claims = append(claims, pc.Resource)
		}
	}
	out := s.Wait(t)
	if !strings.Contains(out, "Created APIServiceBinding "+api.name()) {
		t.Errorf("kubectl bind did not say it created APIServiceBinding %s; it printed:\n%s", api.name(), out)
	}
	get(context.Background(), t, app.Client, apiServiceBindingGVK, client.ObjectKey{Namespace: klutchBindNamespace, Name: api.name()})
	app.WaitForConditions(t, crdGVK, client.ObjectKey{Name: api.name()}, "Established")
	app.Lap(t, "bound %s: browser %s, then %s; permission claims accepted: %v; CRD established on the app cluster; transcript %s",
		api.name(), paths(loginHops), paths(bindHops), claims, s.Log)
}

// refusedUpdate sets the field at path (dotted) of the object on the app cluster to value and
// fails the test unless the API server refuses the update with wantErr. Conflicts, with the
// konnector writing the object's status, are retried.
func refusedUpdate(ctx context.Context, t *testing.T, ac client.Client, obj *unstructured.Unstructured, path, value, wantErr string) {
	t.Helper()
	var old string
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		u := get(ctx, t, ac, obj.GroupVersionKind(), client.ObjectKeyFromObject(obj))
		old = field(u, path)
		_ = unstructured.SetNestedField(u.Object, value, strings.Split(path, ".")...)
		return ac.Update(ctx, u)
	})
	if err == nil || !strings.Contains(err.Error(), wantErr) {
		t.Fatalf("app cluster: %s of %s %s from %s to %s: got %v, want it refused: %s", path, obj.GetKind(), objectKey(obj), old, value, err, wantErr)
	}
	t.Logf("refused: %v", err)
}

// wantHops fails the test unless the browser requested documents starting with each prefix, in
// this order (with others between).
func wantHops(t *testing.T, what string, hops []string, prefixes ...string) {
	t.Helper()
	i := 0
	for _, h := range hops {
		if i < len(prefixes) && strings.HasPrefix(h, prefixes[i]) {
			i++
		}
	}
	if i < len(prefixes) {
		t.Fatalf("browser, %s: no request to %s… after the first %d of %q; it requested:\n  %s", what, prefixes[i], i, prefixes, strings.Join(hops, "\n  "))
	}
}

// paths is the chain of documents the browser requested, host and path only (the queries hold
// codes and tokens).
func paths(hops []string) string {
	out := make([]string, len(hops))
	for i, h := range hops {
		out[i] = h
		if u, err := url.Parse(h); err == nil {
			out[i] = u.Host + u.Path
		}
	}
	return strings.Join(out, " -> ")
}

func hasLine(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

func apiNames(apis []webAPI) string {
	names := make([]string, len(apis))
	for i, a := range apis {
		names[i] = a.name()
	}
	return strings.Join(names, ", ")
}

// example is the DataService of the bundled example of that name (testtools.Example.Name).
func example(t *testing.T, examples []testtools.Example, name string) *v1alpha1.DataService {
	t.Helper()
	var names []string
	for _, e := range examples {
		if e.Name == name {
			return e.DataService
		}
		names = append(names, e.Name)
	}
	t.Fatalf("no example %q among %q", name, names)
	return nil
}

// dataServiceObject is ds as an object to apply.
func dataServiceObject(t *testing.T, ds *v1alpha1.DataService) *unstructured.Unstructured {
	t.Helper()
	m, err := k8sruntime.DefaultUnstructuredConverter.ToUnstructured(ds)
	if err != nil {
		t.Fatalf("DataService %s: %v", ds.Name, err)
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetGroupVersionKind(dataServiceGVK)
	return u
}

// composedAPI waits until the function has composed ds (the DataService Ready, its XRD Offered,
// its export template there) and returns its API as the DataService's status reports it.
func composedAPI(t *testing.T, cp *testtools.ControlPlane, ds *v1alpha1.DataService) webAPI {
	t.Helper()
	key := client.ObjectKey{Name: ds.Name}
	cp.WaitForConditions(t, dataServiceGVK, key, "Synced", "Ready")
	u := get(context.Background(), t, cp.Client, dataServiceGVK, key)
	api := webAPI{ds: ds, group: field(u, "status.api.group"), version: field(u, "status.api.version"), kind: field(u, "status.api.kind"), resource: field(u, "status.api.resource")}
	if api.group != ds.Spec.Group || api.kind != ds.Spec.Kind {
		t.Fatalf("DataService %s reports API %s %s; its spec says %s %s", ds.Name, api.group, api.kind, ds.Spec.Group, ds.Spec.Kind)
	}
	cp.WaitForConditions(t, xrdGVK, client.ObjectKey{Name: field(u, "status.generated.xrd")}, "Established", "Offered")
	tmpl := strings.SplitN(field(u, "status.generated.exportTemplate"), "/", 2)
	if len(tmpl) != 2 {
		t.Fatalf("DataService %s reports no export template (status.generated.exportTemplate %q)", ds.Name, field(u, "status.generated.exportTemplate"))
	}
	// On Crossplane 1.x provider-kubernetes creates it from the Object the function composed.
	waitExists(t, cp, exportTemplateGVK, client.ObjectKey{Namespace: tmpl[0], Name: tmpl[1]})
	return api
}

// appClaim is a claim of api named name in namespace ns with spec.
func appClaim(api webAPI, ns, name string, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetAPIVersion(api.group + "/" + api.version)
	u.SetKind(api.kind)
	u.SetNamespace(ns)
	u.SetName(name)
	return u
}
