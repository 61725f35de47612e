package importer

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/semantic"
)

// compare generates from the imported DataService and lists how each object differs from the input.
func (im *importer) compare() []string {
	out, err := generator.Generate(im.ds, inputv1beta1.Defaults{})
	if err != nil {
		return []string{"the imported DataService does not generate: " + err.Error()}
	}
	var diffs []string
	add := func(what string, want *unstructured.Unstructured, got *unstructured.Unstructured) {
		if got == nil {
			diffs = append(diffs, what+": not generated")
			return
		}
		d, err := semantic.Diff(want.Object, got.Object)
		if err != nil {
			diffs = append(diffs, fmt.Sprintf("%s: %v", what, err))
		} else if d != "" {
			diffs = append(diffs, fmt.Sprintf("%s differs (-input +generated):\n%s", what, d))
		}
	}
	add("XRD "+im.in.XRD.GetName(), im.in.XRD, out.XRD)
	for _, c := range im.imported {
		var got *unstructured.Unstructured
		for _, g := range out.Compositions {
			if g.GetName() == c.GetName() {
				got = g
			}
		}
		add("Composition "+c.GetName(), c, got)
	}
	if im.in.ExportTemplate != nil {
		add("APIServiceExportTemplate "+im.in.ExportTemplate.GetName(), im.in.ExportTemplate, out.ExportTemplate)
	}
	return diffs
}
