package compat

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// Groups of the export templates app clusters bind through, and the names changes are reported by.
const (
	klutchBindGroup = "example-backend.klutch.anynines.com"
	kubeBindGroup   = "kube-bind.io"
)

func exportLabel(apiVersion string) string {
	g, _, _ := strings.Cut(apiVersion, "/")
	switch g {
	case klutchBindGroup:
		return "klutch-bind"
	case kubeBindGroup:
		return "kube-bind"
	}
	return g
}

// exports compares the export templates, matched by the binding system they are for.
func (c *comparison) exports(o, n []Object) {
	label := func(obj Object) string { return exportLabel(obj.Object.GetAPIVersion()) }
	byName := func(k string, _ int, obj Object) string { return k + "/" + obj.Object.GetName() }
	om, okeys := keyed(o, label, byName)
	nm, nkeys := keyed(n, label, byName)
	for _, k := range okeys {
		p := fmt.Sprintf("exportTemplate[%s]", k)
		nt, ok := nm[k]
		if !ok {
			c.breaking(p, ExportRemoved, "no %s template any more: app clusters can no longer bind the API", exportLabel(om[k].Object.GetAPIVersion()))
			continue
		}
		c.template(p, om[k], nt)
	}
	for _, k := range nkeys {
		if _, ok := om[k]; !ok {
			c.safe(fmt.Sprintf("exportTemplate[%s]", k), ExportAdded, "new %s template: app clusters can bind the API through it", exportLabel(nm[k].Object.GetAPIVersion()))
		}
	}
}

// template compares one export template. What it selects and the permissions consumers accepted
// when binding are what existing bindings rest on; the rest only describes the template.
func (c *comparison) template(p string, o, n Object) {
	if o.Object.GetName() != n.Object.GetName() || o.Object.GetNamespace() != n.Object.GetNamespace() {
		c.safe(p+".metadata.name", ExportChanged, "template renamed from %s to %s", nsName(o), nsName(n))
	}
	os, _ := o.Object.Object["spec"].(map[string]any)
	ns, _ := n.Object.Object["spec"].(map[string]any)
	for _, k := range union(slices.Sorted(maps.Keys(os)), slices.Sorted(maps.Keys(ns))) {
		ov, nv := os[k], ns[k]
		if reflect.DeepEqual(ov, nv) {
			continue
		}
		sp := p + ".spec." + k
		switch k {
		case "APIServiceSelector":
			c.klutchSelector(sp, asMap(ov), asMap(nv))
		case "resources":
			c.kubeBindResources(sp, asList(ov), asList(nv))
		case "scope":
			c.breaking(sp, ExportSelectorChanged, "exported scope changes from %v to %v: bound APIs in app clusters no longer match", ov, nv)
		case "permissionClaims":
			c.permissionClaims(sp, asList(ov), asList(nv))
		default:
			if isScalar(ov) && isScalar(nv) {
				c.safe(sp, ExportChanged, "%s changes from %v to %v", k, orUnsetAny(ov), orUnsetAny(nv))
				continue
			}
			c.safe(sp, ExportChanged, "%s changes", k)
		}
	}
}

func nsName(o Object) string {
	if ns := o.Object.GetNamespace(); ns != "" {
		return ns + "/" + o.Object.GetName()
	}
	return o.Object.GetName()
}

// klutchSelector compares klutch-bind's APIServiceSelector: the group and resource bound APIs
// resolve to, and optionally one version (unset exports every served version).
func (c *comparison) klutchSelector(p string, o, n map[string]any) {
	for _, f := range []string{"group", "resource"} {
		if ov, nv := str(o[f]), str(n[f]); ov != nv {
			c.breaking(p+"."+f, ExportSelectorChanged, "exported %s changes from %s to %s: existing bindings in app clusters point at the old one", f, orUnset(ov), orUnset(nv))
		}
	}
	switch ov, nv := str(o["version"]), str(n["version"]); {
	case ov == nv:
	case nv == "":
		c.safe(p+".version", ExportSelectorChanged, "every served version is exported, not only %s", ov)
	case ov == "":
		c.breaking(p+".version", ExportSelectorChanged, "only version %s is exported: app clusters bound to other versions lose them", nv)
	default:
		c.breaking(p+".version", ExportSelectorChanged, "exported version changes from %s to %s: app clusters bound to %s lose it", ov, nv, ov)
	}
}

// kubeBindResources compares kube-bind's exported resources and their versions (none listed lets
// the provider choose every served one).
func (c *comparison) kubeBindResources(p string, o, n []any) {
	id := func(v any) string {
		m := asMap(v)
		return str(m["group"]) + "/" + str(m["resource"])
	}
	nb := map[string]map[string]any{}
	for _, r := range n {
		nb[id(r)] = asMap(r)
	}
	ob := map[string]bool{}
	for _, r := range o {
		k := id(r)
		ob[k] = true
		rp := fmt.Sprintf("%s[%s]", p, k)
		nr, ok := nb[k]
		if !ok {
			c.breaking(rp, ExportSelectorChanged, "resource %s is no longer exported: existing bindings in app clusters lose it", k)
			continue
		}
		ov, nv := strs(asMap(r)["versions"]), strs(nr["versions"])
		switch {
		case len(ov) == 0 && len(nv) > 0:
			c.breaking(rp+".versions", ExportSelectorChanged, "only versions %s are exported: app clusters bound to others lose them", strings.Join(nv, ", "))
		case len(ov) > 0 && len(nv) == 0:
			c.safe(rp+".versions", ExportSelectorChanged, "every served version is exported")
		default:
			if gone := missing(ov, nv); len(gone) > 0 {
				c.breaking(rp+".versions", ExportSelectorChanged, "no longer exports %s: app clusters bound at it lose the API", strings.Join(gone, ", "))
			}
			if added := missing(nv, ov); len(added) > 0 {
				c.safe(rp+".versions", ExportSelectorChanged, "exports %s too", strings.Join(added, ", "))
			}
		}
	}
	for _, r := range n {
		if k := id(r); !ob[k] {
			c.safe(fmt.Sprintf("%s[%s]", p, k), ExportChanged, "resource %s is exported too", k)
		}
	}
}

// permissionClaims compares what a binding lets the provider do in the consumer's cluster. Consumers
// accepted the claims when they bound, so any change, a new claim included, breaks existing bindings.
func (c *comparison) permissionClaims(p string, o, n []any) {
	id := func(v any) string {
		m := asMap(v)
		g := str(m["group"])
		if g == "" {
			g = "core"
		}
		return g + "/" + str(m["resource"])
	}
	byPosition := func(k string, i int, _ any) string { return fmt.Sprintf("%s#%d", k, i) }
	om, okeys := keyed(o, id, byPosition)
	nm, nk := keyed(n, id, byPosition)
	for _, k := range okeys {
		cp := fmt.Sprintf("%s[%s]", p, k)
		nv, found := nm[k]
		switch {
		case !found:
			c.breaking(cp, PermissionClaimsChanged, "permission claim on %s is dropped: existing bindings stop syncing these objects", k)
		case !reflect.DeepEqual(om[k], nv):
			c.breaking(cp, PermissionClaimsChanged, "permission claim on %s changes: consumers accepted the old one when they bound", k)
		}
	}
	for _, k := range nk {
		if _, found := om[k]; !found {
			c.breaking(fmt.Sprintf("%s[%s]", p, k), PermissionClaimsChanged, "new permission claim on %s: consumers did not accept it when they bound", k)
		}
	}
}

// keyed indexes items by key, keeping their order. A key already taken is made unique with
// again(key, position, item), so that duplicates are compared one by one too.
func keyed[T any](items []T, key func(T) string, again func(k string, i int, item T) string) (map[string]T, []string) {
	m := map[string]T{}
	var keys []string
	for i, it := range items {
		k := key(it)
		if _, dup := m[k]; dup {
			k = again(k, i, it)
		}
		m[k] = it
		keys = append(keys, k)
	}
	return m, keys
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	var out []string
	for _, x := range asList(v) {
		out = append(out, str(x))
	}
	return out
}

func isScalar(v any) bool {
	switch v.(type) {
	case nil, string, bool, int64, float64:
		return true
	}
	return false
}

func orUnsetAny(v any) any {
	if v == nil || v == "" {
		return "unset"
	}
	return v
}
