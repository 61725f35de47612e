package compat

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	xv2 "github.com/crossplane/crossplane/apis/v2/apiextensions/v2"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// xrd is a CompositeResourceDefinition of either Crossplane line (apiextensions.crossplane.io v1 or
// v2), read into the generator's model of one: Crossplane's own v2 type, which has every field of a v1
// XRD (the fields a line does not use stay empty).
type xrd struct {
	where string
	line  string // version of apiextensions.crossplane.io
	spec  xv2.CompositeResourceDefinitionSpec
	// schemas holds each version's openAPIV3Schema (nil for none), parsed when the XRD is read:
	// Crossplane's type keeps it raw, and a schema that does not parse is an XRD that cannot be read.
	schemas []*extv1.JSONSchemaProps
}

const xrdGroup = xpline.XRDGroup

// errReadXRD is the error of an XRD that cannot be read.
const errReadXRD = "%s: cannot read XRD %s"

func decodeXRD(o Object) (*xrd, error) {
	u := o.Object
	gv := strings.SplitN(u.GetAPIVersion(), "/", 2)
	if len(gv) != 2 || gv[0] != xrdGroup || u.GetKind() != "CompositeResourceDefinition" {
		return nil, errors.Errorf("%s: %s %s is not a Crossplane CompositeResourceDefinition", o.Where, u.GetAPIVersion(), u.GetKind())
	}
	spec, ok := u.Object["spec"]
	if !ok {
		return nil, errors.Errorf("%s: XRD %s has no spec", o.Where, u.GetName())
	}
	raw, err := json.Marshal(spec)
	if err != nil {
		return nil, errors.Wrapf(err, errReadXRD, o.Where, u.GetName())
	}
	x := &xrd{where: o.Where, line: gv[1]}
	if err := json.Unmarshal(raw, &x.spec); err != nil {
		return nil, errors.Wrapf(err, errReadXRD, o.Where, u.GetName())
	}
	x.schemas = make([]*extv1.JSONSchemaProps, len(x.spec.Versions))
	for i, v := range x.spec.Versions {
		if v.Schema == nil || v.Schema.OpenAPIV3Schema.Raw == nil {
			continue
		}
		x.schemas[i] = &extv1.JSONSchemaProps{}
		if err := json.Unmarshal(v.Schema.OpenAPIV3Schema.Raw, x.schemas[i]); err != nil {
			return nil, errors.Wrapf(err, errReadXRD, o.Where, u.GetName())
		}
	}
	return x, nil
}

// scope is the composite's scope with Crossplane's default filled in: v1 composites are
// cluster-scoped with namespaced claims (LegacyCluster), v2 composites are namespaced.
func (x *xrd) scope() string {
	if x.spec.Scope != "" {
		return string(x.spec.Scope)
	}
	if l, ok := xpline.OfXRD(xrdGroup + "/" + x.line); ok {
		return l.DefaultScope
	}
	return xpline.V2.DefaultScope
}

// referenceable is the version Compositions reference.
func (x *xrd) referenceable() string {
	for _, v := range x.spec.Versions {
		if v.Referenceable {
			return v.Name
		}
	}
	return ""
}

func (x *xrd) version(name string) *xv2.CompositeResourceDefinitionVersion {
	for i := range x.spec.Versions {
		if x.spec.Versions[i].Name == name {
			return &x.spec.Versions[i]
		}
	}
	return nil
}

// schema is the openAPIV3Schema of version name, a copy the caller may change; empty when the version
// has none.
func (x *xrd) schema(name string) *extv1.JSONSchemaProps {
	for i := range x.spec.Versions {
		if x.spec.Versions[i].Name != name {
			continue
		}
		if x.schemas[i] != nil {
			return x.schemas[i].DeepCopy()
		}
		break
	}
	return &extv1.JSONSchemaProps{}
}

// deletePolicy is the XRD's default composite delete policy, "" when it sets none.
func (x *xrd) deletePolicy() string {
	if p := x.spec.DefaultCompositeDeletePolicy; p != nil {
		return string(*p)
	}
	return ""
}

func (x *xrd) served(name string) bool {
	v := x.version(name)
	return v != nil && v.Served
}

// userKind is what app developers create: the claim kind where there are claims, else the composite.
func (x *xrd) userKind() string {
	if x.spec.ClaimNames != nil && x.spec.ClaimNames.Kind != "" {
		return x.spec.ClaimNames.Kind
	}
	return x.spec.Names.Kind
}

// identity compares what makes the API the API: its Crossplane line, group, names and scope.
func (c *comparison) identity(o, n *xrd) {
	if o.line != n.line {
		c.breaking("xrd.apiVersion", CrossplaneLineChanged, "the XRD moves from %s/%s to %s/%s: claims and composites of one line are not served by the other",
			xrdGroup, o.line, xrdGroup, n.line)
	}
	if o.spec.Group != n.spec.Group {
		c.breaking("xrd.spec.group", GroupChanged, "group changes from %s to %s: existing %s claims are no longer served",
			o.spec.Group, n.spec.Group, o.spec.Group+"/"+o.userKind())
	}
	c.names("xrd.spec.names", "composite", &o.spec.Names, &n.spec.Names)
	switch {
	case o.spec.ClaimNames != nil && n.spec.ClaimNames == nil:
		c.breaking("xrd.spec.claimNames", NamesChanged, "claims of kind %s are no longer offered: existing claims are orphaned", o.spec.ClaimNames.Kind)
	case o.spec.ClaimNames == nil && n.spec.ClaimNames != nil:
		c.safe("xrd.spec.claimNames", NamesChanged, "claims of kind %s are offered", n.spec.ClaimNames.Kind)
	case o.spec.ClaimNames != nil:
		c.names("xrd.spec.claimNames", "claim", o.spec.ClaimNames, n.spec.ClaimNames)
	}
	if o.scope() != n.scope() {
		c.breaking("xrd.spec.scope", ScopeChanged, "scope changes from %s to %s: existing objects are not served at the new scope", o.scope(), n.scope())
	}
	if o.deletePolicy() != n.deletePolicy() {
		c.safe("xrd.spec.defaultCompositeDeletePolicy", DeletePolicyChanged, "default delete policy changes from %s to %s: claims that set none delete differently",
			orUnset(o.deletePolicy()), orUnset(n.deletePolicy()))
	}
}

func (c *comparison) names(path, what string, o, n *extv1.CustomResourceDefinitionNames) {
	if o.Kind != n.Kind {
		c.breaking(path+".kind", NamesChanged, "%s kind changes from %s to %s: existing objects of kind %s are no longer served", what, o.Kind, n.Kind, o.Kind)
	}
	if o.Plural != n.Plural {
		c.breaking(path+".plural", NamesChanged, "%s plural changes from %s to %s: the resource existing objects live at is no longer served", what, o.Plural, n.Plural)
	}
	if gone := missing(o.ShortNames, n.ShortNames); len(gone) > 0 {
		c.safe(path+".shortNames", ShortNamesChanged, "short names %s removed: kubectl no longer resolves them; claims are unaffected", strings.Join(gone, ", "))
	}
	if added := missing(n.ShortNames, o.ShortNames); len(added) > 0 {
		c.safe(path+".shortNames", ShortNamesChanged, "short names %s added", strings.Join(added, ", "))
	}
	if gone := missing(o.Categories, n.Categories); len(gone) > 0 {
		c.safe(path+".categories", CategoriesChanged, "categories %s removed: kubectl get %s no longer lists the %s; claims are unaffected", strings.Join(gone, ", "), gone[0], what)
	}
	if added := missing(n.Categories, o.Categories); len(added) > 0 {
		c.safe(path+".categories", CategoriesChanged, "categories %s added", strings.Join(added, ", "))
	}
}

// versions compares which versions are served and which one Compositions reference.
func (c *comparison) versions(o, n *xrd, ncs compositionSet) {
	for _, v := range o.spec.Versions {
		p := fmt.Sprintf("xrd.spec.versions[%s]", v.Name)
		nv := n.version(v.Name)
		switch {
		case !v.Served:
		case nv == nil:
			c.breaking(p, VersionRemoved, "version %s is removed: claims written at %s are no longer served and the API server refuses to drop a stored version", v.Name, v.Name)
		case !nv.Served:
			c.breaking(p, VersionRemoved, "version %s is no longer served: app developers using %s get not found", v.Name, v.Name)
		case !isTrue(v.Deprecated) && isTrue(nv.Deprecated):
			c.safe(p, VersionDeprecated, "version %s is deprecated: clients get a warning", v.Name)
		}
	}
	for _, v := range n.spec.Versions {
		if v.Served && !o.served(v.Name) {
			c.safe(fmt.Sprintf("xrd.spec.versions[%s]", v.Name), VersionAdded, "new served version %s", v.Name)
		}
	}
	or, nr := o.referenceable(), n.referenceable()
	if or == nr || nr == "" {
		return
	}
	// Crossplane composes only with Compositions whose compositeTypeRef names the referenceable
	// version; those not part of the comparison cannot be checked.
	want := n.spec.Group + "/" + nr
	var stale, unseen []string
	for _, name := range ncs.names() {
		ref, ok := ncs.typeRefs[name]
		switch {
		case !ok:
			unseen = append(unseen, name)
		case ref.APIVersion != want:
			stale = append(stale, name)
		}
	}
	p := "xrd.spec.versions[*].referenceable"
	switch {
	case len(stale) > 0:
		c.breaking(p, CompositionTypeRefOutOfDate, "the referenceable version moves from %s to %s but Compositions %s still reference %s/%s: claims selecting them stop composing",
			or, nr, strings.Join(stale, ", "), n.spec.Group, or)
	case len(unseen) > 0:
		c.breaking(p, ReferenceableChanged, "the referenceable version moves from %s to %s: Compositions %s are not part of this comparison and must reference %s in the same release",
			or, nr, strings.Join(unseen, ", "), want)
	case len(ncs.typeRefs) == 0:
		c.breaking(p, ReferenceableChanged, "the referenceable version moves from %s to %s: every Composition of %s must reference %s in the same release",
			or, nr, n.spec.Names.Kind, want)
	default:
		c.safe(p, ReferenceableChanged, "the referenceable version moves from %s to %s and every Composition references %s", or, nr, want)
	}
}

// connectionSecretKeys compares the keys of the connection secret claims get. Crossplane publishes
// every key when the list is empty.
func (c *comparison) connectionSecretKeys(o, n []string) {
	const p = "xrd.spec.connectionSecretKeys"
	switch {
	case len(o) == 0 && len(n) > 0:
		c.breaking(p, ConnectionSecretKeyRemoved, "connection secrets are limited to %s: other keys apps read today disappear", strings.Join(n, ", "))
		return
	case len(o) > 0 && len(n) == 0:
		c.safe(p, ConnectionSecretKeyAdded, "connection secrets carry every key")
		return
	}
	for _, k := range missing(o, n) {
		c.breaking(fmt.Sprintf("%s[%s]", p, k), ConnectionSecretKeyRemoved, "connection secret key %s is removed: apps reading it break", k)
	}
	for _, k := range missing(n, o) {
		c.safe(fmt.Sprintf("%s[%s]", p, k), ConnectionSecretKeyAdded, "new connection secret key %s", k)
	}
}

// missing returns the elements of a not in b, in a's order.
func missing(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}

func isTrue(b *bool) bool { return b != nil && *b }

func orUnset(s string) string {
	if s == "" {
		return "unset"
	}
	return s
}
