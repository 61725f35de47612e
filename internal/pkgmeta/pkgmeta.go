// Package pkgmeta writes the packaging side of generated APIs: the meta of the Configuration package
// that carries them (crossplane.yaml) and the ClusterRole that lets Crossplane compose what their
// Compositions compose. It reads the generator's outputs and writes no file (internal/tree lays
// them out).
package pkgmeta

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	xv1 "github.com/crossplane/crossplane/apis/v2/apiextensions/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// A package of generated APIs installs only when Crossplane has what its Compositions need: the
// functions they pipe to (the Configuration's dependsOn installs them), a Crossplane that serves
// its XRDs (the meta's constraint), and permission to manage the kinds they compose. A
// Configuration cannot carry RBAC, so the last is a ClusterRole applied beside the package,
// aggregated into Crossplane's own.

// knownFunctions are the packages of the composition functions generated Compositions pipe to by
// default, with the oldest version the generated input is written for.
var knownFunctions = map[string]struct{ pkg, version string }{
	"function-patch-and-transform": {"xpkg.crossplane.io/crossplane-contrib/function-patch-and-transform", ">=v0.10.7"},
	"function-auto-ready":          {"xpkg.crossplane.io/crossplane-contrib/function-auto-ready", ">=v0.7.0"},
}

// AggregateToCrossplane is the label that aggregates a ClusterRole into the one Crossplane's
// service account is bound to (Crossplane's Helm chart).
const AggregateToCrossplane = "rbac.crossplane.io/aggregate-to-crossplane"

// PackageMeta is the meta of a Configuration package of generated APIs, and the ClusterRole that
// lets Crossplane compose them.
type PackageMeta struct {
	// Meta is the Configuration (meta.pkg.crossplane.io/v1), for crossplane.yaml.
	Meta *unstructured.Unstructured
	// ClusterRole lets Crossplane manage every kind the Compositions compose (the grants of the
	// outputs) with the verbs composing needs (generator.ComposeVerbs), nil when they compose nothing.
	ClusterRole *unstructured.Unstructured
	// ProviderKubernetes are a ClusterRole and its ClusterRoleBinding that let provider-kubernetes'
	// service account manage the kinds the Compositions' Objects hold (on Crossplane 1.x an
	// operator's CR, which provider-kubernetes creates in the claim's namespace), none when they
	// hold none.
	ProviderKubernetes []*unstructured.Unstructured
	// Notes say what was assumed, for stderr.
	Notes []string
}

// Package describes the package of outs named name. constraint is the Crossplane version
// constraint asked for ("" for the one the XRDs' line needs).
func Package(name, constraint string, outs []*generator.Output) (*PackageMeta, error) {
	pm := &PackageMeta{}
	line := xpline.V1
	functions := map[string]bool{}
	kinds := map[kind]bool{}
	objectKinds := map[kind]bool{}
	for _, o := range outs {
		if l, ok := xpline.OfXRD(o.XRD.GetAPIVersion()); ok && !l.Claims {
			line = l
		}
		for _, c := range o.Compositions {
			comp := &xv1.Composition{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(c.Object, comp); err != nil {
				return nil, errors.Wrapf(err, "Composition %s", c.GetName())
			}
			for _, st := range comp.Spec.Pipeline {
				functions[st.FunctionRef.Name] = true
			}
		}
		// What the Compositions compose, as the generator found it (safety.go).
		for _, g := range o.Grants {
			kinds[kind{group: g.Group, resource: g.Resource}] = true
		}
		for _, g := range o.ObjectGrants {
			objectKinds[kind{group: g.Group, resource: g.Resource}] = true
		}
	}

	if constraint == "" {
		constraint = line.PackageConstraint
	} else if !line.Claims && strings.HasPrefix(strings.TrimLeft(constraint, ">=~^ "), "v1") {
		return nil, errors.Errorf("Crossplane version constraint %q admits Crossplane 1.x, which cannot install the package's apiextensions.crossplane.io/v2 XRDs: use %q or leave it unset", constraint, line.PackageConstraint)
	}

	var deps []any
	names := make([]string, 0, len(functions))
	for f := range functions {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		k, ok := knownFunctions[f]
		if !ok {
			pm.Notes = append(pm.Notes, fmt.Sprintf("crossplane.yaml: no dependsOn for Function %s, a package this tool does not know: keep your own crossplane.yaml to add it", f))
			continue
		}
		deps = append(deps, map[string]any{"function": k.pkg, "version": k.version})
	}
	spec := map[string]any{"crossplane": map[string]any{"version": constraint}}
	if len(deps) > 0 {
		spec["dependsOn"] = deps
	}
	pm.Meta = &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "meta.pkg.crossplane.io/v1",
		"kind":       "Configuration",
		"metadata":   map[string]any{"name": name},
		"spec":       spec,
	}}

	if len(kinds) == 0 {
		return pm, nil
	}
	cr, err := plain(&rbacv1.ClusterRole{
		TypeMeta: metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "ClusterRole"},
		ObjectMeta: metav1.ObjectMeta{
			Name:   ClusterRoleName(name),
			Labels: map[string]string{AggregateToCrossplane: "true"},
		},
		Rules: rulesOf(kinds),
	})
	if err != nil {
		return nil, err
	}
	pm.ClusterRole = cr
	if len(objectKinds) == 0 {
		return pm, nil
	}
	// provider-kubernetes' own role does not cover what its Objects create: they run as its
	// service account, which is bound to exactly these kinds.
	pr, err := plain(&rbacv1.ClusterRole{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "ClusterRole"},
		ObjectMeta: metav1.ObjectMeta{Name: ProviderKubernetesRoleName(name)},
		Rules:      rulesOf(objectKinds),
	})
	if err != nil {
		return nil, err
	}
	prb, err := plain(&rbacv1.ClusterRoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "ClusterRoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Name: ProviderKubernetesRoleName(name)},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: ProviderKubernetesRoleName(name)},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: ProviderKubernetesServiceAccount, Namespace: ProviderKubernetesNamespace}},
	})
	if err != nil {
		return nil, err
	}
	pm.ProviderKubernetes = []*unstructured.Unstructured{pr, prb}
	return pm, nil
}

// kind is a group and resource a role grants.
type kind struct{ group, resource string }

// rulesOf grants kinds, a rule per group, with the verbs composing needs.
func rulesOf(kinds map[kind]bool) []rbacv1.PolicyRule {
	keys := make([]kind, 0, len(kinds))
	for k := range kinds {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].group != keys[j].group {
			return keys[i].group < keys[j].group
		}
		return keys[i].resource < keys[j].resource
	})
	var rules []rbacv1.PolicyRule
	for _, k := range keys {
		if n := len(rules); n > 0 && rules[n-1].APIGroups[0] == k.group {
			rules[n-1].Resources = append(rules[n-1].Resources, k.resource)
			continue
		}
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{k.group}, Resources: []string{k.resource}, Verbs: slices.Clone(generator.ComposeVerbs)})
	}
	return rules
}

// plain turns a typed object into the plain form written to files, without the creationTimestamp
// a typed object always carries.
func plain(obj runtime.Object) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	delete(m["metadata"].(map[string]any), "creationTimestamp")
	return &unstructured.Unstructured{Object: m}, nil
}

// ClusterRoleName is the name of the ClusterRole of the package named name.
func ClusterRoleName(name string) string { return "crossplane:composite:" + name }

// The service account provider-kubernetes runs as when it is installed as Klutch installs it, which
// examples/provider-kubernetes.yaml does (its DeploymentRuntimeConfig names it; without one
// Crossplane names it after the provider's revision, which changes with every upgrade).
const (
	ProviderKubernetesServiceAccount = "provider-kubernetes"
	ProviderKubernetesNamespace      = "crossplane-system"
)

// ProviderKubernetesRoleName is the name of the ClusterRole, and of its binding, that lets
// provider-kubernetes manage what the Objects of the package named name hold.
func ProviderKubernetesRoleName(name string) string { return "provider-kubernetes:composite:" + name }

// maxDefaultName bounds a package name made of DataService names: a DNS label, so that the
// package, its meta and its ClusterRole's name stay valid.
const maxDefaultName = 63

// DefaultName is the name of a package of the DataServices named names when none is given: their
// names, sorted and joined (mongodb-postgresql-servicebinding), so that two packages of other
// DataServices on one control plane never share a Configuration name or ClusterRole; a name
// beyond a DNS label keeps the first DataService's name and a digest of all of them.
func DefaultName(names []string) string {
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	n := strings.Join(sorted, "-")
	if len(n) <= maxDefaultName {
		return n
	}
	sum := sha256.Sum256([]byte(n))
	first := sorted[0]
	if len(first) > maxDefaultName-9 {
		first = strings.TrimRight(first[:maxDefaultName-9], "-.")
	}
	return first + "-" + hex.EncodeToString(sum[:4])
}
