package generator

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	bindv1alpha1 "github.com/function-dataservice/function-dataservice/apis/bind/v1alpha1"
	kubebindv1alpha2 "github.com/function-dataservice/function-dataservice/apis/kubebind/v1alpha2"
)

// Permission claims: the other objects klutch-bind (and kube-bind) sync between an app cluster and
// the control plane once the app cluster accepts them. What the CRDs of the templates refuse is
// refused by checking the templates against them (exportcheck.go); what the CRDs let through but
// widens what crosses clusters is refused here: wildcards, a claim on every Secret or ConfigMap of
// the bound namespaces, claims on kinds that act on a whole cluster, duplicates.

// broadlyClaimable are the core resources whose claims must narrow what they select, unless
// spec.export.allowClaimsOnAllObjects lists them: they hold credentials and configuration.
var broadlyClaimable = []string{"secrets", "configmaps"}

// claimRef is what the rules read of a claim of either template.
type claimRef struct {
	path                     *field.Path
	group, resource, version string
	// narrowed says the selector selects less than every object of the bound namespaces; how is
	// what the template's form offers.
	narrowed bool
	how      string
}

// validateClaims checks the permission claims of both templates, and spec.export.allowClaimsOnAllObjects.
func (m *model) validateClaims() field.ErrorList {
	p := specPath.Child("export")
	e := m.spec.Export
	if e == nil {
		return nil
	}
	var errs field.ErrorList
	for i, r := range e.AllowClaimsOnAllObjects {
		if !slices.Contains(broadlyClaimable, r) {
			errs = append(errs, field.NotSupported(p.Child("allowClaimsOnAllObjects").Index(i), r, broadlyClaimable))
		}
	}
	if m.export != nil {
		var claims []claimRef
		for i, c := range e.PermissionClaims {
			claims = append(claims, klutchClaim(p.Child("permissionClaims").Index(i), c))
		}
		errs = append(errs, m.validateClaimList(p, claims)...)
	}
	if kb := e.KubeBind; kb != nil {
		var claims []claimRef
		for i, c := range kb.PermissionClaims {
			claims = append(claims, kubeBindClaim(p.Child("kubeBind", "permissionClaims").Index(i), c))
		}
		errs = append(errs, m.validateClaimList(p, claims)...)
	}
	return errs
}

func klutchClaim(p *field.Path, c bindv1alpha1.PermissionClaim) claimRef {
	s := c.Selector
	narrowed := s.Owner != "" || named(s.Names) || named(s.Namespaces)
	for _, l := range s.LabelSelectors {
		narrowed = narrowed || len(l) > 0
	}
	return claimRef{path: p, group: c.Group, resource: c.Resource, version: c.Version, narrowed: narrowed,
		how: "owner, names, namespaces or labelSelectors"}
}

func kubeBindClaim(p *field.Path, c kubebindv1alpha2.PermissionClaim) claimRef {
	s := c.Selector
	narrowed := len(s.References) > 0 || s.LabelSelector != nil && (len(s.LabelSelector.MatchLabels) > 0 || len(s.LabelSelector.MatchExpressions) > 0)
	for _, n := range s.NamedResources {
		narrowed = narrowed || n.Name != "" && n.Name != "*"
	}
	return claimRef{path: p, group: c.Group, resource: c.Resource, narrowed: narrowed,
		how: "namedResources, labelSelector or references"}
}

// named says a list of names narrows: klutch-bind reads an empty list, or one holding "*", as
// every name.
func named(names []string) bool {
	return len(names) > 0 && !slices.Contains(names, "*")
}

// validateClaimList checks the claims of one template; p is spec.export.
func (m *model) validateClaimList(p *field.Path, claims []claimRef) field.ErrorList {
	var errs field.ErrorList
	seen := map[string]bool{}
	for _, c := range claims {
		wild := false
		for _, fv := range [][2]string{{"group", c.group}, {"resource", c.resource}, {"version", c.version}} {
			if f, v := fv[0], fv[1]; strings.Contains(v, "*") {
				wild = true
				errs = append(errs, field.Invalid(c.path.Child(f), v, "wildcards are refused: a claim names one group, resource and version, e.g. group: \"\", resource: secrets, version: v1"))
			}
		}
		if wild {
			continue
		}
		gr := groupResource(c.group, c.resource)
		if seen[gr] {
			errs = append(errs, field.Duplicate(c.path.Child("resource"), gr))
			continue
		}
		seen[gr] = true
		if pr, ok := privilegeOf(c.group, c.resource); ok && pr.cluster {
			errs = append(errs, field.Forbidden(c.path.Child("resource"), fmt.Sprintf(
				"%s acts on a whole cluster (%s): a claim on it would let one cluster manage it in the other; no claim may name it", gr, pr.why)))
			continue
		}
		if c.group == "" && slices.Contains(broadlyClaimable, c.resource) && !c.narrowed &&
			!slices.Contains(m.spec.Export.AllowClaimsOnAllObjects, c.resource) {
			errs = append(errs, field.Forbidden(c.path.Child("selector"), fmt.Sprintf(
				"the claim selects every object of %s in the bound namespaces, which the binding syncs between the app cluster and the control plane: narrow it with %s, or opt in with spec.export.allowClaimsOnAllObjects: [%s]",
				c.resource, c.how, c.resource)))
		}
	}
	return errs
}

// claimReports say what accepted claims will do that app developers may not expect: autoAdopt
// makes the control plane the owner of objects they create.
func (m *model) claimReports() []string {
	e := m.spec.Export
	if e == nil || m.export == nil {
		return nil
	}
	var notes []string
	for i, c := range e.PermissionClaims {
		if c.AutoAdopt {
			notes = append(notes, fmt.Sprintf("spec.export.permissionClaims[%d].autoAdopt: every %s an app developer creates that the claim selects is adopted: the provider (the control plane) becomes its owner and controls it from then on",
				i, groupResource(c.Group, c.Resource)))
		}
	}
	return notes
}
