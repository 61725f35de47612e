package scaffold

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/backendcrd"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

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
	for _, k := range sortedKeys(tree) {
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

// scalar writes a value as YAML on one line: a string plain when YAML reads it back as the same
// string, else quoted; anything else as JSON, which YAML reads.
func scalar(v any) string {
	if s, ok := v.(string); ok {
		if plain.MatchString(s) {
			var back any
			if yaml.Unmarshal([]byte(s), &back) == nil && back == s {
				return s
			}
		}
		return jsonText(s)
	}
	return jsonText(v)
}

// jsonText is v as JSON, without escaping <, > and & (YAML reads them as they are).
func jsonText(v any) string {
	var b strings.Builder
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	_ = e.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}

// flow writes a value as YAML on one line, objects and lists in flow style.
func flow(v any) string {
	switch x := v.(type) {
	case map[string]any:
		parts := make([]string, 0, len(x))
		for _, k := range sortedKeys(x) {
			parts = append(parts, scalar(k)+": "+flow(x[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, flow(e))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return scalar(v)
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// plain are the strings that may go unquoted in a flow mapping.
var plain = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]*$`)

// writer writes YAML lines at an indentation.
type writer struct{ b strings.Builder }

func (w *writer) line(indent int, format string, args ...any) {
	w.b.WriteString(strings.Repeat(" ", indent))
	fmt.Fprintf(&w.b, format, args...)
	w.b.WriteString("\n")
}

// comment writes text as comment lines at an indentation, wrapped at 100 columns.
func (w *writer) comment(indent int, text string) {
	width := 100 - indent - 2
	for _, para := range strings.Split(text, "\n") {
		line := ""
		// A list item's further lines line up with its text.
		hang := ""
		if strings.HasPrefix(para, "- ") {
			hang = "  "
		}
		for _, word := range strings.Fields(para) {
			if line != "" && len(line)+1+len(word) > width {
				w.line(indent, "# %s", line)
				line = hang
			}
			if line != "" && line != hang {
				line += " "
			}
			line += word
		}
		w.line(indent, "# %s", line)
	}
}

// render writes the DataService.
func (d *draft) render() []byte {
	w := &writer{}
	scope := "namespaced"
	if d.crd.Object.Spec.Scope == extv1.ClusterScoped {
		scope = "cluster-scoped"
	}
	w.comment(0, fmt.Sprintf("An internal data service run by an operator, scaffolded by dataservice init from the CRD %s (%s %s, %s), in %s. Every choice is a proposal, commented where it is made: edit the file, then generate it with the same CRD, which checks every path, type and plan against it:",
		d.crd.Object.Name, d.gvk.GroupVersion(), d.gvk.Kind, scope, d.crdFile))
	w.line(0, "#   dataservice generate -f %s.yaml --crd %s -o _output/package", d.name, d.crdFile)
	if len(d.missing) > 0 || len(d.left) > 0 {
		w.line(0, "#")
		w.comment(0, "What the CRD offers nothing to map to, or refuses:")
		for _, m := range append(slices.Clone(d.missing), d.left...) {
			w.comment(0, "- "+m)
		}
	}
	w.line(0, "apiVersion: %s", v1alpha1.GroupVersion)
	w.line(0, "kind: %s", v1alpha1.DataServiceKind)
	w.line(0, "metadata:")
	w.line(2, "name: %s", d.name)
	w.line(0, "spec:")
	switch {
	case d.object:
		w.comment(2, fmt.Sprintf("Crossplane 1.x (Klutch's line): app developers create a namespaced %s claim, and the %s is composed in the claim's namespace inside a provider-kubernetes Object (a 1.x composite is cluster-scoped and cannot compose a namespaced resource). dataservice init --crossplane v2 composes it directly.", d.kind, d.gvk.Kind))
	case d.line == v1alpha1.CrossplaneV1:
		w.comment(2, fmt.Sprintf("Crossplane 1.x (Klutch's line): app developers create a namespaced %s claim; the %s is cluster-scoped, so the composite composes it directly.", d.kind, d.gvk.Kind))
	case d.clusterScope:
		w.comment(2, fmt.Sprintf("Crossplane v2: the %s is cluster-scoped, and a namespaced composite composes only namespaced resources, so the API is cluster-scoped too.", d.gvk.Kind))
	default:
		w.comment(2, fmt.Sprintf("Crossplane v2: app developers create a namespaced %s, and the %s is composed directly in its namespace. dataservice init --crossplane v1 composes it for Crossplane 1.x (Klutch's line) instead.", d.kind, d.gvk.Kind))
	}
	w.line(2, "crossplaneVersion: %s", d.line)
	w.comment(2, "The API app developers use, proposed from the CRD: rename it freely (the group is your organisation's domain).")
	w.line(2, "group: %s", d.group)
	w.line(2, "kind: %s", d.kind)
	if d.clusterScope {
		w.line(2, "scope: %s", v1alpha1.ScopeCluster)
	}
	w.line(2, "printerColumns:")
	w.line(4, "- {name: PLAN, type: string, jsonPath: .spec.plan}")
	for _, s := range d.status {
		name := strings.ToUpper(s.column)
		if name == "" {
			name = strings.ToUpper(s.path[strings.LastIndex(s.path, ".")+1:])
		}
		w.line(4, "- {name: %s, type: %s, jsonPath: .status.managed.%s}", scalar(name), s.typ, s.path[strings.LastIndex(s.path, ".")+1:])
	}
	if d.service != nil {
		w.line(2, "service:")
		w.line(4, "description: %s", scalar("Version of the "+d.gvk.Kind+" servers."))
		w.comment(4, "One service, the CRD's default; add a catalog entry per version you offer.")
		w.line(4, "values:")
		w.line(6, "- {name: %s, description: %s}", d.service.name, scalar(d.service.desc))
		w.line(4, "catalog:")
		w.line(6, "- {name: %s, values: {%s: %s}}", scalar(d.serviceName), d.service.name, scalar(d.service.sizes[0]))
	}
	w.line(2, "plan:")
	w.line(4, "description: %s", scalar("Size of the instance. Plans may grow, never shrink."))
	w.line(4, "changes:")
	w.line(6, "- noDownsizing: {sizes: [%s]}", strings.Join(plans, ", "))
	if len(d.values) > 0 {
		w.comment(4, fmt.Sprintf("What each plan sets on the %s: the fields of the CRD that size an instance. The sizes are a proposal: set yours.", d.gvk.Kind))
		w.line(4, "values:")
		for _, v := range d.values {
			typ := ""
			if v.typ != v1alpha1.ValueTypeString {
				typ = ", type: " + v.typ
			}
			w.line(6, "- {name: %s%s, description: %s}", v.name, typ, scalar(v.desc))
		}
	} else {
		w.comment(4, "The CRD offers no field that sizes an instance (see the top of the file): the plans carry no values. Declare values here and map them in the backend's fields (dataservice explain spec.plan.values).")
	}
	w.line(4, "catalog:")
	for i, p := range plans {
		var vals, desc []string
		for _, v := range d.values {
			vals = append(vals, v.name+": "+scalar(v.sizes[i]))
			desc = append(desc, fmt.Sprintf("%s %v", v.name, v.sizes[i]))
		}
		line := fmt.Sprintf("- {name: %s", p)
		if len(desc) > 0 {
			line += ", description: " + scalar(strings.Join(desc, ", ")+".")
		}
		if len(vals) > 0 {
			line += ", values: {" + strings.Join(vals, ", ") + "}"
		}
		w.line(6, "%s}", line)
	}
	w.line(2, "compositions:")
	w.line(4, "- name: %s", d.name)
	w.line(6, "backend:")
	d.renderBackend(w, 8)
	return []byte(w.b.String())
}

func (d *draft) renderBackend(w *writer, in int) {
	if d.object {
		w.line(in, "apiVersion: %s", ProviderKubernetesObject.GroupVersion())
		w.line(in, "kind: %s", ProviderKubernetesObject.Kind)
	} else {
		w.line(in, "apiVersion: %s", d.gvk.GroupVersion())
		w.line(in, "kind: %s", d.gvk.Kind)
	}
	w.line(in, "base:")
	if len(d.base) == 0 && !d.object {
		w.line(in+2, "spec: {}")
	} else {
		w.line(in+2, "spec:")
	}
	specIn := in + 4
	if d.object {
		w.line(in+4, "forProvider:")
		w.line(in+6, "manifest:")
		w.line(in+8, "apiVersion: %s", d.gvk.GroupVersion())
		w.line(in+8, "kind: %s", d.gvk.Kind)
		specIn = in + 10
		if len(d.base) > 0 {
			w.line(in+8, "spec:")
		}
	}
	for _, r := range d.base {
		w.line(specIn, "%s: %s  # %s", r.name, flow(r.value), r.why)
	}
	if d.object {
		if q := d.celQuery(); q != "" {
			w.comment(in+4, fmt.Sprintf("The Object is ready when the %s is: when %s.", d.gvk.Kind, d.ready.why))
			w.line(in+4, "readiness: {policy: DeriveFromCelQuery, celQuery: %s}", scalar(q))
		}
	}
	if d.object {
		w.line(in, "providerConfig: {name: %s}", KubernetesProviderConfig)
	}
	d.rendered = nil
	if len(d.mappings) == 0 && !d.object {
		w.line(in, "fields: []")
	} else {
		w.line(in, "fields:")
	}
	if d.object {
		w.comment(in+2, fmt.Sprintf("The %s is named after the claim, in the claim's namespace.", d.gvk.Kind))
		w.line(in+2, "- {from: %s, to: spec.forProvider.manifest.metadata.namespace}", scalar(xpline.LabelClaimNamespace))
		w.line(in+2, "- {from: %s, to: spec.forProvider.manifest.metadata.name}", scalar(xpline.LabelClaimName))
		d.rendered = append(d.rendered, -1, -1)
	}
	for i, m := range d.mappings {
		w.line(in+2, "- {value: %s, to: %s}", m.value, scalar(m.to))
		d.rendered = append(d.rendered, i)
	}
	if !d.object {
		switch {
		case d.ready.field != "":
			w.comment(in, "Ready when "+d.ready.why+".")
			w.line(in, "readinessChecks:")
			w.line(in+2, "- {type: MatchTrue, fieldPath: status.%s}", d.ready.field)
		case d.ready.condition != "":
			w.comment(in, "Ready when "+d.ready.why+".")
			w.line(in, "readinessChecks:")
			w.line(in+2, "- {type: MatchCondition, matchCondition: {type: %s, status: \"True\"}}", scalar(d.ready.condition))
		default:
			w.comment(in, "The CRD's status says nothing of readiness: ready once it exists.")
			w.line(in, "readinessChecks:")
			w.line(in+2, "- {type: None}")
		}
	}
	if len(d.status) > 0 {
		w.comment(in, fmt.Sprintf("What the composite shows of the %s's status, below status.managed (the CRD's printer columns).", d.gvk.Kind))
		w.line(in, "status:")
		for _, s := range d.status {
			from := "status." + s.path
			if d.object {
				from = "status.atProvider.manifest." + from
			}
			w.line(in+2, "- {from: %s}", from)
		}
	}
}

// celQuery is provider-kubernetes' readiness query of the CR, "" when the CRD says nothing of
// readiness.
func (d *draft) celQuery() string {
	switch {
	case d.ready.field != "":
		return fmt.Sprintf("has(object.status) && has(object.status.%s) && object.status.%s == true", d.ready.field, d.ready.field)
	case d.ready.condition != "":
		return fmt.Sprintf("has(object.status) && has(object.status.conditions) && object.status.conditions.exists(c, c.type == '%s' && c.status == 'True')", d.ready.condition)
	}
	return ""
}
