package main

import (
	"errors"
	"fmt"
	"os"

	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/manifests"
)

// loadedSpec is a DataService and where it was read from.
type loadedSpec struct {
	where string
	ds    *v1alpha1.DataService
}

// loadSpecs reads every DataService from files and folders. Every problem is reported, each naming
// its file and line.
func loadSpecs(paths []string) ([]loadedSpec, error) {
	docs, err := manifests.Read(paths...)
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("no DataService found in %v: pass spec files or folders holding *.yaml", paths)
	}
	var specs []loadedSpec
	var errs []error
	for _, d := range docs {
		tm, err := d.TypeMeta()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if tm.Kind != v1alpha1.DataServiceKind || tm.APIVersion != v1alpha1.GroupVersion.String() {
			errs = append(errs, fmt.Errorf("%s: %s %s is not a DataService: pass only DataService specs (apiVersion: %s, kind: %s)", d.Where(), tm.APIVersion, tm.Kind, v1alpha1.GroupVersion, v1alpha1.DataServiceKind))
			continue
		}
		ds, err := v1alpha1.Decode(d.Data)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.Where(), manifests.LineError(err, d.Line)))
			continue
		}
		specs = append(specs, loadedSpec{where: d.Where(), ds: ds})
	}
	return specs, errors.Join(errs...)
}

// loadDefaults reads a function input whose defaults apply as in a Composition's pipeline.
func loadDefaults(path string) (inputv1beta1.Defaults, error) {
	if path == "" {
		return inputv1beta1.Defaults{}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return inputv1beta1.Defaults{}, err
	}
	in := &inputv1beta1.Input{}
	if err := yaml.UnmarshalStrict(data, in); err != nil {
		return inputv1beta1.Defaults{}, fmt.Errorf("%s: %w", path, err)
	}
	if in.Kind != "Input" {
		return inputv1beta1.Defaults{}, fmt.Errorf("%s: kind %q is not an Input (apiVersion: dataservice.fn.crossplane.io/v1beta1, kind: Input)", path, in.Kind)
	}
	return in.Defaults, nil
}
