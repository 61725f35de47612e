// Package importer reads an existing data service API (an XRD, its Compositions and its
// APIServiceExportTemplate, such as Klutch's hand-written a9s files) and writes the concise
// DataService that regenerates them. It recognises what the generator writes (plan-change rules,
// offerings per composition, parameter keys, the patch patterns of a9s backends) and keeps
// anything else verbatim where the DataService can hold it. It then generates from its result and
// compares with the input, so it can say exactly what, if anything, does not round-trip.
//
// What the API offers (services and plans per composition, hidden plans, plan-change rules, the
// default composition, parameters only one composition takes) is the resolved API read back from
// the XRD (generator.ReadAPI), the one reader that decides it; importer.go reads the rest of the
// XRD, compositions.go the Compositions, patches.go their patches, naming.go the name and the
// export template, compare.go the round trip.
package importer

import (
	"encoding/json"
	"fmt"
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
	"github.com/function-dataservice/function-dataservice/internal/resolved"
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

// Comparison says what "regenerates the input" means: how Exact compares (package semantic).
const Comparison = "every object equal as parsed YAML; CEL rules compared as parsed expressions, patches that write different fields in any order"

// Exact says whether the DataService regenerates the input, compared as Comparison says.
func (r *Result) Exact() bool { return len(r.Differences) == 0 }

type importer struct {
	in   Input
	line xpline.Line
	ds   *v1alpha1.DataService
	spec specSchema
	// api is the resolved API the XRD says, and rules its spec-level rules that are not the API's
	// offerings: kept verbatim.
	api   *resolved.API
	rules []extv1.ValidationRule
	notes []string
	// pcNames are fixed ProviderConfig names of backends, dropped once the name derives them.
	pcNames []pcName
	// imported are the given Compositions of this XRD.
	imported []*unstructured.Unstructured
	// paramsLaid says a Composition has set the parameters' key style and keys: another that
	// names them otherwise maps its parameters under its own fields.
	paramsLaid bool
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
	x, line, err := readXRD(in.XRD)
	if err != nil {
		return nil, err
	}
	im.line = line
	if im.api, im.rules, err = generator.ReadAPI(in.XRD, in.Compositions); err != nil {
		return nil, err
	}
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

// readXRD reads an XRD of either line into Crossplane's own type. An apiextensions.crossplane.io/v2
// XRD has every field of a v1 one, so one type reads both; claimNames are dropped on a line
// without claims.
func readXRD(u *unstructured.Unstructured) (*xv2.CompositeResourceDefinition, xpline.Line, error) {
	l, ok := xpline.OfXRD(u.GetAPIVersion())
	if !ok {
		return nil, l, errors.Errorf("%s %s is not a CompositeResourceDefinition (apiextensions.crossplane.io/v1 or v2)", u.GetAPIVersion(), u.GetKind())
	}
	x := &xv2.CompositeResourceDefinition{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, x); err != nil {
		return nil, l, errors.Wrapf(err, "cannot read XRD %s", u.GetName())
	}
	if l.Claims && x.Spec.ClaimNames == nil {
		return nil, l, errors.Errorf("XRD %s offers no claims: on Crossplane v1 a DataService API is claimed by app developers (claimNames); use an apiextensions.crossplane.io/v2 XRD for claim-less APIs", u.GetName())
	}
	if !l.Claims {
		x.Spec.ClaimNames = nil
	}
	if len(x.Spec.Versions) == 0 {
		return nil, l, errors.Errorf("XRD %s has no versions", u.GetName())
	}
	return x, l, nil
}

// schemaOf is the raw openAPIV3Schema of an XRD version, nil when it has none.
func schemaOf(v xv2.CompositeResourceDefinitionVersion) []byte {
	if v.Schema == nil {
		return nil
	}
	return v.Schema.OpenAPIV3Schema.Raw
}

func (im *importer) importXRD(x *xv2.CompositeResourceDefinition) error {
	s := &im.ds.Spec
	xs := &x.Spec
	s.CrossplaneVersion = im.line.Name
	s.Group = xs.Group
	user := xs.Names
	if im.line.Claims {
		user = *xs.ClaimNames
		if xs.Names.Kind != "X"+user.Kind || xs.Names.Plural != "x"+user.Plural {
			s.Composite = &v1alpha1.Names{Kind: xs.Names.Kind, Plural: xs.Names.Plural}
		}
		if len(xs.Names.Categories) > 0 || len(xs.Names.ShortNames) > 0 {
			im.note("dropped spec.names categories and shortNames of the composite: a DataService gives them to the claim")
		}
	} else if xs.Scope != "" && string(xs.Scope) != v1alpha1.ScopeNamespaced {
		s.Scope = string(xs.Scope)
	}
	s.Kind = user.Kind
	if user.Plural != strings.ToLower(user.Kind)+"s" {
		s.Plural = user.Plural
	}
	s.Categories, s.ShortNames = user.Categories, user.ShortNames
	if p := xs.DefaultCompositeDeletePolicy; p != nil {
		s.DeletePolicy = string(*p)
	}
	s.ConnectionSecretKeys = xs.ConnectionSecretKeys
	s.DefaultComposition = defaultComposition(x)

	vs := xs.Versions
	ref := &vs[len(vs)-1]
	for i := range vs {
		if vs[i].Referenceable {
			ref = &vs[i]
		}
	}
	if !(len(vs) == 1 && vs[0].Name == "v1" && vs[0].Served && vs[0].Referenceable && !isTrue(vs[0].Deprecated)) {
		for _, v := range vs {
			av := v1alpha1.APIVersion{Name: v.Name, Referenceable: v.Referenceable, Deprecated: isTrue(v.Deprecated), DeprecationWarning: deref(v.DeprecationWarning)}
			if !v.Served {
				av.Served = ptrTo(false)
			}
			s.Versions = append(s.Versions, av)
			if string(schemaOf(v)) != string(schemaOf(*ref)) {
				im.note("spec.versions[%s].schema: differs from the referenceable version's; a DataService serves one schema in every version, that of %s", v.Name, ref.Name)
			}
		}
	}
	for _, c := range ref.AdditionalPrinterColumns {
		s.PrinterColumns = append(s.PrinterColumns, v1alpha1.PrinterColumn{Name: c.Name, Type: c.Type, JSONPath: c.JSONPath, Description: c.Description, Priority: c.Priority})
	}

	schemaRaw := schemaOf(*ref)
	var raw map[string]any
	if err := json.Unmarshal(schemaRaw, &raw); err != nil {
		return errors.Wrapf(err, "cannot read the schema of XRD %s", x.GetName())
	}
	if _, ok := raw["supported"]; ok {
		im.note("dropped openAPIV3Schema.supported: not part of the schema (it only carries YAML anchors)")
	}
	schema := &extv1.JSONSchemaProps{}
	if err := json.Unmarshal(schemaRaw, schema); err != nil {
		return errors.Wrapf(err, "cannot read the schema of XRD %s", x.GetName())
	}
	return im.importSchema(schema)
}

func ptrTo[T any](v T) *T { return &v }

func isTrue(b *bool) bool { return b != nil && *b }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// defaultComposition is the Composition the XRD selects for instances that name none, "" for none.
func defaultComposition(x *xv2.CompositeResourceDefinition) string {
	if r := x.Spec.DefaultCompositionRef; r != nil {
		return r.Name
	}
	return ""
}

// specSchema is the spec of the XRD schema split in what a DataService declares.
type specSchema struct {
	service, plan *extv1.JSONSchemaProps
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
	im.spec = specSchema{}
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
			if im.api.Service != nil && im.api.Service.Mutable {
				if s.Service == nil {
					s.Service = &v1alpha1.ServiceField{}
				}
				s.Service.Mutable = true
			}
			if n := len(p.XValidations); n > 1 || (n == 1 && im.api.Service != nil && im.api.Service.Mutable) {
				im.note("dropped the rules of spec.service other than immutability")
			}
			continue
		case "plan":
			im.spec.plan = &p
			s.Plan = &v1alpha1.PlanField{Description: p.Description}
			if im.api.Plan != nil {
				s.Plan.Hidden, s.Plan.Changes = im.api.Plan.Hidden, im.api.Plan.Changes
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
