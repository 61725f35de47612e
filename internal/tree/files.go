package tree

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/pkgmeta"
)

// Files returns the content of every file the sources generate, by path.
func Files(srcs []Source, l Layout) (map[string][]byte, error) {
	files := map[string][]byte{}
	// from says which DataService writes a file, for collisions.
	from := map[string]string{}
	owner := map[string]string{}
	var errs []error
	claim := func(what, where string) {
		if prev, ok := owner[what]; ok {
			errs = append(errs, fmt.Errorf("%s: generates %s, which %s generates too: rename one of them", where, what, prev))
			return
		}
		owner[what] = where
	}
	sorted := slices.Clone(srcs)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].DataService.Name < sorted[j].DataService.Name })
	var templates [][]byte
	for _, s := range sorted {
		name := s.DataService.Name
		claim("DataService "+name, s.Where)
		o := s.Output
		claim("XRD "+o.XRD.GetName(), s.Where)
		doc, err := document(o.XRD, name)
		if err != nil {
			return nil, err
		}
		ds := fmt.Sprintf("%s: DataService %q", s.Where, name)
		files[filepath.Join(l.Root, name, "definition.yaml")] = doc
		from[filepath.Join(l.Root, name, "definition.yaml")] = ds
		for _, c := range o.Compositions {
			claim("Composition "+c.GetName(), s.Where)
			doc, err := document(c, name)
			if err != nil {
				return nil, err
			}
			files[filepath.Join(l.Root, name, "composition-"+c.GetName()+".yaml")] = doc
			from[filepath.Join(l.Root, name, "composition-"+c.GetName()+".yaml")] = ds
		}
		for _, t := range []*unstructured.Unstructured{o.ExportTemplate, o.KubeBindTemplate} {
			if t == nil {
				continue
			}
			claim(t.GetAPIVersion()+" APIServiceExportTemplate "+t.GetNamespace()+"/"+t.GetName(), s.Where)
			b, err := yaml.Marshal(t.Object)
			if err != nil {
				return nil, err
			}
			templates = append(templates, append([]byte("# From DataService "+name+".\n"), b...))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	outs := make([]*generator.Output, 0, len(sorted))
	for _, s := range sorted {
		outs = append(outs, s.Output)
	}
	pm, err := pkgmeta.Package(l.Name, l.Crossplane, outs)
	if err != nil {
		return nil, err
	}
	for _, n := range pm.Notes {
		if l.Note != nil {
			l.Note(n)
		}
	}
	meta, err := yaml.Marshal(pm.Meta.Object)
	if err != nil {
		return nil, err
	}
	files[filepath.Join(l.Root, "crossplane.yaml")] = append([]byte(Marker+". DO NOT EDIT.\n# Keep your own crossplane.yaml here (without this line) to set annotations or dependsOn.\n"), meta...)
	if pm.ClusterRole != nil && l.RBAC != "" {
		var b bytes.Buffer
		b.WriteString(Marker + ". DO NOT EDIT.\n" + ownerLine(l, l.RBAC) + "# Lets Crossplane manage the kinds the package's Compositions compose")
		if len(pm.ProviderKubernetes) > 0 {
			b.WriteString(", and provider-kubernetes the kinds their Objects hold")
		}
		b.WriteString(": apply it to the control plane beside the package.\n")
		for i, o := range append([]*unstructured.Unstructured{pm.ClusterRole}, pm.ProviderKubernetes...) {
			y, err := yaml.Marshal(o.Object)
			if err != nil {
				return nil, err
			}
			if i > 0 {
				b.WriteString("---\n")
			}
			b.Write(y)
		}
		files[l.RBAC] = b.Bytes()
	}
	if len(templates) > 0 {
		var b bytes.Buffer
		b.WriteString(Marker + ". DO NOT EDIT.\n" + ownerLine(l, l.Exports) + "# APIServiceExportTemplates for klutch-bind (and kube-bind): apply them to the control plane beside the package.\n")
		for i, t := range templates {
			if i > 0 {
				b.WriteString("---\n")
			}
			b.Write(t)
		}
		files[l.Exports] = b.Bytes()
	}
	if err := collisions(files, from, l); err != nil {
		return nil, err
	}
	return files, nil
}

func document(u *unstructured.Unstructured, from string) ([]byte, error) {
	b, err := yaml.Marshal(u.Object)
	if err != nil {
		return nil, fmt.Errorf("cannot marshal %s %s: %w", u.GetKind(), u.GetName(), err)
	}
	return append([]byte(fmt.Sprintf("%s from DataService %s. DO NOT EDIT.\n", Marker, from)), b...), nil
}

// ownerLine is the line of a manifest beside the root (the export templates, the ClusterRole)
// that names the package root it belongs to, so that generate for another root sharing the
// folder does not replace it.
func ownerLine(l Layout, file string) string {
	return ownerPrefix + rootName(l, file) + "\n"
}

const ownerPrefix = "# Package root: "

// rootName is the package root as a manifest beside it names it: relative to the manifest's
// folder, so that moving both together keeps the ownership.
func rootName(l Layout, file string) string {
	if r, err := filepath.Rel(filepath.Dir(file), l.Root); err == nil {
		return filepath.ToSlash(r)
	}
	return filepath.ToSlash(l.Root)
}

// owner returns the package root an exports manifest names, "" when it names none (written by an
// older generate).
func owner(b []byte) string {
	for _, line := range strings.SplitN(string(b), "\n", 4) {
		if r, ok := strings.CutPrefix(line, ownerPrefix); ok {
			return r
		}
	}
	return ""
}
