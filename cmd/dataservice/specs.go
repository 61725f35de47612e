package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/backendcrd"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/manifests"
	"github.com/function-dataservice/function-dataservice/internal/overlay"
)

// loadedSpec is a DataService and where it was read from.
type loadedSpec struct {
	where string
	ds    *v1alpha1.DataService
	// notes say what the overlay that made it decided that it does not say, for stderr.
	notes []string
}

// loadSpecs reads every DataService from files and folders. Every problem is reported, each naming
// its file and line.
func loadSpecs(paths []string) ([]loadedSpec, error) {
	docs, err := manifests.Specs.Reader().Read(paths...)
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, errors.Errorf("no DataService found in %v: pass spec files or folders holding *.yaml", paths)
	}
	var specs []loadedSpec
	var overlays []loadedOverlay
	var errs []error
	for _, d := range docs {
		tm, err := d.TypeMeta()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if tm.Kind == v1alpha1.DataServiceOverlayKind && tm.APIVersion == v1alpha1.GroupVersion.String() {
			o := &v1alpha1.DataServiceOverlay{}
			if err := yaml.UnmarshalStrict(d.Data, o); err != nil {
				errs = append(errs, d.Error(err))
				continue
			}
			overlays = append(overlays, loadedOverlay{where: d.Where(), o: o})
			continue
		}
		if tm.Kind == "" || tm.APIVersion == "" {
			errs = append(errs, errors.Errorf("%s: no apiVersion or kind: a DataService spec starts with apiVersion: %s and kind: %s", d.Where(), v1alpha1.GroupVersion, v1alpha1.DataServiceKind))
			continue
		}
		if tm.Kind != v1alpha1.DataServiceKind || tm.APIVersion != v1alpha1.GroupVersion.String() {
			errs = append(errs, errors.Errorf("%s: %s %s is not a DataService: pass only DataService specs and DataServiceOverlays (apiVersion: %s)", d.Where(), tm.APIVersion, tm.Kind, v1alpha1.GroupVersion))
			continue
		}
		ds, err := v1alpha1.Decode(d.Data)
		if err != nil {
			errs = append(errs, d.Error(err))
			continue
		}
		specs = append(specs, loadedSpec{where: d.Where(), ds: ds})
	}
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	return applyOverlays(specs, overlays)
}

type loadedOverlay struct {
	where string
	o     *v1alpha1.DataServiceOverlay
}

// applyOverlays replaces each DataService an overlay names by what the overlay makes of it.
func applyOverlays(specs []loadedSpec, overlays []loadedOverlay) ([]loadedSpec, error) {
	var errs []error
	seen := map[string]string{}
	for _, ov := range overlays {
		if prev, ok := seen[ov.o.Spec.Base]; ok {
			errs = append(errs, errors.Errorf("%s: a second overlay of DataService %q (the first is in %s): merge them into one", ov.where, ov.o.Spec.Base, prev))
			continue
		}
		seen[ov.o.Spec.Base] = ov.where
		i := slices.IndexFunc(specs, func(s loadedSpec) bool { return s.ds.Name == ov.o.Spec.Base })
		if i < 0 {
			errs = append(errs, errors.Errorf("%s: overlay of DataService %q, which none of the given files holds: pass its spec with -f", ov.where, ov.o.Spec.Base))
			continue
		}
		ds, notes, err := overlay.Apply(specs[i].ds, ov.o)
		if err != nil {
			errs = append(errs, errors.Wrap(err, ov.where))
			continue
		}
		specs[i] = loadedSpec{where: ov.where + " (overlay of " + specs[i].where + ")", ds: ds, notes: notes}
	}
	return specs, joinErrors(errs)
}

// joinErrors is every error of a list, one a line, as the CLI reports every problem at once;
// nil for none.
func joinErrors(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return errors.New(strings.Join(msgs, "\n"))
}

// loadDefaults reads a function input whose defaults apply as in a Composition's pipeline.
func loadDefaults(path string) (inputv1beta1.Defaults, error) {
	if path == "" {
		return inputv1beta1.Defaults{}, nil
	}
	docs, err := manifests.Defaults.Reader().Read(path)
	if err != nil {
		return inputv1beta1.Defaults{}, err
	}
	if len(docs) > 1 {
		return inputv1beta1.Defaults{}, fmt.Errorf("%s holds %d documents: --defaults takes one %s %s", path, len(docs), inputv1beta1.APIVersion, inputv1beta1.Kind)
	}
	var data []byte
	if len(docs) == 1 {
		data = docs[0].Data
	}
	in, err := inputv1beta1.Decode(data)
	if err != nil {
		return inputv1beta1.Defaults{}, errors.Wrap(err, path)
	}
	return in.Defaults, nil
}

// generateSpec runs the generator on a loaded spec, type-checking what it composes against crds
// (nil checks nothing). An invalid spec yields one error naming its file and every field at fault,
// one a line.
func generateSpec(sp loadedSpec, d inputv1beta1.Defaults, crds *backendcrd.Set) (*generator.Output, error) {
	out, err := generator.GenerateWith(context.Background(), sp.ds, d, generator.Options{CRDs: crds})
	var inv *generator.InvalidError
	switch {
	case errors.As(err, &inv):
		msg := fmt.Sprintf("%s: DataService %q is invalid:", sp.where, sp.ds.Name)
		for _, e := range inv.Errs {
			msg += "\n  " + e.Error()
		}
		return nil, errors.New(msg)
	case err != nil:
		return nil, errors.Wrap(err, sp.where)
	}
	return out, nil
}

// specFlags are the flags of commands that read DataService specs and run the generator on them.
type specFlags struct {
	CRDs     []string `name:"crd" placeholder:"FILE_OR_DIR" help:"CustomResourceDefinitions of the kinds the DataServices compose (an operator's CRD file, a folder of them, a multi-document manifest); what is composed of those kinds is type-checked against them. Repeat for more." predictor:"file"`
	Defaults string   `type:"existingfile" placeholder:"FILE" help:"Function input (dataservice.fn.crossplane.io/v1beta1 Input) whose defaults apply, as in a Composition's pipeline."`
	Files    []string `short:"f" name:"file" required:"" placeholder:"SPEC" help:"DataService spec file or folder; repeat for more." predictor:"file"`
}

// load reads the defaults, the specs and the CRDs the flags name.
func (f specFlags) load() (inputv1beta1.Defaults, []loadedSpec, *backendcrd.Set, error) {
	d, err := loadDefaults(f.Defaults)
	if err != nil {
		return d, nil, nil, err
	}
	crds, err := loadCRDs(f.CRDs)
	if err != nil {
		return d, nil, nil, err
	}
	specs, err := loadSpecs(f.Files)
	return d, specs, crds, err
}

// loadCRDs reads the CRDs of --crd, nil for none.
func loadCRDs(paths []string) (*backendcrd.Set, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	s, err := backendcrd.Read(paths...)
	if err != nil {
		return nil, fmt.Errorf("--crd: %w", err)
	}
	return s, nil
}

// typeChecks tells what the generated outputs were type-checked against, once for all of them:
// the kinds composed that no CRD given defines (not checked), and the CRDs given that nothing
// composes (a misspelt kind or group in a spec).
type typeChecks struct {
	crds      *backendcrd.Set
	checked   []schema.GroupVersionKind
	unchecked []schema.GroupVersionKind
}

func (tc *typeChecks) add(out *generator.Output) {
	for _, k := range out.Checked {
		if !slices.Contains(tc.checked, k) {
			tc.checked = append(tc.checked, k)
		}
	}
	for _, k := range out.Unchecked {
		if !slices.Contains(tc.unchecked, k) {
			tc.unchecked = append(tc.unchecked, k)
		}
	}
}

// report writes the notes on w.
func (tc *typeChecks) report(w io.Writer) {
	if len(tc.checked) > 0 {
		fmt.Fprintf(w, "note: type-checked against their CRDs (--crd): %s\n", kindList(tc.checked))
	}
	if len(tc.unchecked) > 0 {
		fmt.Fprintf(w, "note: not type-checked, no CRD given for their kinds (pass it with --crd): %s\n", kindList(tc.unchecked))
	}
	var unused []string
	for _, c := range tc.crds.CRDs() {
		if !slices.ContainsFunc(tc.checked, func(k schema.GroupVersionKind) bool { return k.GroupKind() == c.Kind() }) {
			unused = append(unused, fmt.Sprintf("%s (%s)", c.Object.Name, c.Where))
		}
	}
	if len(unused) > 0 {
		fmt.Fprintf(w, "note: no DataService composes the kinds of these CRDs (--crd): %s; check the apiVersion and kind of the backends\n", strings.Join(unused, ", "))
	}
}

// kindList names kinds as apiVersions and kinds are written: hyperspike.io/v1 Valkey.
func kindList(ks []schema.GroupVersionKind) string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.GroupVersion().String() + " " + k.Kind
	}
	return strings.Join(out, ", ")
}
