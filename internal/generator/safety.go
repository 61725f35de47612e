package generator

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
)

// What the generated APIs let Crossplane do. Crossplane composes with its own service account, to
// which the package's ClusterRole (internal/pkgmeta) adds every kind the Compositions compose: the grant is
// what composing needs and no more, the kinds are fixed by the spec (a claim cannot choose them),
// and a kind through which its holder can widen its own access is composed only when the spec
// opts in by name (spec.allowPrivilegeEscalation).

// ComposeVerbs are the verbs Crossplane needs on a kind it composes: what its own Helm chart
// grants it on the kinds it manages itself (Secrets, Deployments, webhook configurations;
// cluster/charts/crossplane/templates/clusterrole.yaml of v2.2.1). Never "*", which holds
// escalate, bind and impersonate on RBAC kinds, and deletecollection.
var ComposeVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete"}

// Grant is a kind the Compositions compose, which Crossplane's service account must be allowed to
// manage with Verbs.
type Grant struct {
	Group    string
	Resource string
	Verbs    []string
}

// String is the grant's resource as RBAC and kubectl name it: resource.group, or resource alone in
// the core group.
func (g Grant) String() string { return groupResource(g.Group, g.Resource) }

func groupResource(group, resource string) string {
	return schema.GroupResource{Group: group, Resource: resource}.String()
}

// privilege says why holding a kind lets its holder widen its own access. cluster is set for
// kinds whose objects act on the whole cluster (and for the groups of Crossplane, klutch-bind and
// kube-bind, which act on what they install or export): a permission claim on them is refused
// outright (claims.go), since it would let one cluster manage them in the other.
type privilege struct {
	why     string
	cluster bool
}

// anyResource keys a whole API group in privilegeBearing.
const anyResource = "*"

// privilegeBearing are the kinds through which their holder can grant itself more, by group and
// resource (anyResource for a whole group); see Kubernetes' "RBAC good practices" (privilege
// escalation risks). Left out, deliberately: ConfigMaps (every data service composes them; the
// one that grants rights, EKS's aws-auth, is a cloud's convention, not Kubernetes'), Services and
// NetworkPolicies (they route and filter traffic, they grant no API access), Namespaces, and
// provider-kubernetes Objects themselves, whose manifest's kind is judged instead.
var privilegeBearing = map[schema.GroupResource]privilege{
	{Group: "rbac.authorization.k8s.io", Resource: "roles"}:               {why: "a Role grants permissions in its namespace"},
	{Group: "rbac.authorization.k8s.io", Resource: "rolebindings"}:        {why: "a RoleBinding gives any subject a role's permissions"},
	{Group: "rbac.authorization.k8s.io", Resource: "clusterroles"}:        {why: "a ClusterRole grants permissions cluster-wide", cluster: true},
	{Group: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"}: {why: "a ClusterRoleBinding gives any subject a cluster role's permissions", cluster: true},

	{Group: "admissionregistration.k8s.io", Resource: "mutatingwebhookconfigurations"}:     {why: "a webhook receives, and may change, every request it matches, Secrets included", cluster: true},
	{Group: "admissionregistration.k8s.io", Resource: "validatingwebhookconfigurations"}:   {why: "a webhook receives every request it matches, Secrets included", cluster: true},
	{Group: "admissionregistration.k8s.io", Resource: "mutatingadmissionpolicies"}:         {why: "an admission policy changes the requests it matches", cluster: true},
	{Group: "admissionregistration.k8s.io", Resource: "mutatingadmissionpolicybindings"}:   {why: "an admission policy binding applies a policy to requests", cluster: true},
	{Group: "admissionregistration.k8s.io", Resource: "validatingadmissionpolicies"}:       {why: "an admission policy decides which requests are admitted", cluster: true},
	{Group: "admissionregistration.k8s.io", Resource: "validatingadmissionpolicybindings"}: {why: "an admission policy binding applies a policy to requests", cluster: true},

	{Resource: "serviceaccounts"}: {why: "a ServiceAccount's tokens act with its rights"},
	{Resource: "secrets"}:         {why: "Secrets hold credentials, and one of type kubernetes.io/service-account-token is given a token of the ServiceAccount it names"},
	{Group: "certificates.k8s.io", Resource: "certificatesigningrequests"}: {why: "a signed request is a client certificate for the user and groups it names, system:masters included", cluster: true},

	{Resource: "pods"}:                        {why: "a pod runs as any ServiceAccount of its namespace, privileged or on the node's file system if it asks"},
	{Resource: "replicationcontrollers"}:      {why: "it runs pods (which run as any ServiceAccount of their namespace)"},
	{Group: "apps", Resource: "deployments"}:  {why: "it runs pods (which run as any ServiceAccount of their namespace)"},
	{Group: "apps", Resource: "statefulsets"}: {why: "it runs pods (which run as any ServiceAccount of their namespace)"},
	{Group: "apps", Resource: "daemonsets"}:   {why: "it runs pods on every node (which run as any ServiceAccount of their namespace)"},
	{Group: "apps", Resource: "replicasets"}:  {why: "it runs pods (which run as any ServiceAccount of their namespace)"},
	{Group: "batch", Resource: "jobs"}:        {why: "it runs pods (which run as any ServiceAccount of their namespace)"},
	{Group: "batch", Resource: "cronjobs"}:    {why: "it runs pods (which run as any ServiceAccount of their namespace)"},
	{Resource: "persistentvolumes"}:           {why: "a hostPath volume gives the pods that claim it the node's file system", cluster: true},

	{Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions"}: {why: "a CRD replaces the schema and conversion webhook of an API, Crossplane's own included", cluster: true},
	{Group: "apiregistration.k8s.io", Resource: "apiservices"}:             {why: "an APIService routes a whole API group to a server of its choice", cluster: true},

	{Group: "apiextensions.crossplane.io", Resource: anyResource}:         {why: "Crossplane's XRDs and Compositions define APIs and what they compose, beyond these rules", cluster: true},
	{Group: "pkg.crossplane.io", Resource: anyResource}:                   {why: "Crossplane's packages install code that Crossplane grants the rights it asks for", cluster: true},
	{Group: "ops.crossplane.io", Resource: anyResource}:                   {why: "Crossplane's Operations run functions with Crossplane's rights", cluster: true},
	{Group: "dataservice.klutch.io", Resource: anyResource}:               {why: "a DataService defines an API and what it composes", cluster: true},
	{Group: "klutch.anynines.com", Resource: anyResource}:                 {why: "klutch-bind's own kinds bind and sync APIs between clusters", cluster: true},
	{Group: "example-backend.klutch.anynines.com", Resource: anyResource}: {why: "an export template publishes an API and its permission claims to app clusters, beyond these rules", cluster: true},
	{Group: "kube-bind.io", Resource: anyResource}:                        {why: "kube-bind's own kinds export, bind and sync APIs between clusters", cluster: true},
}

// privilegeOf says why a kind bears privilege, false when it does not.
func privilegeOf(group, resource string) (privilege, bool) {
	if p, ok := privilegeBearing[schema.GroupResource{Group: group, Resource: resource}]; ok {
		return p, true
	}
	p, ok := privilegeBearing[schema.GroupResource{Group: group, Resource: anyResource}]
	return p, ok
}

func isPrivileged(gr schema.GroupResource) bool {
	_, ok := privilegeOf(gr.Group, gr.Resource)
	return ok
}

// providerKubernetesGroups are the groups of provider-kubernetes' Object (cluster-scoped, and
// namespaced on Crossplane v2), which creates the manifest in its spec with the provider's rights.
var providerKubernetesGroups = []string{"kubernetes.crossplane.io", "kubernetes.m.crossplane.io"}

// composedKind is a kind a composition composes: its backend, a further resource, or the manifest
// of a provider-kubernetes Object among them.
type composedKind struct {
	// path is the backend or resource in the spec, or the Object's manifest in its base.
	path    *field.Path
	group   string
	version string
	kind    string
	// plural is the resource its CRD names, "" when no CRD was given.
	plural string
	// object is set for the manifest of a provider-kubernetes Object: provider-kubernetes creates
	// it, Crossplane composes the Object.
	object bool
}

// resource is the kind's resource: its CRD's plural when the caller gave the CRD, else the plural
// Kubernetes' convention gives it.
func (k composedKind) resource() string {
	if k.plural != "" {
		return k.plural
	}
	return resourceOf(k.kind)
}

// composedKinds lists every kind the compositions compose, in the spec's order: each backend and
// resource, and after each provider-kubernetes Object the kind of its manifest, where the base
// names one.
func (m *model) composedKinds() []composedKind {
	plurals := m.crds.Plurals()
	var out []composedKind
	add := func(p *field.Path, apiVersion, kind string, base map[string]any) {
		gv, err := schema.ParseGroupVersion(apiVersion)
		if err != nil || kind == "" {
			return // validate reports it
		}
		out = append(out, composedKind{path: p, group: gv.Group, version: gv.Version, kind: kind, plural: plurals[gv.WithKind(kind).GroupKind()]})
		if !isObject(gv.Group, kind) {
			return
		}
		mav, _, _ := unstructured.NestedString(base, "spec", "forProvider", "manifest", "apiVersion")
		mk, _, _ := unstructured.NestedString(base, "spec", "forProvider", "manifest", "kind")
		if mgv, err := schema.ParseGroupVersion(mav); err == nil && mav != "" && mk != "" {
			out = append(out, composedKind{path: p.Child("base", "spec", "forProvider", "manifest"), group: mgv.Group, version: mgv.Version, kind: mk, object: true, plural: plurals[mgv.WithKind(mk).GroupKind()]})
		}
	}
	cp := field.NewPath("spec", "compositions")
	for i, c := range m.compositions {
		if c.backend != nil {
			add(cp.Index(i).Child("backend"), c.backend.spec.APIVersion, c.backend.spec.Kind, c.backend.base)
		}
		for j, r := range c.resources {
			add(cp.Index(i).Child("resources").Index(j), r.spec.APIVersion, r.spec.Kind, r.base)
		}
	}
	return out
}

func isObject(group, kind string) bool {
	return kind == "Object" && slices.Contains(providerKubernetesGroups, group)
}

// grants are the kinds Crossplane composes, each once, sorted by group then resource: what the
// package's ClusterRole grants (internal/pkgmeta) and what generate and the function report.
func (m *model) grants() []Grant { return m.grantsOf(false) }

// objectGrants are the kinds provider-kubernetes creates from the Objects' manifests, each once,
// sorted as grants are: what the package's ClusterRole for provider-kubernetes grants.
func (m *model) objectGrants() []Grant { return m.grantsOf(true) }

// grantsOf are the kinds Crossplane composes, or (object) those provider-kubernetes creates.
func (m *model) grantsOf(object bool) []Grant {
	seen := map[schema.GroupResource]bool{}
	var out []Grant
	for _, k := range m.composedKinds() {
		gr := schema.GroupResource{Group: k.group, Resource: k.resource()}
		if k.object != object || seen[gr] {
			continue
		}
		seen[gr] = true
		out = append(out, Grant{Group: gr.Group, Resource: gr.Resource, Verbs: slices.Clone(ComposeVerbs)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Group != out[j].Group {
			return out[i].Group < out[j].Group
		}
		return out[i].Resource < out[j].Resource
	})
	return out
}

// validatePrivileges refuses a privilege-bearing kind the spec does not opt in to, a provider-
// kubernetes Object whose base does not say what it creates, and a mapping that would let a claim
// choose the kind a composition composes.
func (m *model) validatePrivileges() field.ErrorList {
	sp := specPath
	var errs field.ErrorList
	allowed := map[string]bool{}
	for _, a := range m.spec.AllowPrivilegeEscalation {
		allowed[a] = true
	}
	for _, k := range m.composedKinds() {
		gr := groupResource(k.group, k.resource())
		p, ok := privilegeOf(k.group, k.resource())
		if !ok || allowed[gr] {
			continue
		}
		who := "Crossplane would compose it with its own service account"
		if k.object {
			who = "provider-kubernetes would create it with its service account"
		}
		errs = append(errs, field.Forbidden(k.path.Child("kind"), fmt.Sprintf(
			"%s (%s) bears privilege: %s, and %s: compose something else, or opt in with spec.allowPrivilegeEscalation: [%s]",
			k.kind, gr, p.why, who, gr)))
	}
	for i, c := range m.compositions {
		cp := sp.Child("compositions").Index(i)
		if b := c.backend; b != nil {
			errs = append(errs, fixedKind(cp.Child("backend"), b.spec.APIVersion, b.spec.Kind, b.base, b.spec.Fields)...)
		}
		for j, r := range c.resources {
			errs = append(errs, fixedKind(cp.Child("resources").Index(j), r.spec.APIVersion, r.spec.Kind, r.base, r.spec.Fields)...)
		}
	}
	return errs
}

// fixedKind refuses what would leave the kind a composed resource makes to anyone but the spec: a
// provider-kubernetes Object without its manifest's apiVersion and kind in the base, and a
// mapping into apiVersion or kind (of the resource, or of an Object's manifest).
func fixedKind(p *field.Path, apiVersion, kind string, base map[string]any, fields []v1alpha1.Mapping) field.ErrorList {
	var errs field.ErrorList
	gv, err := schema.ParseGroupVersion(apiVersion)
	object := err == nil && isObject(gv.Group, kind)
	fixed := []string{"apiVersion", "kind"}
	if object {
		fixed = append(fixed, "spec.forProvider.manifest.apiVersion", "spec.forProvider.manifest.kind")
		for _, f := range []string{"apiVersion", "kind"} {
			if s, _, _ := unstructured.NestedString(base, "spec", "forProvider", "manifest", f); s == "" && base != nil {
				errs = append(errs, field.Required(p.Child("base", "spec", "forProvider", "manifest", f),
					"a provider-kubernetes Object's base names what it creates, so that what the API may create is known when it is generated"))
			}
		}
	}
	for i, f := range fields {
		to := normalPath(f.To)
		if slices.Contains(fixed, to) {
			errs = append(errs, field.Forbidden(p.Child("fields").Index(i).Child("to"),
				fmt.Sprintf("%s is fixed by the spec: a claim may not choose what kind is composed (Crossplane's grants are made for the kinds the spec names); set it in base", to)))
		}
	}
	return errs
}

// normalPath writes a field path as fieldpath writes it, so that spec["kind"] and spec.kind compare
// equal; a path that does not parse is returned as it is (validate reports it).
func normalPath(p string) string {
	segs, err := fieldpath.Parse(p)
	if err != nil {
		return p
	}
	return segs.String()
}

// privilegeReports say what the Compositions need Crossplane to be granted, beyond the API's own
// kinds (which Crossplane's RBAC manager grants), and which opt-ins name nothing composed.
func (m *model) privilegeReports() []string {
	var notes []string
	composed := map[string]bool{}
	var objects []string
	for _, k := range m.composedKinds() {
		gr := groupResource(k.group, k.resource())
		composed[gr] = true
		if k.object && !slices.Contains(objects, gr) {
			objects = append(objects, gr)
		}
	}
	if gs := m.grants(); len(gs) > 0 {
		names := make([]string, 0, len(gs))
		for _, g := range gs {
			n := g.String()
			if _, ok := privilegeOf(g.Group, g.Resource); ok {
				n += " (privilege-bearing, allowed by spec.allowPrivilegeEscalation)"
			}
			names = append(names, n)
		}
		kinds := "kinds"
		if len(gs) == 1 {
			kinds = "kind"
		}
		note := fmt.Sprintf("grants: Crossplane composes %d %s beyond the API's own and needs %s on each: %s",
			len(gs), kinds, strings.Join(ComposeVerbs, ", "), strings.Join(names, ", "))
		if len(objects) > 0 {
			note += fmt.Sprintf("; provider-kubernetes creates %s with its own service account", strings.Join(objects, ", "))
		}
		notes = append(notes, note)
	}
	for i, a := range m.spec.AllowPrivilegeEscalation {
		switch gr := schema.ParseGroupResource(a); {
		case !composed[a]:
			notes = append(notes, fmt.Sprintf("spec.allowPrivilegeEscalation[%d]: no composition composes %s: remove it, so that a later change cannot compose it unnoticed", i, a))
		case !isPrivileged(gr):
			notes = append(notes, fmt.Sprintf("spec.allowPrivilegeEscalation[%d]: %s bears no privilege this tool knows of and needs no opt-in: remove it", i, a))
		}
	}
	return notes
}

// resourceOf guesses the resource of a kind without its CRD: the lower-cased kind with the
// English plural ending (Valkey: valkeys, NetworkPolicy: networkpolicies, Object: objects), as
// CRDs are named by convention.
func resourceOf(kind string) string {
	k := strings.ToLower(kind)
	switch {
	case strings.HasSuffix(k, "y") && len(k) > 1 && !strings.ContainsRune("aeiou", rune(k[len(k)-2])):
		return k[:len(k)-1] + "ies"
	case strings.HasSuffix(k, "s"), strings.HasSuffix(k, "x"), strings.HasSuffix(k, "z"), strings.HasSuffix(k, "ch"), strings.HasSuffix(k, "sh"):
		return k + "es"
	}
	return k + "s"
}
