package generator

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	ptv1beta1 "github.com/crossplane-contrib/function-patch-and-transform/input/v1beta1"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/backendcrd"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// The composed resources checked against their kinds' CRDs (internal/backendcrd): each backend
// and further resource as its template composes it, where each patch comes from in the
// DataService, and the composite an instance of every plan and service the composition offers
// makes, so that the object composed for each is validated as the API server validates it.

// Sample names of the instance whose composites are checked: what an app developer's claim (or
// namespaced composite) would be called.
const (
	sampleName      = "example"
	sampleNamespace = "default"
)

// checkBackends checks what the Compositions compose against the CRDs the caller gave. Without
// CRDs nothing is composed to check: the kinds are listed unchecked, at no cost to the generator's
// hot path.
func checkBackends(ctx context.Context, m *model) backendcrd.Result {
	if m.crds.Len() == 0 {
		var res backendcrd.Result
		for _, k := range m.composedKinds() {
			gvk := schema.GroupVersionKind{Group: k.group, Version: k.version, Kind: k.kind}
			if !slices.Contains(res.Unchecked, gvk) {
				res.Unchecked = append(res.Unchecked, gvk)
			}
		}
		return res
	}
	return backendcrd.Check(ctx, m.crds, m.composedResources())
}

// composedResources describes every resource the generated Compositions compose.
func (m *model) composedResources() []backendcrd.Resource {
	xr, _ := m.xrdSchema()
	var out []backendcrd.Resource
	for i := range m.compositions {
		c := &m.compositions[i]
		if c.backend == nil {
			continue
		}
		composites := m.sampleComposites(c)
		bp := field.NewPath("spec", "compositions").Index(c.index).Child("backend")
		t, origins := m.backendTemplateOrigins(c)
		r := m.describe(bp, t.Base.Raw, t.Patches, origins, t.ReadinessChecks, t.ConnectionDetails, composites, xr)
		if !hasPath(c.backend.base, "spec", "providerConfigRef", "name") && hasPath(r.Base, "spec", "providerConfigRef", "name") {
			r.Implied = map[string]*field.Path{"spec.providerConfigRef.name": bp.Child("providerConfig")}
		}
		out = append(out, r)
		for j := range c.resources {
			rp := field.NewPath("spec", "compositions").Index(c.index).Child("resources").Index(j)
			t, origins := m.resourceTemplateOrigins(c, &c.resources[j])
			out = append(out, m.describe(rp, t.Base.Raw, t.Patches, origins, t.ReadinessChecks, t.ConnectionDetails, composites, xr))
		}
	}
	return out
}

func (m *model) describe(p *field.Path, base []byte, patches []ptv1beta1.ComposedPatch, origins []origin, rcs []ptv1beta1.ReadinessCheck, cds []ptv1beta1.ConnectionDetail, composites []backendcrd.Composite, xr *extv1.JSONSchemaProps) backendcrd.Resource {
	r := backendcrd.Resource{Path: p, ReadinessPath: p.Child("readinessChecks"), Composites: composites, CompositeSchema: xr}
	_ = json.Unmarshal(base, &r.Base) // rawBase marshalled it
	for k, pt := range patches {
		o := origins[k]
		bp := backendcrd.Patch{Path: o.path, Field: o.child, Source: o.value, Patch: pt}
		if what, name, ok := valueRef(o.value); ok {
			cat := m.planCatalog
			if what == "service" {
				cat = m.serviceCatalog
			}
			if i := slices.IndexFunc(cat.decls, func(d v1alpha1.ValueDeclaration) bool { return d.Name == name }); i >= 0 {
				bp.Declared = cat.path.Child("values").Index(i)
				bp.Source += ", declared type: " + cat.decls[i].Type
			}
		}
		r.Patches = append(r.Patches, bp)
	}
	for j, rc := range rcs {
		r.ReadinessChecks = append(r.ReadinessChecks, backendcrd.ReadinessCheck{Path: p.Child("readinessChecks").Index(j), Check: rc})
	}
	for j, cd := range cds {
		r.ConnectionDetails = append(r.ConnectionDetails, backendcrd.ConnectionDetail{Path: p.Child("connectionDetails").Index(j), Detail: cd})
	}
	return r
}

// sampleComposites are the composites an instance of each plan and service the composition
// offers makes: what its patches read.
func (m *model) sampleComposites(c *resolvedComposition) []backendcrd.Composite {
	plans, services := c.offers.Plans, c.offers.Services
	if len(plans) == 0 {
		plans = []string{""}
	}
	if len(services) == 0 {
		services = []string{""}
	}
	var out []backendcrd.Composite
	for _, s := range services {
		for _, p := range plans {
			spec := map[string]any{"compositionRef": map[string]any{"name": c.spec.Name}}
			var label []string
			if p != "" {
				spec["plan"] = p
				label = append(label, "plan "+p)
			}
			if s != "" {
				spec["service"] = s
				label = append(label, "service "+s)
			}
			meta := map[string]any{"name": sampleName}
			if m.Line.Claims {
				meta["name"] = sampleName + "-x7k2p"
				meta["labels"] = map[string]any{
					labelKey(xpline.LabelClaimName):      sampleName,
					labelKey(xpline.LabelClaimNamespace): sampleNamespace,
				}
			} else if m.Scope != v1alpha1.ScopeCluster {
				meta["namespace"] = sampleNamespace
			}
			out = append(out, backendcrd.Composite{
				Label: strings.Join(label, ", "),
				Object: map[string]any{
					"apiVersion": schema.GroupVersion{Group: m.Group, Version: m.Referenceable()}.String(),
					"kind":       m.CompositeKind,
					"metadata":   meta,
					"spec":       spec,
				},
			})
		}
	}
	return out
}

// labelKey is the key of a label field path: metadata.labels[crossplane.io/claim-name] holds
// crossplane.io/claim-name.
func labelKey(path string) string {
	k := strings.TrimPrefix(path, "metadata.labels[")
	return strings.TrimSuffix(k, "]")
}

// CRDRef names the CRD of a composed kind: what the composition function asks Crossplane for.
type CRDRef struct {
	// Name of the CRD: resource.group, the resource Kubernetes' convention gives the kind.
	Name string
	// Kind is the composed kind.
	Kind schema.GroupVersionKind
}

// CRDsOf lists the CRDs of the kinds a DataService composes (backends, further resources, the
// manifests of provider-kubernetes Objects), each once, in the spec's order; Kubernetes' built-in
// kinds have none. A DataService that does not resolve composes nothing to list.
func CRDsOf(ds *v1alpha1.DataService, d inputv1beta1.Defaults) []CRDRef {
	if errs := checkLimits(ds); len(errs) > 0 {
		return nil
	}
	m := resolve(ds, d.WithFallbacks())
	builtin := builtinKinds()
	var out []CRDRef
	for _, k := range m.composedKinds() {
		gvk := schema.GroupVersionKind{Group: k.group, Version: k.version, Kind: k.kind}
		if _, ok := builtin[gvk.GroupKind()]; ok {
			continue
		}
		r := CRDRef{Name: k.resource() + "." + k.group, Kind: gvk}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// builtinKinds are the kinds kube-apiserver serves built in (scopes.yaml): they have no CRD.
var builtinKinds = sync.OnceValue(func() Scopes {
	s, err := ParseScopes(builtinScopesYAML)
	if err != nil {
		panic(fmt.Sprintf("embedded %s: %v", BuiltinScopesFile, err)) // a test reads it too
	}
	return s
})
