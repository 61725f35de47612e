// Package scaffold writes a DataService to start from: for an internal data service from the CRD
// of the operator that runs it (FromCRD), or for an a9s service broker's service (Broker). What it
// writes is commented YAML, a comment per choice, valid as written: FromCRD generates what it
// wrote, with the CRD, before returning it, and leaves out (saying so in the file) any mapping the
// CRD refuses.
//
// Files: scaffold.go (FromCRD and its self-check), analyze.go (what a CRD offers to size an
// instance), required.go (what it requires of the base), status.go (readiness and status),
// draft.go (the choices), render.go (the YAML), broker.go (the broker shape).
package scaffold

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/backendcrd"
	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// Options say what FromCRD scaffolds.
type Options struct {
	// Kind is the CRD's kind to compose (Kind, or Kind.group when several groups have it); "" when
	// the CRDs define one kind.
	Kind string
	// Version is the CRD's version to compose; "" for its storage version.
	Version string
	// Line is the Crossplane line of the API: v1 or v2.
	Line string
	// Group is the API group app developers use.
	Group string
	// CRDFile names the CRD's file in the comments and the command they suggest.
	CRDFile string
}

// Result is a scaffolded DataService.
type Result struct {
	// YAML is the DataService, commented.
	YAML []byte
	// Name is the DataService's name.
	Name string
	// Kind is what it composes.
	Kind schema.GroupVersionKind
	// Notes say what was chosen that the options did not say, for stderr.
	Notes []string
}

// ProviderKubernetesObject is the kind that carries an operator's namespaced CR on Crossplane 1.x:
// provider-kubernetes' Object (v1alpha2, whose readiness may be derived from the CR with CEL).
var ProviderKubernetesObject = schema.GroupVersionKind{Group: "kubernetes.crossplane.io", Version: "v1alpha2", Kind: "Object"}

// KubernetesProviderConfig is the ProviderConfig of provider-kubernetes the Object names, as
// Klutch's control planes call it.
const KubernetesProviderConfig = "kubernetes-provider"

// Pick returns the CRD of a kind (Kind, or Kind.group; "" when the CRDs define one kind) and its
// version (its storage version for ""): what init scaffolds from and explain --crd explains.
func Pick(set *backendcrd.Set, kind, version string) (*backendcrd.CRD, *extv1.CustomResourceDefinitionVersion, error) {
	return pick(set, Options{Kind: kind, Version: version})
}

// pick returns the CRD and version the options name.
func pick(set *backendcrd.Set, o Options) (*backendcrd.CRD, *extv1.CustomResourceDefinitionVersion, error) {
	crds := set.CRDs()
	var kinds []string
	for _, c := range crds {
		kinds = append(kinds, c.Kind().Kind+"."+c.Kind().Group)
	}
	var c *backendcrd.CRD
	switch {
	case o.Kind == "" && len(crds) == 1:
		c = crds[0]
	case o.Kind == "":
		return nil, nil, fmt.Errorf("the CRDs define %d kinds (%s): choose one with --kind", len(crds), strings.Join(kinds, ", "))
	default:
		var hits []*backendcrd.CRD
		for _, x := range crds {
			if strings.EqualFold(x.Kind().Kind, o.Kind) || strings.EqualFold(x.Kind().Kind+"."+x.Kind().Group, o.Kind) {
				hits = append(hits, x)
			}
		}
		switch len(hits) {
		case 0:
			return nil, nil, fmt.Errorf("--kind %s: the CRDs define %s", o.Kind, strings.Join(kinds, ", "))
		case 1:
			c = hits[0]
		default:
			return nil, nil, fmt.Errorf("--kind %s: several groups define it: name one as Kind.group (%s)", o.Kind, strings.Join(kinds, ", "))
		}
	}
	v := c.StorageVersion()
	if o.Version != "" {
		v = c.Version(o.Version)
	}
	if v == nil || !v.Served {
		return nil, nil, fmt.Errorf("CRD %s (%s) serves no version %q: it serves %s", c.Object.Name, c.Where, o.Version, strings.Join(c.Served(), ", "))
	}
	if v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
		return nil, nil, fmt.Errorf("CRD %s (%s), version %s, has no schema to scaffold from", c.Object.Name, c.Where, v.Name)
	}
	return c, v, nil
}

// FromCRD scaffolds a DataService composing a kind of set's CRDs.
func FromCRD(set *backendcrd.Set, o Options) (*Result, error) {
	c, v, err := pick(set, o)
	if err != nil {
		return nil, err
	}
	gvk := schema.GroupVersionKind{Group: c.Object.Spec.Group, Version: v.Name, Kind: c.Object.Spec.Names.Kind}
	f := analyze(v.Schema.OpenAPIV3Schema, v.AdditionalPrinterColumns)
	d := newDraft(c, gvk, f, o)
	var notes []string
	if o.Kind == "" {
		notes = append(notes, fmt.Sprintf("composing %s %s, the one kind of %s", gvk.GroupVersion(), gvk.Kind, o.CRDFile))
	}
	if o.Version == "" {
		notes = append(notes, fmt.Sprintf("version %s, the CRD's storage version (--version chooses another)", v.Name))
	}
	// Generate what was written, with the CRD, as generate --crd will; a mapping the CRD refuses
	// is left out, and the file says why. A DataService it cannot make valid is a bug here.
	check := func(d *draft) ([]byte, error) {
		out := d.render()
		ds, err := v1alpha1.Decode(out)
		if err != nil {
			return out, fmt.Errorf("scaffolded a DataService that does not decode (a bug of dataservice init): %w\n%s", err, out)
		}
		_, err = generator.GenerateWith(context.Background(), ds, inputv1beta1.Defaults{}, generator.Options{CRDs: set})
		return out, err
	}
	for range 8 {
		out, err := check(d)
		if err == nil {
			return &Result{YAML: out, Name: d.name, Kind: gvk, Notes: append(notes, d.notes...)}, nil
		}
		var inv *generator.InvalidError
		if !errors.As(err, &inv) {
			return nil, err
		}
		if d.drop(inv) || d.dropByTrial(inv, check) {
			continue
		}
		return nil, fmt.Errorf("scaffolded a DataService that does not generate with the CRD (a bug of dataservice init; please report it with the CRD): %w", err)
	}
	return nil, errors.New("scaffolded a DataService that does not generate with the CRD (a bug of dataservice init; please report it with the CRD)")
}

// dropByTrial leaves out the last mapping without which fewer errors remain: what a rule of the
// whole object (a CEL rule of spec) refuses is not reported at a mapping.
func (d *draft) dropByTrial(inv *generator.InvalidError, check func(*draft) ([]byte, error)) bool {
	for i := len(d.mappings) - 1; i >= 0; i-- {
		trial := *d
		trial.mappings = slices.Delete(slices.Clone(d.mappings), i, i+1)
		_, err := check(&trial)
		var again *generator.InvalidError
		if err == nil || (errors.As(err, &again) && len(again.Errs) < len(inv.Errs)) {
			m := d.mappings[i]
			d.left = append(d.left, fmt.Sprintf("%s is not mapped from %s: %s", m.to, m.value, inv.Errs[0].Detail))
			d.mappings = trial.mappings
			return true
		}
	}
	return false
}

// mappingIndex finds the index of a backend mapping in an error's field path.
var mappingIndex = regexp.MustCompile(`^spec\.compositions\[0\]\.backend\.fields\[(\d+)\]`)

// basePath finds the field of the base an error's field path names.
var basePath = regexp.MustCompile(`^spec\.compositions\[0\]\.backend\.base\.spec(?:\.forProvider\.manifest\.spec)?\.([A-Za-z0-9_-]+)`)

// drop leaves out what the errors blame: mappings and fields of the base. It says whether it
// dropped anything.
func (d *draft) drop(inv *generator.InvalidError) bool {
	dropped := false
	var gone []int
	for _, e := range inv.Errs {
		if m := mappingIndex.FindStringSubmatch(e.Field); m != nil {
			var i int
			fmt.Sscan(m[1], &i)
			if i < len(d.rendered) && d.rendered[i] >= 0 && !slices.Contains(gone, d.rendered[i]) {
				gone = append(gone, d.rendered[i])
			}
			continue
		}
		if m := basePath.FindStringSubmatch(e.Field); m != nil {
			if i := slices.IndexFunc(d.base, func(r requiredField) bool { return r.name == m[1] }); i >= 0 {
				d.left = append(d.left, fmt.Sprintf("spec.%s is not set: %s", m[1], e.Detail))
				d.base = slices.Delete(d.base, i, i+1)
				dropped = true
			}
		}
	}
	slices.Sort(gone)
	for k := len(gone) - 1; k >= 0; k-- {
		m := d.mappings[gone[k]]
		d.left = append(d.left, fmt.Sprintf("%s is not mapped from %s: %s", m.to, m.value, firstErr(inv, gone[k], d)))
		d.mappings = slices.Delete(d.mappings, gone[k], gone[k]+1)
		dropped = true
	}
	return dropped
}

func firstErr(inv *generator.InvalidError, mapping int, d *draft) string {
	for _, e := range inv.Errs {
		if m := mappingIndex.FindStringSubmatch(e.Field); m != nil {
			var i int
			fmt.Sscan(m[1], &i)
			if i < len(d.rendered) && d.rendered[i] == mapping {
				return e.Detail
			}
		}
	}
	return "the CRD refuses it"
}

// prefixed is a path of the CR as the backend writes it: below the Object's manifest when there is
// one.
func (d *draft) prefixed(p fieldpath.Segments) string {
	if d.object {
		return "spec.forProvider.manifest." + p.String()
	}
	return p.String()
}
