package generator

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// checkXRD runs the checks the Kubernetes API server runs on the CRDs Crossplane derives from the
// XRD: structural schema, CEL compilation and cost, names, printer columns. A DataService that
// passes yields an XRD Crossplane can establish. Errors point at the DataService field they came
// from where one is known. The checks are the API server's own, answered from its verdicts on the
// parts of the CRDs it has seen before where they can be (crdcheck.go). Once ctx ends it stops and
// returns what it found so far: the caller reports ctx's error.
func checkXRD(ctx context.Context, m *model, xrd xrdObject, prov provenance, ck *Checker) field.ErrorList {
	crds, err := crossplaneCRDs(xrd)
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath("spec"), err)}
	}
	var errs field.ErrorList
	seen := map[string]bool{}
	for _, crd := range crds {
		if ctx.Err() != nil {
			break
		}
		found, _ := ck.checks.validate(ctx, crd)
		for _, e := range found {
			te := m.translate(e, prov, crd.Name)
			key := te.Field + "\x00" + te.Detail + "\x00" + string(te.Type)
			if seen[key] {
				continue
			}
			seen[key] = true
			errs = append(errs, te)
		}
	}
	// The API server's validation walks schema properties in map order: sorted, the same spec
	// gets the same message every time, and Crossplane does not see a new one on each reconcile.
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := errs[i], errs[j]
		if a.Field != b.Field {
			return a.Field < b.Field
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.Detail < b.Detail
	})
	return errs
}

// crossplaneCRDs are the CRDs Crossplane derives from an XRD: the composite's, and on a line with
// claims the claim's.
func crossplaneCRDs(xrd xrdObject) ([]*extv1.CustomResourceDefinition, error) {
	line, ok := xpline.OfXRD(xrd.APIVersion)
	if !ok {
		return nil, errors.Errorf("%q is not the apiVersion of an XRD", xrd.APIVersion)
	}
	var versions []versionSchema
	for _, v := range xrd.Spec.Versions {
		vs := versionSchema{name: v.Name, served: v.Served, storage: v.Referenceable, columns: v.AdditionalPrinterColumns}
		if v.Schema != nil {
			vs.raw = v.Schema.OpenAPIV3Schema.Raw
		}
		versions = append(versions, vs)
	}

	type crdFor struct {
		scope  extv1.ResourceScope
		names  extv1.CustomResourceDefinitionNames
		inject map[string]extv1.JSONSchemaProps
	}
	var crds []crdFor
	if !line.Claims {
		scope := extv1.NamespaceScoped
		if string(xrd.Spec.Scope) == v1alpha1.ScopeCluster {
			scope = extv1.ClusterScoped
		}
		crds = append(crds, crdFor{scope: scope, names: xrd.Spec.Names, inject: line.CompositeSpecProperties()})
	} else {
		if xrd.Spec.ClaimNames == nil {
			return nil, errors.New("the XRD of a line with claims has no claimNames")
		}
		crds = append(crds,
			crdFor{scope: extv1.ClusterScoped, names: extv1.CustomResourceDefinitionNames{Kind: xrd.Spec.Names.Kind, Plural: xrd.Spec.Names.Plural}, inject: line.CompositeSpecProperties()},
			crdFor{scope: extv1.NamespaceScoped, names: *xrd.Spec.ClaimNames, inject: line.ClaimSpecProperties()},
		)
	}

	var out []*extv1.CustomResourceDefinition
	for _, c := range crds {
		crd := &extv1.CustomResourceDefinition{
			ObjectMeta: metav1.ObjectMeta{Name: c.names.Plural + "." + xrd.Spec.Group},
			Spec: extv1.CustomResourceDefinitionSpec{
				Group: xrd.Spec.Group, Names: c.names, Scope: c.scope,
			},
		}
		crd.Spec.Names.ListKind = c.names.Kind + "List"
		crd.Spec.Names.Singular = strings.ToLower(c.names.Kind)
		for _, v := range versions {
			s := &extv1.JSONSchemaProps{}
			if err := json.Unmarshal(v.raw, s); err != nil {
				return nil, errors.Wrapf(err, "cannot decode the schema of version %s", v.name)
			}
			crd.Spec.Versions = append(crd.Spec.Versions, extv1.CustomResourceDefinitionVersion{
				Name: v.name, Served: v.served, Storage: v.storage,
				Schema:                   &extv1.CustomResourceValidation{OpenAPIV3Schema: crossplaneSchema(s, c.inject)},
				Subresources:             &extv1.CustomResourceSubresources{Status: &extv1.CustomResourceSubresourceStatus{}},
				AdditionalPrinterColumns: v.columns,
			})
			if v.storage {
				crd.Status.StoredVersions = []string{v.name}
			}
		}
		out = append(out, crd)
	}
	return out, nil
}

type versionSchema struct {
	name            string
	served, storage bool
	raw             []byte
	columns         []extv1.CustomResourceColumnDefinition
}

// crossplaneSchema is the CRD schema Crossplane derives from an XRD schema: the XRD's spec and
// status merged into Crossplane's own, with its machinery fields added to spec.
func crossplaneSchema(x *extv1.JSONSchemaProps, inject map[string]extv1.JSONSchemaProps) *extv1.JSONSchemaProps {
	spec := x.Properties["spec"]
	spec.Type = "object"
	if spec.Properties == nil {
		spec.Properties = map[string]extv1.JSONSchemaProps{}
	}
	for k, v := range inject {
		spec.Properties[k] = v
	}
	status := x.Properties["status"]
	status.Type = "object"
	if status.Properties == nil {
		status.Properties = map[string]extv1.JSONSchemaProps{}
	}
	status.Properties["conditions"] = extv1.JSONSchemaProps{
		Type: "array", XListType: ptrTo("map"), XListMapKeys: []string{"type"},
		Items: &extv1.JSONSchemaPropsOrArray{Schema: &extv1.JSONSchemaProps{
			Type: "object", Required: []string{"type", "status"},
			Properties: map[string]extv1.JSONSchemaProps{
				"type": {Type: "string"}, "status": {Type: "string"}, "reason": {Type: "string"},
				"message": {Type: "string"}, "lastTransitionTime": {Type: "string", Format: "date-time"},
			},
		}},
	}
	return &extv1.JSONSchemaProps{
		Type:         "object",
		Description:  x.Description,
		XValidations: x.XValidations,
		Required:     []string{"spec"},
		Properties: map[string]extv1.JSONSchemaProps{
			"apiVersion": {Type: "string"},
			"kind":       {Type: "string"},
			"metadata": {Type: "object", Properties: map[string]extv1.JSONSchemaProps{
				"name": {Type: "string", MaxLength: ptrTo[int64](63)},
			}},
			"spec":   spec,
			"status": status,
		},
	}
}

// schemaPath matches the part of a CRD validation error path inside openAPIV3Schema.
var (
	schemaPath = regexp.MustCompile(`^spec\.(?:validation|versions\[\d+\]\.schema)\.openAPIV3Schema\.?(.*)$`)
	columnPath = regexp.MustCompile(`^spec\.(?:versions\[\d+\]\.)?additionalPrinterColumns\[(\d+)\](.*)$`)
)

var (
	ruleIndex = regexp.MustCompile(`^x-kubernetes-validations\[(\d+)\](.*)$`)
	propSeg   = regexp.MustCompile(`^properties\[([^\]]+)\]\.?`)
	anyProp   = regexp.MustCompile(`properties\[([^\]]+)\]`)
)

// translate moves an error from the generated CRD to the DataService field it came from.
func (m *model) translate(e *field.Error, prov provenance, crdName string) *field.Error {
	out := *e
	if cm := columnPath.FindStringSubmatch(e.Field); cm != nil {
		out.Field = fmt.Sprintf("spec.printerColumns[%s]%s", cm[1], strings.Replace(cm[2], "JSONPath", "jsonPath", 1))
		return &out
	}
	sm := schemaPath.FindStringSubmatch(e.Field)
	if sm == nil {
		out.Field = fmt.Sprintf("generated CRD %s: %s", crdName, e.Field)
		return &out
	}
	rest := sm[1]
	var at []string
	for {
		pm := propSeg.FindStringSubmatch(rest)
		if pm == nil {
			break
		}
		at = append(at, pm[1])
		rest = rest[len(pm[0]):]
		if len(at) >= 2 {
			break
		}
	}
	if rm := ruleIndex.FindStringSubmatch(rest); rm != nil && len(at) > 0 {
		var idx int
		fmt.Sscanf(rm[1], "%d", &idx)
		if p, ok := prov[ruleAt{strings.Join(at, "."), idx}]; ok {
			out.Field = p.String() + rm[2]
			return &out
		}
	}
	if len(at) == 2 && at[0] == "spec" {
		if at[1] == "parameters" {
			out.Field = joinPath("spec.parameters.schema", rest)
			return &out
		}
		for i, f := range m.fields {
			if f.spec.Name == at[1] {
				out.Field = joinPath(fmt.Sprintf("spec.fields[%d].schema", i), rest)
				return &out
			}
		}
	}
	out.Field = fmt.Sprintf("generated CRD %s: %s", crdName, e.Field)
	return &out
}

// joinPath appends a CRD schema path below a DataService schema field, writing properties[x] as
// properties.x the way the user wrote it.
func joinPath(base, rest string) string {
	rest = anyProp.ReplaceAllString(rest, "properties.$1")
	if rest == "" {
		return base
	}
	return base + "." + rest
}
