package compat

import (
	"fmt"
	"slices"
	"strings"
)

// Group sorts loose objects (XRDs, Compositions and export templates read from files) into APIs: a
// Composition belongs to the XRD of its compositeTypeRef, an export template to the XRD whose group
// and claim or composite plural it selects (or to the one XRD of its group, since a template may
// export another resource of the group). Other kinds are ignored. Objects no XRD claims are returned
// as unclaimed, for the caller to report: they take no part in the comparison.
func Group(objs []Object) (apis []API, unclaimed []string, err error) {
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
			return nil, nil, err
		}
		xrds[i] = x
	}
	for _, o := range rest {
		switch {
		case isKind(o, xrdGroup, "Composition"):
			cs, err := decodeCompositions([]Object{o})
			if err != nil {
				return nil, nil, err
			}
			ref := cs[0].ref
			g, _, _ := strings.Cut(ref.APIVersion, "/")
			i := slices.IndexFunc(xrds, func(x *xrd) bool { return x.spec.Group == g && x.spec.Names.Kind == ref.Kind })
			if i < 0 {
				unclaimed = append(unclaimed, fmt.Sprintf("%s: Composition %s composes %s %s, whose XRD is not among the inputs", o.Where, o.Object.GetName(), ref.APIVersion, ref.Kind))
				continue
			}
			apis[i].Compositions = append(apis[i].Compositions, o)
		case o.Object.GetKind() == "APIServiceExportTemplate":
			i := selectedXRD(xrds, selected(o))
			if i < 0 {
				unclaimed = append(unclaimed, fmt.Sprintf("%s: APIServiceExportTemplate %s selects %s, which no XRD among the inputs defines", o.Where, o.Object.GetName(), strings.Join(selected(o), ", ")))
				continue
			}
			apis[i].ExportTemplates = append(apis[i].ExportTemplates, o)
		}
	}
	return apis, unclaimed, nil
}

// selectedXRD finds the XRD a template selects: by group and plural, else the one XRD of the group.
func selectedXRD(xrds []*xrd, sel []string) int {
	for i, x := range xrds {
		for _, gr := range sel {
			g, r, _ := strings.Cut(gr, "/")
			if g == x.spec.Group && (r == x.spec.Names.Plural || (x.spec.ClaimNames != nil && r == x.spec.ClaimNames.Plural)) {
				return i
			}
		}
	}
	found := -1
	for i, x := range xrds {
		for _, gr := range sel {
			if g, _, _ := strings.Cut(gr, "/"); g == x.spec.Group {
				if found >= 0 && found != i {
					return -1
				}
				found = i
			}
		}
	}
	return found
}

func isKind(o Object, group, kind string) bool {
	g, _, _ := strings.Cut(o.Object.GetAPIVersion(), "/")
	return g == group && o.Object.GetKind() == kind
}

// selected lists the group/resource pairs an export template selects: klutch-bind's one
// APIServiceSelector or kube-bind's resources.
func selected(o Object) []string {
	spec := asMap(o.Object.Object["spec"])
	var out []string
	if s := asMap(spec["APIServiceSelector"]); s != nil {
		out = append(out, str(s["group"])+"/"+str(s["resource"]))
	}
	for _, r := range asList(spec["resources"]) {
		m := asMap(r)
		out = append(out, str(m["group"])+"/"+str(m["resource"]))
	}
	return out
}
