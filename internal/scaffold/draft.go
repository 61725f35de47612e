package scaffold

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/backendcrd"
)

// The DataService FromCRD writes, as choices before they are rendered: the API's names, the plan
// values and their mappings, the base, readiness and status, and what the CRD offers nothing for.

// draft is the DataService FromCRD writes, before it is rendered.
type draft struct {
	// name, group and kind of the API.
	name, group, kind string
	line              string
	// object says the CR is composed inside a provider-kubernetes Object (Crossplane 1.x and a
	// namespaced CR); clusterScope that the composite is cluster-scoped (v2 and a cluster-scoped CR).
	object, clusterScope bool
	crd                  *backendcrd.CRD
	crdFile              string
	gvk                  schema.GroupVersionKind
	values               []planValue
	service              *planValue
	serviceName          string
	mappings             []mapping
	base                 []requiredField
	ready                readiness
	status               []statusField
	// notes are for stderr; missing says in the file what the CRD offers nothing for; left what
	// the self-check left out.
	notes, missing, left []string
	// rendered maps each rendered backend mapping to its index in mappings (-1: fixed ones).
	rendered []int
}

// planValue is a value every plan (or the service) carries.
type planValue struct {
	name, typ, desc string
	// sizes are the values of the plans small, medium and large (one value for a service).
	sizes []any
}

// mapping maps a catalog value to a field of the CR: path in the CR, to as the backend writes it.
type mapping struct {
	value, to string
	path      fieldpath.Segments
}

// plans are the plan names of the catalog, smallest first.
var plans = []string{"small", "medium", "large"}

// genericKinds are kinds that name no data service on their own.
var genericKinds = []string{"Cluster", "Instance", "Database", "Server", "Deployment", "Service", "Cache", "Store"}

func capitalize(s string) string {
	var b strings.Builder
	upper := true
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			upper = true
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
			upper = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// apiKind proposes the kind app developers create: the CR's kind and Instance (ValkeyInstance),
// with the group's first label before a kind that names no data service (Cluster of
// postgresql.cnpg.io: PostgresqlInstance).
func apiKind(gvk schema.GroupVersionKind) string {
	base := gvk.Kind
	if slices.Contains(genericKinds, base) {
		base = capitalize(strings.SplitN(gvk.Group, ".", 2)[0])
	}
	if strings.HasSuffix(base, "Instance") {
		return base
	}
	return base + "Instance"
}

var nonToken = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// serviceName names the one service of the catalog after its image or version.
func serviceName(image string) string {
	n := image[strings.LastIndex(image, "/")+1:]
	n = strings.Trim(nonToken.ReplaceAllString(strings.ReplaceAll(n, ":", "-"), "-"), "-.")
	if n == "" {
		return "default"
	}
	if n[0] >= '0' && n[0] <= '9' {
		n = "v" + n
	}
	return n
}

func newDraft(c *backendcrd.CRD, gvk schema.GroupVersionKind, f findings, o Options) *draft {
	kind := apiKind(gvk)
	d := &draft{
		name: strings.ToLower(strings.TrimSuffix(kind, "Instance")), group: o.Group, kind: kind, line: o.Line,
		crd: c, crdFile: o.CRDFile, gvk: gvk, ready: f.ready, status: f.status,
	}
	namespaced := c.Object.Spec.Scope != extv1.ClusterScoped
	d.object = o.Line == v1alpha1.CrossplaneV1 && namespaced
	d.clusterScope = o.Line == v1alpha1.CrossplaneV2 && !namespaced

	for _, r := range f.replicas {
		start := int64(1)
		switch {
		case r.def != nil:
			start = *r.def
		case r.min != nil:
			start = *r.min
		}
		var sizes []any
		for i := range plans {
			n := start + int64(i)
			if r.max != nil && n > *r.max {
				n = *r.max
			}
			sizes = append(sizes, n)
		}
		desc := fmt.Sprintf("%s of the %s", r.path, gvk.Kind)
		if r.def != nil {
			desc += fmt.Sprintf(" (the CRD's default: %d)", *r.def)
		}
		d.values = append(d.values, planValue{name: r.name, typ: v1alpha1.ValueTypeInteger, desc: desc, sizes: sizes})
		d.mappings = append(d.mappings, mapping{value: "plan." + r.name, to: d.prefixed(r.path), path: r.path})
	}
	if f.resources != nil {
		at := func(parts ...string) fieldpath.Segments {
			p := slices.Clone(f.resources)
			for _, s := range parts {
				p = append(p, fieldpath.Field(s))
			}
			return p
		}
		d.values = append(d.values,
			planValue{name: "cpu", typ: v1alpha1.ValueTypeString, desc: fmt.Sprintf("CPU each server requests (%s.requests.cpu)", f.resources), sizes: []any{"500m", "1", "2"}},
			planValue{name: "memory", typ: v1alpha1.ValueTypeString, desc: fmt.Sprintf("Memory of each server, requested and its limit (%s)", f.resources), sizes: []any{"1Gi", "4Gi", "16Gi"}},
		)
		for _, m := range []struct{ value, kind, what string }{{"cpu", "requests", "cpu"}, {"memory", "requests", "memory"}, {"memory", "limits", "memory"}} {
			p := at(m.kind, m.what)
			d.mappings = append(d.mappings, mapping{value: "plan." + m.value, to: d.prefixed(p), path: p})
		}
	} else {
		d.missing = append(d.missing, "no CPU or memory: the CRD has no resources field of Kubernetes' shape (requests and limits)")
	}
	switch {
	case f.storage != nil && (f.storageType == "string" || f.storageType == "int-or-string"):
		d.values = append(d.values, planValue{name: "storage", typ: v1alpha1.ValueTypeString, desc: fmt.Sprintf("Volume size of each server (%s)", f.storage), sizes: []any{"5Gi", "10Gi", "50Gi"}})
		d.mappings = append(d.mappings, mapping{value: "plan.storage", to: d.prefixed(f.storage), path: f.storage})
	case f.storage != nil:
		d.missing = append(d.missing, fmt.Sprintf("no storage: %s is %s, not a quantity: map a value of its unit to it", f.storage, article(f.storageType)))
	default:
		d.missing = append(d.missing, "no storage: the CRD has no volume size (a size or storage field below a storage, persistence or volume field, or a PersistentVolumeClaim's requests)")
	}
	if len(f.replicas) == 0 {
		d.missing = append(d.missing, fmt.Sprintf("no count of servers: the CRD's spec has none of the fields %s", strings.Join(replicaNames, ", ")))
	}
	switch {
	case f.image != nil && f.imageDefault != "":
		name := f.image[len(f.image)-1].Field
		if name == "imageName" {
			name = "image"
		}
		d.service = &planValue{name: name, typ: v1alpha1.ValueTypeString, desc: fmt.Sprintf("%s of the %s", f.image, gvk.Kind), sizes: []any{f.imageDefault}}
		d.serviceName = serviceName(f.imageDefault)
		d.mappings = append(d.mappings, mapping{value: "service." + name, to: d.prefixed(f.image), path: f.image})
	case f.image != nil:
		d.missing = append(d.missing, fmt.Sprintf("no service: %s has no default, so the operator picks the version; to offer versions, add spec.service with values [{name: image}] and a catalog of images, and map {value: service.image, to: %s}", f.image, d.prefixed(f.image)))
	}
	// The base: what the CRD requires of spec, and of every object the mappings write into on
	// their way (a list of server groups needs an item with its required fields); a field a
	// mapping sets itself needs nothing there.
	tree := map[string]any{}
	why := map[string]string{}
	var order []string
	for _, r := range f.required {
		if slices.ContainsFunc(d.mappings, func(m mapping) bool { return m.path.String() == "spec."+r.name }) {
			continue
		}
		tree[r.name], why[r.name] = r.value, r.why
		order = append(order, r.name)
	}
	mapped := map[string]bool{}
	for _, m := range d.mappings {
		mapped[m.path.String()] = true
	}
	for _, m := range d.mappings {
		requiredAlong(f.spec, m.path, tree, mapped)
	}
	prune(tree)
	for _, k := range slices.Sorted(maps.Keys(tree)) {
		if !slices.Contains(order, k) {
			order = append(order, k)
			why[k] = "required by the CRD where the plans' values go"
		}
	}
	for _, k := range order {
		if v, ok := tree[k]; ok {
			d.base = append(d.base, requiredField{name: k, value: v, why: why[k]})
		}
	}
	if d.ready.field == "" && d.ready.condition == "" {
		d.missing = append(d.missing, "no readiness: the CRD's status has no ready field and no conditions, so the composite is ready once the CR exists")
	}
	return d
}

func article(t string) string {
	if t == "integer" || t == "object" || t == "array" {
		return "an " + t
	}
	return "a " + t
}
