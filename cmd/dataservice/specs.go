package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
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

// generateSpec runs the generator on a loaded spec. An invalid spec yields one error naming its
// file and every field at fault, one a line.
func generateSpec(sp loadedSpec, d inputv1beta1.Defaults) (*generator.Output, error) {
	out, err := generator.Generate(sp.ds, d)
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
	Defaults string   `type:"existingfile" placeholder:"FILE" help:"Function input (dataservice.fn.crossplane.io/v1beta1 Input) whose defaults apply, as in a Composition's pipeline."`
	Files    []string `short:"f" name:"file" required:"" placeholder:"SPEC" help:"DataService spec file or folder; repeat for more." predictor:"file"`
}

// load reads the defaults and the specs the flags name.
func (f specFlags) load() (inputv1beta1.Defaults, []loadedSpec, error) {
	d, err := loadDefaults(f.Defaults)
	if err != nil {
		return d, nil, err
	}
	specs, err := loadSpecs(f.Files)
	return d, specs, err
}
