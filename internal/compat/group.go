package compat

import (
	"fmt"
	"slices"
	"strings"
)

// Group sorts loose objects (XRDs, Compositions and export templates read from files) into APIs: a
// Composition belongs to the XRD of its compositeTypeRef, an export template to the XRD whose group
// and claim or composite plural it selects. Other kinds are ignored. An object no XRD claims is an
// error, so that a typo or a missing file does not silently shrink the comparison; with one XRD,
// every object belongs to it.
func Group(objs []Object) ([]API, error) {
	var apis []API
	var rest []Object
	for _, o := range objs {
		if isKind(o, xrdGroup, "CompositeResourceDefinition") {
			apis = append(apis, API{XRD: o})
			continue
		}
		rest = append(rest, o)
	}
	xrds := make([]*xrd, len(apis))
	for i, a := range apis {
		x, err := decodeXRD(a.XRD)
		if err != nil {
			return nil, err
		}
		xrds[i] = x
	}
	var errs []string
	for _, o := range rest {
		var match func(x *xrd) bool
		what := ""
		switch {
		case isKind(o, xrdGroup, "Composition"):
			cs, err := decodeCompositions([]Object{o})
			if err != nil {
				return nil, err
			}
			ref := cs[0].ref
			g, _, _ := strings.Cut(ref.APIVersion, "/")
			match = func(x *xrd) bool { return x.spec.Group == g && x.spec.Names.Kind == ref.Kind }
			what = fmt.Sprintf("composes %s %s", ref.APIVersion, ref.Kind)
		case o.Object.GetKind() == "APIServiceExportTemplate":
			sel := selected(o)
			match = func(x *xrd) bool {
				for _, gr := range sel {
					if gr[0] == x.spec.Group && (gr[1] == x.spec.Names.Plural || (x.spec.ClaimNames != nil && gr[1] == x.spec.ClaimNames.Plural)) {
						return true
					}
				}
				return false
			}
			what = fmt.Sprintf("selects %v", sel)
		default:
			continue
		}
		i := slices.IndexFunc(xrds, match)
		if i < 0 && len(apis) == 1 {
			i = 0
		}
		if i < 0 {
			errs = append(errs, fmt.Sprintf("%s: %s %s %s, but no XRD among the inputs defines it: pass its XRD too", o.Where, o.Object.GetKind(), o.Object.GetName(), what))
			continue
		}
		if o.Object.GetKind() == "Composition" {
			apis[i].Compositions = append(apis[i].Compositions, o)
		} else {
			apis[i].ExportTemplates = append(apis[i].ExportTemplates, o)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return apis, nil
}

func isKind(o Object, group, kind string) bool {
	g, _, _ := strings.Cut(o.Object.GetAPIVersion(), "/")
	return g == group && o.Object.GetKind() == kind
}

// selected lists the group and resource pairs an export template selects: klutch-bind's one
// APIServiceSelector or kube-bind's resources.
func selected(o Object) [][2]string {
	spec := asMap(o.Object.Object["spec"])
	var out [][2]string
	if s := asMap(spec["APIServiceSelector"]); s != nil {
		out = append(out, [2]string{str(s["group"]), str(s["resource"])})
	}
	for _, r := range asList(spec["resources"]) {
		m := asMap(r)
		out = append(out, [2]string{str(m["group"]), str(m["resource"])})
	}
	return out
}
