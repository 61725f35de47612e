package pkgbuild

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const meta = `apiVersion: meta.pkg.crossplane.io/v1
kind: Configuration
metadata:
  name: test-platform
spec:
  crossplane:
    version: ">=v1.17.0"
`

const xrd = `apiVersion: apiextensions.crossplane.io/v1
kind: CompositeResourceDefinition
metadata:
  name: xwidgets.example.org
spec:
  group: example.org
  names: {kind: XWidget, plural: xwidgets}
  versions:
  - name: v1
    served: true
    referenceable: true
    schema:
      openAPIV3Schema: {type: object}
`

const composition = `apiVersion: apiextensions.crossplane.io/v1
kind: Composition
metadata:
  name: widgets
spec:
  compositeTypeRef: {apiVersion: example.org/v1, kind: XWidget}
  mode: Pipeline
  pipeline:
  - step: noop
    functionRef: {name: function-noop}
`

const template = `apiVersion: example-backend.klutch.anynines.com/v1alpha1
kind: APIServiceExportTemplate
metadata:
  name: widgets
spec: {}
`

const configMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
`

const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: inputs.fn.example.org
spec:
  group: fn.example.org
  names: {kind: Input, plural: inputs}
  scope: Namespaced
  versions:
  - name: v1beta1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object}
`

const example = `apiVersion: example.org/v1
kind: XWidget
metadata:
  name: example
`

// tree writes files (path relative to dir: content) and returns dir.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func digest(t *testing.T, root string, src Source) string {
	t.Helper()
	src.Root = root
	p, err := Build(context.Background(), src, Configuration, nil)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return p.Digest.String()
}

func TestBuild(t *testing.T) {
	base := map[string]string{
		"crossplane.yaml":               meta,
		"widget/definition.yaml":        xrd,
		"widget/composition.yaml":       composition,
		"examples/widget.yaml":          example,
		"README.md":                     "not YAML, not packaged",
		"empty.yaml":                    "",
		"widget/definition.yaml.orig":   "not YAML by extension",
		"widget/../widget/notes.yml.md": "neither",
	}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	want := digest(t, tree(t, base), Source{})

	cases := map[string]struct {
		files map[string]string
		src   Source
		same  bool
	}{
		"HiddenFoldersShouldBeSkipped": {
			files: with(map[string]string{".github/workflows/ci.yaml": "on: push\n", ".git/config.yaml": "x: y\n", ".swap.yaml": "a: b\n"}),
			same:  true,
		},
		"IgnoredFilesShouldBeSkipped": {
			files: with(map[string]string{"fixtures/cm.yaml": configMap}),
			src:   Source{Ignore: []string{"fixtures/*.yaml"}},
			same:  true,
		},
		"ExamplesOutsideTheRootShouldBeRelativeToIt": {
			files: map[string]string{"pkg/crossplane.yaml": meta, "pkg/widget/definition.yaml": xrd, "pkg/widget/composition.yaml": composition, "ex/widget.yaml": example},
			src:   Source{Examples: "../ex"},
			same:  true,
		},
		"AnotherExampleShouldChangeTheDigest": {
			files: with(map[string]string{"examples/other.yaml": example}),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			root := tree(t, tc.files)
			if _, ok := tc.files["pkg/crossplane.yaml"]; ok {
				root = filepath.Join(root, "pkg")
			}
			got := digest(t, root, tc.src)
			if (got == want) != tc.same {
				t.Errorf("digest %s, unchanged build %s: same = %v, want %v", got, want, got == want, tc.same)
			}
		})
	}
}

func TestBuildShouldBeReproducible(t *testing.T) {
	root := tree(t, map[string]string{"crossplane.yaml": meta, "a/definition.yaml": xrd, "a/composition.yaml": composition, "examples/x.yaml": example})
	first := digest(t, root, Source{})
	for i := 0; i < 3; i++ {
		if got := digest(t, root, Source{}); got != first {
			t.Fatalf("build %d: digest %s, first build %s", i+2, got, first)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	cases := map[string]struct {
		files map[string]string
		kind  Kind
		want  []string
	}{
		"ExportTemplateShouldBeRefusedWithWhereItBelongs": {
			files: map[string]string{"crossplane.yaml": meta, "apiserviceexporttemplates.yaml": xrd + "---\n" + template},
			want: []string{
				`apiserviceexporttemplates.yaml:15: APIServiceExportTemplate "widgets" (example-backend.klutch.anynines.com/v1alpha1) does not belong in a Configuration package`,
				"apply it to the control plane beside the package",
			},
		},
		"ConfigMapShouldBeRefusedNamingFileAndObject": {
			files: map[string]string{"crossplane.yaml": meta, "config/settings.yaml": configMap},
			want:  []string{`settings.yaml: ConfigMap "settings" (v1) does not belong in a Configuration package`, "--ignore"},
		},
		"CRDInAConfigurationShouldBeRefused": {
			files: map[string]string{"crossplane.yaml": meta, "crd.yaml": crd},
			want:  []string{`crd.yaml: CustomResourceDefinition "inputs.fn.example.org"`, "holds one crossplane.yaml meta and only CompositeResourceDefinitions"},
		},
		"CompositionInAFunctionShouldBeRefused": {
			files: map[string]string{"crossplane.yaml": strings.Replace(meta, "Configuration", "Function", 1), "c.yaml": composition},
			kind:  Function,
			want:  []string{`c.yaml: Composition "widgets" (apiextensions.crossplane.io/v1) does not belong in a Function package`},
		},
		"MissingMetaShouldSaySo": {
			files: map[string]string{"definition.yaml": xrd},
			want:  []string{"no Configuration meta", "add a crossplane.yaml"},
		},
		"TwoMetasShouldNameBoth": {
			files: map[string]string{"crossplane.yaml": meta, "sub/crossplane.yaml": meta},
			want:  []string{"exactly one meta, found 2", "sub/crossplane.yaml", "keep one, in crossplane.yaml at the package root"},
		},
		"FunctionMetaInConfigurationBuildShouldSaySo": {
			files: map[string]string{"crossplane.yaml": strings.Replace(meta, "Configuration", "Function", 1)},
			want:  []string{"is not a Configuration meta"},
		},
		"BadConstraintShouldNameTheField": {
			files: map[string]string{"crossplane.yaml": strings.Replace(meta, ">=v1.17.0", "not-a-version", 1)},
			want:  []string{"spec.crossplane.version", "poorly formatted"},
		},
		"BrokenYAMLShouldNameFileAndLine": {
			files: map[string]string{"crossplane.yaml": meta, "x.yaml": xrd + "---\nkind: [\n"},
			want:  []string{"x.yaml:15: not a YAML object", "fix the YAML syntax there"},
		},
		"BadFieldShouldNameTheObject": {
			files: map[string]string{"crossplane.yaml": meta, "c.yaml": strings.Replace(composition, "compositeTypeRef: {apiVersion: example.org/v1, kind: XWidget}", "compositeTypeRef: [1]", 1)},
			want:  []string{`c.yaml: Composition "widgets"`, "compositeTypeRef"},
		},
		"BrokenExampleShouldSayItIsAnExample": {
			files: map[string]string{"crossplane.yaml": meta, "examples/x.yaml": "a: [\n"},
			want:  []string{"examples/x.yaml:1: not a YAML object", "in the examples root"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			kind := tc.kind
			if kind == "" {
				kind = Configuration
			}
			_, err := Build(context.Background(), Source{Root: tree(t, tc.files)}, kind, nil)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Build: got error %v, want a *pkgbuild.Error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestWriteShouldRoundTrip(t *testing.T) {
	root := tree(t, map[string]string{"crossplane.yaml": meta, "a/definition.yaml": xrd})
	p, err := Build(context.Background(), Source{Root: root}, Configuration, nil)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "out", "test.xpkg")
	if err := Write(context.Background(), file, p.Image); err != nil {
		t.Fatal(err)
	}
	img, err := Read(file)
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if d != p.Digest {
		t.Errorf("read back digest %s, built %s", d, p.Digest)
	}
	if p.Name != "test-platform" || p.Examples {
		t.Errorf("Name %q Examples %v, want test-platform and no examples", p.Name, p.Examples)
	}
}
