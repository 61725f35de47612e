// Package importer reads an existing data service API (an XRD, its Compositions and its
// APIServiceExportTemplate, such as Klutch's hand-written a9s files) and writes the concise
// DataService that regenerates them. It recognises what the generator writes (plan-change rules,
// offerings per composition, parameter keys, the patch patterns of a9s backends) and keeps
// anything else verbatim where the DataService can hold it. It then generates from its result and
// compares with the input, so it can say exactly what, if anything, does not round-trip.
//
// compositions.go is above 450 lines because it is the one reader of what a Composition's
// patch-and-transform input means to a DataService: the patch patterns of claim labels, the
// ProviderConfig, connection secrets, parameters and status each need the others' cases to tell
// them apart.
package importer

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	xv2 "github.com/crossplane/crossplane/apis/v2/apiextensions/v2"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/semantic"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// Input is the API to import.
type Input struct {
	// XRD of the data service.
	XRD *unstructured.Unstructured
	// Compositions of the XRD; others are ignored.
	Compositions []*unstructured.Unstructured
	// ExportTemplate is klutch-bind's template, if any.
	ExportTemplate *unstructured.Unstructured
	// Name of the DataService. Derived from the API when empty.
	Name string
}

// Result is the imported DataService and what import could not express.
type Result struct {
	DataService *v1alpha1.DataService
	// Notes say what was kept verbatim or dropped, each with the path it concerns.
	Notes []string
	// Differences between the input and what the DataService generates, by object; empty when the
	// round trip is exact.
	Differences []string
}

// Exact says whether the DataService regenerates the input exactly.
func (r *Result) Exact() bool { return len(r.Differences) == 0 }

type importer struct {
	in    Input
	line  xpline.Line
	ds    *v1alpha1.DataService
	spec  specSchema
	notes []string
	// pcNames are fixed ProviderConfig names of backends, dropped once the name derives them.
	pcNames []pcName
	// imported are the given Compositions of this XRD.
	imported []*unstructured.Unstructured
}

func (im *importer) note(format string, args ...any) {
	im.notes = append(im.notes, fmt.Sprintf(format, args...))
}

// Import returns the DataService that regenerates the input.
func Import(in Input) (*Result, error) {
	if in.XRD == nil {
		return nil, errors.New("no XRD given: import needs the CompositeResourceDefinition of the data service")
	}
	im := &importer{in: in, ds: &v1alpha1.DataService{
		TypeMeta: metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: v1alpha1.DataServiceKind},
	}}
	x, err := readXRD(in.XRD)
	if err != nil {
		return nil, err
	}
	im.line = x.line
	if err := im.importXRD(x); err != nil {
		return nil, err
	}
	if err := im.importCompositions(x); err != nil {
		return nil, err
	}
	if err := im.importExport(x); err != nil {
		return nil, err
	}
	im.nameIt()
	res := &Result{DataService: im.ds, Notes: im.notes}
	res.Differences = im.compare()
	return res, nil
}

// xrd is what import needs of an XRD of either line.
type xrd struct {
	line                 xpline.Line
	name                 string
	group                string
	names                extv1.CustomResourceDefinitionNames
	claimNames           *extv1.CustomResourceDefinitionNames
	scope                string
	defaultComposition   string
	deletePolicy         string
	connectionSecretKeys []string
	versions             []xrdVersion
}

type xrdVersion struct {
	name               string
	served, ref        bool
	deprecated         bool
	deprecationWarning string
	schema             []byte
	columns            []extv1.CustomResourceColumnDefinition
}

func readXRD(u *unstructured.Unstructured) (*xrd, error) {
	l, ok := xpline.OfXRD(u.GetAPIVersion())
	if !ok {
		return nil, errors.Errorf("%s %s is not a CompositeResourceDefinition (apiextensions.crossplane.io/v1 or v2)", u.GetAPIVersion(), u.GetKind())
	}
	x := &xrd{name: u.GetName(), line: l}
	// An apiextensions.crossplane.io/v2 XRD has every field of a v1 one: one type reads both.
	t := &xv2.CompositeResourceDefinition{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, t); err != nil {
		return nil, errors.Wrapf(err, "cannot read XRD %s", u.GetName())
	}
	x.group, x.names, x.claimNames, x.scope = t.Spec.Group, t.Spec.Names, t.Spec.ClaimNames, string(t.Spec.Scope)
	if t.Spec.DefaultCompositionRef != nil {
		x.defaultComposition = t.Spec.DefaultCompositionRef.Name
	}
	if t.Spec.DefaultCompositeDeletePolicy != nil {
		x.deletePolicy = string(*t.Spec.DefaultCompositeDeletePolicy)
	}
	x.connectionSecretKeys = t.Spec.ConnectionSecretKeys
	for _, v := range t.Spec.Versions {
		var schema []byte
		if v.Schema != nil {
			schema = v.Schema.OpenAPIV3Schema.Raw
		}
		x.versions = append(x.versions, xrdVersion{name: v.Name, served: v.Served, ref: v.Referenceable,
			deprecated: v.Deprecated != nil && *v.Deprecated, deprecationWarning: deref(v.DeprecationWarning),
			schema: schema, columns: v.AdditionalPrinterColumns})
	}
	if x.line.Claims && x.claimNames == nil {
		return nil, errors.Errorf("XRD %s offers no claims: on Crossplane v1 a DataService API is claimed by app developers (claimNames); use an apiextensions.crossplane.io/v2 XRD for claim-less APIs", u.GetName())
	}
	if !x.line.Claims {
		x.claimNames = nil
	}
	if len(x.versions) == 0 {
		return nil, errors.Errorf("XRD %s has no versions", u.GetName())
	}
	return x, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (im *importer) importXRD(x *xrd) error {
	s := &im.ds.Spec
	s.CrossplaneVersion = x.line.Name
	s.Group = x.group
	user := x.names
	if x.line.Claims {
		user = *x.claimNames
		if x.names.Kind != "X"+user.Kind || x.names.Plural != "x"+user.Plural {
			s.Composite = &v1alpha1.Names{Kind: x.names.Kind, Plural: x.names.Plural}
		}
		if len(x.names.Categories) > 0 || len(x.names.ShortNames) > 0 {
			im.note("dropped spec.names categories and shortNames of the composite: a DataService gives them to the claim")
		}
	} else if x.scope != "" && x.scope != v1alpha1.ScopeNamespaced {
		s.Scope = x.scope
	}
	s.Kind = user.Kind
	if user.Plural != strings.ToLower(user.Kind)+"s" {
		s.Plural = user.Plural
	}
	s.Categories, s.ShortNames = user.Categories, user.ShortNames
	s.DeletePolicy = x.deletePolicy
	s.ConnectionSecretKeys = x.connectionSecretKeys
	s.DefaultComposition = x.defaultComposition

	var ref *xrdVersion
	for i, v := range x.versions {
		if v.ref {
			ref = &x.versions[i]
		}
	}
	if ref == nil {
		ref = &x.versions[len(x.versions)-1]
	}
	if !(len(x.versions) == 1 && x.versions[0].name == "v1" && x.versions[0].served && x.versions[0].ref && !x.versions[0].deprecated) {
		for _, v := range x.versions {
			av := v1alpha1.APIVersion{Name: v.name, Referenceable: v.ref, Deprecated: v.deprecated, DeprecationWarning: v.deprecationWarning}
			if !v.served {
				av.Served = ptrTo(false)
			}
			s.Versions = append(s.Versions, av)
			if string(v.schema) != string(ref.schema) {
				im.note("spec.versions[%s].schema: differs from the referenceable version's; a DataService serves one schema in every version, that of %s", v.name, ref.name)
			}
		}
	}
	for _, c := range ref.columns {
		s.PrinterColumns = append(s.PrinterColumns, v1alpha1.PrinterColumn{Name: c.Name, Type: c.Type, JSONPath: c.JSONPath, Description: c.Description, Priority: c.Priority})
	}

	var raw map[string]any
	if err := json.Unmarshal(ref.schema, &raw); err != nil {
		return errors.Wrapf(err, "cannot read the schema of XRD %s", x.name)
	}
	if _, ok := raw["supported"]; ok {
		im.note("dropped openAPIV3Schema.supported: not part of the schema (it only carries YAML anchors)")
	}
	schema := &extv1.JSONSchemaProps{}
	if err := json.Unmarshal(ref.schema, schema); err != nil {
		return errors.Wrapf(err, "cannot read the schema of XRD %s", x.name)
	}
	return im.importSchema(schema)
}

func ptrTo[T any](v T) *T { return &v }

// specSchema is the spec of the XRD schema split in what a DataService declares.
type specSchema struct {
	service, plan *extv1.JSONSchemaProps
	rules         []extv1.ValidationRule
}

func (im *importer) importSchema(root *extv1.JSONSchemaProps) error {
	s := &im.ds.Spec
	spec, ok := root.Properties["spec"]
	if !ok {
		return errors.New("the XRD schema has no spec")
	}
	for k := range root.Properties {
		if k != "spec" && k != "status" {
			im.note("dropped openAPIV3Schema.properties.%s: a DataService declares spec and status only", k)
		}
	}
	if st, ok := root.Properties["status"]; ok {
		want := extv1.JSONSchemaProps{Type: "object", Properties: map[string]extv1.JSONSchemaProps{"managed": {Type: "object", XPreserveUnknownFields: ptrTo(true)}}}
		if d, _ := semantic.Diff(st, want); d != "" {
			im.note("replaced openAPIV3Schema.properties.status by status.managed (preserving unknown fields), where generated Compositions write backend status")
		}
	}
	if root.Description != "" || len(root.XValidations) > 0 {
		im.note("dropped the description and rules of the schema root: a DataService declares rules on spec")
	}
	if spec.Type != "" && spec.Type != "object" {
		return errors.Errorf("spec has type %q, want object", spec.Type)
	}
	if spec.Description != "" {
		im.note("dropped the description of spec")
	}
	im.spec = specSchema{rules: spec.XValidations}
	required := slices.Clone(spec.Required)
	names := make([]string, 0, len(spec.Properties))
	for n := range spec.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	// Required fields keep the order of spec.required, which the generator writes in field order.
	order := func(n string) int {
		if i := slices.Index(required, n); i >= 0 {
			return i
		}
		return len(required)
	}
	sort.SliceStable(names, func(i, j int) bool { return order(names[i]) < order(names[j]) })
	for _, n := range names {
		p := spec.Properties[n]
		switch n {
		case "service":
			im.spec.service = &p
			if p.Description != "" {
				s.Service = &v1alpha1.ServiceField{Description: p.Description}
			}
			switch {
			case len(p.XValidations) == 1 && semantic.CanonicalCEL(p.XValidations[0].Rule) == semantic.CanonicalCEL("self == oldSelf") && p.XValidations[0].Message == "Service is an immutable field":
			case len(p.XValidations) == 0:
				if s.Service == nil {
					s.Service = &v1alpha1.ServiceField{}
				}
				s.Service.Mutable = true
			default:
				im.note("dropped the rules of spec.service other than immutability")
			}
			continue
		case "plan":
			im.spec.plan = &p
			s.Plan = &v1alpha1.PlanField{Description: p.Description}
			for _, r := range p.XValidations {
				s.Plan.Changes = append(s.Plan.Changes, recognisePlanChange(r))
			}
			continue
		case "parameters":
			raw, err := json.Marshal(p)
			if err != nil {
				return err
			}
			s.Parameters = &v1alpha1.Parameters{Schema: runtime.RawExtension{Raw: raw}}
			continue
		}
		raw, err := json.Marshal(p)
		if err != nil {
			return err
		}
		s.Fields = append(s.Fields, v1alpha1.Field{Name: n, Required: slices.Contains(required, n), Schema: runtime.RawExtension{Raw: raw}})
	}
	return nil
}

var (
	termRe = regexp.MustCompile(`!\(self\.contains\("([^"\\]*)"\) && oldSelf\.contains\("([^"\\]*)"\)\)`)
	keepRe = regexp.MustCompile(`^oldSelf\.contains\("([^"\\]*)"\) == self\.contains\("([^"\\]*)"\)$`)
	spaces = regexp.MustCompile(`\s+`)
)

// canon is a CEL rule in canonical form on one line.
func canon(rule string) string { return spaces.ReplaceAllString(semantic.CanonicalCEL(rule), " ") }

// recognisePlanChange finds the declaration whose generated rule is r, else keeps r verbatim.
func recognisePlanChange(r extv1.ValidationRule) v1alpha1.PlanChange {
	c := canon(r.Rule)
	var candidates []v1alpha1.PlanChange
	switch {
	case c == "self == oldSelf":
		candidates = append(candidates, v1alpha1.PlanChange{Immutable: true})
	case keepRe.MatchString(c):
		m := keepRe.FindStringSubmatch(c)
		candidates = append(candidates, v1alpha1.PlanChange{Keep: &v1alpha1.Keep{Feature: m[1]}})
		if l := labelFromMessage(r.Message); l != "" {
			candidates = append(candidates, v1alpha1.PlanChange{Keep: &v1alpha1.Keep{Feature: m[1], Label: l}})
		}
	default:
		terms := termRe.FindAllStringSubmatch(c, -1)
		if len(terms) == 0 {
			break
		}
		if len(terms) == 1 && r.Message != generator.MsgNoDownsizing {
			candidates = append(candidates, v1alpha1.PlanChange{OneWay: &v1alpha1.OneWay{From: terms[0][1], To: terms[0][2]}})
		}
		if n := sizesFrom(terms); n != nil {
			candidates = append(candidates, v1alpha1.PlanChange{NoDownsizing: n})
		}
	}
	for _, cand := range candidates {
		rule, msg := generator.PlanChangeRule(cand)
		if canon(rule) != c {
			continue
		}
		if msg != r.Message {
			cand.Message = r.Message
		}
		return cand
	}
	return v1alpha1.PlanChange{Rule: r.Rule, Message: r.Message}
}

var keepMsg = regexp.MustCompile(`^Plan migrations not possible from Non-(.+) to (.+) and (.+) to Non-(.+)$`)

func labelFromMessage(m string) string {
	if g := keepMsg.FindStringSubmatch(m); g != nil && g[1] == g[2] && g[2] == g[3] && g[3] == g[4] {
		return g[1]
	}
	return ""
}

// sizesFrom rebuilds the size order and the sizes a no-downsizing rule covers from its terms
// "!(self.contains(small) && oldSelf.contains(big))".
func sizesFrom(terms [][]string) *v1alpha1.NoDownsizing {
	var to []string
	bigger := map[string][]string{}
	for _, t := range terms {
		if !slices.Contains(to, t[1]) {
			to = append(to, t[1])
		}
		bigger[t[1]] = append(bigger[t[1]], t[2])
	}
	// Order the sizes so that each covered size comes before those bigger than it and the bigger
	// ones keep the order the rule lists them in (a topological sort, ties by first appearance).
	var seen []string
	after := map[string][]string{}
	edge := func(a, b string) { after[a] = append(after[a], b) }
	for _, small := range to {
		seen = appendNew(seen, small)
		prev := small
		for i, b := range bigger[small] {
			seen = appendNew(seen, b)
			edge(small, b)
			if i > 0 {
				edge(prev, b)
			}
			prev = b
		}
	}
	indeg := map[string]int{}
	for _, bs := range after {
		for _, b := range bs {
			indeg[b]++
		}
	}
	var sizes []string
	for len(sizes) < len(seen) {
		next := ""
		for _, c := range seen {
			if indeg[c] == 0 && !slices.Contains(sizes, c) {
				next = c
				break
			}
		}
		if next == "" {
			return nil // contradictory terms: not a size order
		}
		sizes = append(sizes, next)
		for _, b := range after[next] {
			indeg[b]--
		}
	}
	n := &v1alpha1.NoDownsizing{Sizes: sizes}
	if !slices.Equal(to, sizes[:len(sizes)-1]) {
		n.To = to
	}
	return n
}

func appendNew(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}
