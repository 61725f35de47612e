// Package backendcrd checks what a DataService composes against the CustomResourceDefinitions of
// the composed kinds (an operator's CRD, a provider's managed resources): that every path a
// mapping writes, a status mapping or readiness check reads, and every field of a base exists in
// the version the resource's apiVersion names (through x-kubernetes-preserve-unknown-fields and
// additionalProperties as the API server reads them), that the value mapped there is of the
// field's type, and that the object composed for every plan and service of the catalog is one the
// API server accepts (required fields, enums, patterns, the CRD's own CEL rules: internal/crvalidate,
// the API server's own code). Each error names the DataService field at fault, the bad path and the
// nearest valid one.
//
// The package knows nothing of the generator: it checks Resources, what a composed resource is as the
// generator describes it (its base, its patches, its readiness checks, and the composite an
// instance of each plan makes). On Crossplane 1.x an operator's CR is composed inside a
// provider-kubernetes Object (spec.forProvider.manifest); the manifest is checked against its own
// kind's CRD, with the paths as the DataService writes them.
//
// Files: backendcrd.go (the Set of CRDs, read from files or given), check.go (Check: what a resource
// is checked against), schema.go (paths through a schema), suggest.go (the nearest valid path),
// paths.go (the paths a resource names), typecheck.go (the types of what it maps), ready.go
// (readiness checks and connection details), compose.go (the object composed for a composite),
// transforms.go and convert.go (function-patch-and-transform's transforms), verdicts.go (the API
// server's validation of the composed objects).
package backendcrd

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	yamlv3 "go.yaml.in/yaml/v3"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/function-dataservice/function-dataservice/internal/crvalidate"
	"github.com/function-dataservice/function-dataservice/internal/manifests"
)

// Set is the CRDs a check knows, by group and kind. A nil Set knows none. Safe for concurrent use
// once built: the API server's validators of its versions are built once, when first needed.
type Set struct {
	byKind map[schema.GroupKind]*CRD
	// key identifies the CRDs' contents, for caches of what was checked against them: computed
	// when first asked for (a megabyte CRD takes tens of milliseconds to hash).
	keyOnce sync.Once
	key     [sha256.Size]byte
}

// CRD is one CustomResourceDefinition of a Set.
type CRD struct {
	// Where it was read from: file and line, or what delivered it.
	Where string
	// Object is the CRD as read.
	Object *extv1.CustomResourceDefinition

	mu         sync.Mutex
	validators map[string]*validatorOnce
}

type validatorOnce struct {
	once sync.Once
	v    *crvalidate.Validator
	err  error
}

// Kind is the group and kind the CRD defines.
func (c *CRD) Kind() schema.GroupKind {
	return schema.GroupKind{Group: c.Object.Spec.Group, Kind: c.Object.Spec.Names.Kind}
}

// Version returns the CRD's version of a name, nil when it has none.
func (c *CRD) Version(name string) *extv1.CustomResourceDefinitionVersion {
	for i := range c.Object.Spec.Versions {
		if c.Object.Spec.Versions[i].Name == name {
			return &c.Object.Spec.Versions[i]
		}
	}
	return nil
}

// StorageVersion is the version the API server stores, else the first served one.
func (c *CRD) StorageVersion() *extv1.CustomResourceDefinitionVersion {
	for i := range c.Object.Spec.Versions {
		if c.Object.Spec.Versions[i].Storage {
			return &c.Object.Spec.Versions[i]
		}
	}
	for i := range c.Object.Spec.Versions {
		if c.Object.Spec.Versions[i].Served {
			return &c.Object.Spec.Versions[i]
		}
	}
	return nil
}

// Served lists the names of the served versions.
func (c *CRD) Served() []string {
	var out []string
	for _, v := range c.Object.Spec.Versions {
		if v.Served {
			out = append(out, v.Name)
		}
	}
	return out
}

// schemaOf is the openAPIV3Schema of a version, nil when it has none.
func schemaOf(v *extv1.CustomResourceDefinitionVersion) *extv1.JSONSchemaProps {
	if v == nil || v.Schema == nil {
		return nil
	}
	return v.Schema.OpenAPIV3Schema
}

// Validator is the API server's validation of a version, built once.
func (c *CRD) Validator(version string) (*crvalidate.Validator, error) {
	c.mu.Lock()
	if c.validators == nil {
		c.validators = map[string]*validatorOnce{}
	}
	vo := c.validators[version]
	if vo == nil {
		vo = &validatorOnce{}
		c.validators[version] = vo
	}
	c.mu.Unlock()
	vo.once.Do(func() {
		s := schemaOf(c.Version(version))
		if s == nil {
			vo.err = fmt.Errorf("version %s has no schema", version)
			return
		}
		vo.v, vo.err = crvalidate.New(s)
	})
	return vo.v, vo.err
}

// New returns the Set of the given CRDs, each with where it came from (len(where) == len(crds)).
// A kind defined twice is an error unless both definitions are the same.
func New(where []string, crds []*extv1.CustomResourceDefinition) (*Set, error) {
	s := &Set{byKind: map[schema.GroupKind]*CRD{}}
	var errs []error
	for i, o := range crds {
		c := &CRD{Where: where[i], Object: o}
		if err := checkCRD(o); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.Where, err))
			continue
		}
		gk := c.Kind()
		if prev, ok := s.byKind[gk]; ok {
			if !sameSpec(prev.Object, o) {
				errs = append(errs, fmt.Errorf("%s: CustomResourceDefinition %s defines %s again, differently from %s: give one of them", c.Where, o.Name, gk, prev.Where))
			}
			continue
		}
		s.byKind[gk] = c
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

func sameSpec(a, b *extv1.CustomResourceDefinition) bool {
	ja, _ := json.Marshal(a.Spec)
	jb, _ := json.Marshal(b.Spec)
	return string(ja) == string(jb)
}

// checkCRD says why a CRD cannot be checked against, nil when it can.
func checkCRD(o *extv1.CustomResourceDefinition) error {
	switch {
	case o.Spec.Group == "" || o.Spec.Names.Kind == "":
		return fmt.Errorf("CustomResourceDefinition %q names no spec.group or spec.names.kind", o.Name)
	case len(o.Spec.Versions) == 0:
		return fmt.Errorf("CustomResourceDefinition %s has no spec.versions", o.Name)
	}
	return nil
}

// Lookup returns the CRD of a group and kind, nil when the Set has none.
func (s *Set) Lookup(gk schema.GroupKind) *CRD {
	if s == nil {
		return nil
	}
	return s.byKind[gk]
}

// Len is the number of CRDs in the Set.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.byKind)
}

// CRDs lists the Set's CRDs, by group and kind.
func (s *Set) CRDs() []*CRD {
	if s == nil {
		return nil
	}
	out := make([]*CRD, 0, len(s.byKind))
	for _, gk := range slices.SortedFunc(maps.Keys(s.byKind), func(a, b schema.GroupKind) int { return strings.Compare(a.String(), b.String()) }) {
		out = append(out, s.byKind[gk])
	}
	return out
}

// Key identifies the contents of the Set's CRDs: two Sets of the same CRDs have the same key.
func (s *Set) Key() [sha256.Size]byte {
	if s == nil {
		return [sha256.Size]byte{}
	}
	s.keyOnce.Do(func() {
		h := sha256.New()
		for _, c := range s.CRDs() {
			b, _ := json.Marshal(c.Object.Spec) // decoded from JSON, so it marshals
			h.Write(b)
		}
		copy(s.key[:], h.Sum(nil))
	})
	return s.key
}

// Scopes maps every kind of the Set to its scope (extv1.NamespaceScoped or extv1.ClusterScoped).
func (s *Set) Scopes() map[schema.GroupKind]extv1.ResourceScope {
	if s == nil {
		return nil
	}
	out := make(map[schema.GroupKind]extv1.ResourceScope, len(s.byKind))
	for gk, c := range s.byKind {
		out[gk] = c.Object.Spec.Scope
	}
	return out
}

// Plurals maps every kind of the Set to its resource name (spec.names.plural).
func (s *Set) Plurals() map[schema.GroupKind]string {
	if s == nil {
		return nil
	}
	out := make(map[schema.GroupKind]string, len(s.byKind))
	for gk, c := range s.byKind {
		out[gk] = c.Object.Spec.Names.Plural
	}
	return out
}

// crdGVK is what a document must be to be read as a CRD.
var crdGVK = extv1.SchemeGroupVersion.WithKind("CustomResourceDefinition")

// Read reads the CRDs of files and folders (a folder's *.yaml, *.yml and *.json files, a file's
// every document), each bounded by what it expands to as manifests.CRDs bounds it: CustomResourceDefinitions of apiextensions.k8s.io/v1, and Lists of them as
// kubectl get -o yaml writes them. Other documents are skipped, so an operator's whole install
// manifest may be given; a path that holds no CRD at all is an error, as is a CRD that does not
// decode, naming its file and line.
func Read(paths ...string) (*Set, error) {
	var where []string
	var crds []*extv1.CustomResourceDefinition
	var errs []error
	// One reader for every path: what the CRDs expand to is bounded together (manifests.CRDs).
	r := manifests.CRDs.Reader()
	for _, p := range paths {
		docs, err := r.Read(p)
		if err != nil {
			return nil, err
		}
		found := 0
		for _, d := range docs {
			w, c, err := decodeDocument(d)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			found += len(c)
			where = append(where, w...)
			crds = append(crds, c...)
		}
		if found == 0 && len(errs) == 0 {
			errs = append(errs, fmt.Errorf("%s: no CustomResourceDefinition (apiextensions.k8s.io/v1) found: pass the operator's CRD file or a folder holding it", p))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return New(where, crds)
}

// decodeDocument returns the CRDs of one document: itself, the items of a List, or none. The
// document is parsed once (operators' CRDs run to megabytes; sigs.k8s.io/yaml, which parses YAML
// to JSON through YAML 1.1, took three times as long), then decoded from JSON.
func decodeDocument(d manifests.Document) ([]string, []*extv1.CustomResourceDefinition, error) {
	var obj map[string]any
	if err := yamlv3.Unmarshal(d.Data, &obj); err != nil {
		return nil, nil, d.Error(fmt.Errorf("yaml: %w", err))
	}
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	switch {
	case kind == crdGVK.Kind && apiVersion == crdGVK.GroupVersion().String():
		c, err := crdOf(obj)
		if err != nil {
			return nil, nil, d.Error(err)
		}
		return []string{d.Where()}, []*extv1.CustomResourceDefinition{c}, nil
	case kind == crdGVK.Kind:
		return nil, nil, fmt.Errorf("%s: a CustomResourceDefinition of %s: only apiextensions.k8s.io/v1 is read (the API server has served nothing else since Kubernetes 1.22): take the CRD the operator publishes for current Kubernetes", d.Where(), apiVersion)
	case kind == "List" || kind == "CustomResourceDefinitionList":
		items, _ := obj["items"].([]any)
		var where []string
		var crds []*extv1.CustomResourceDefinition
		for i, it := range items {
			item, _ := it.(map[string]any)
			if item["kind"] != crdGVK.Kind || item["apiVersion"] != crdGVK.GroupVersion().String() {
				continue
			}
			c, err := crdOf(item)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: items[%d]: %w", d.Where(), i, err)
			}
			where = append(where, fmt.Sprintf("%s (items[%d])", d.Where(), i))
			crds = append(crds, c)
		}
		return where, crds, nil
	}
	return nil, nil, nil
}

// crdOf decodes a CRD parsed from YAML.
func crdOf(obj map[string]any) (*extv1.CustomResourceDefinition, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	c := &extv1.CustomResourceDefinition{}
	if err := json.Unmarshal(b, c); err != nil {
		return nil, err
	}
	return c, nil
}
