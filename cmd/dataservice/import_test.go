package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/internal/manifests"
	"github.com/function-dataservice/function-dataservice/internal/reference"
)

func TestImport(t *testing.T) {
	dir := reference.PathOrSkip(t)
	mongo := filepath.Join(dir, "crossplane-api", "api", "a9s", "mongodb")
	tmpl := filepath.Join(dir, "bind", "mongodb_apiserviceexporttemplate.yaml")

	t.Run("ExactRoundTripThenGenerate", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "mongodb.yaml")
		var stderr bytes.Buffer
		if err := (&importCmd{Files: []string{mongo, tmpl}, Output: out, Strict: true}).Run(streams{Out: &bytes.Buffer{}, Err: &stderr}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stderr.String(), "it regenerates the input (every object equal as parsed YAML") {
			t.Errorf("want the exactness reported, got:\n%s", stderr.String())
		}
		mustGenerate(t, &generateCmd{Files: []string{out}, Output: filepath.Join(t.TempDir(), "package")})
	})

	t.Run("StrictFailsWhenInexact", func(t *testing.T) {
		comp, err := os.ReadFile(filepath.Join(mongo, "composition.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		// A patch policy is not something a DataService can say (P&T's transforms are).
		odd := strings.Replace(string(comp), "              - fromFieldPath: spec.plan\n                toFieldPath: spec.forProvider.planName\n",
			"              - fromFieldPath: spec.plan\n                toFieldPath: spec.forProvider.planName\n                policy: {toFieldPath: MergeObjects}\n", 1)
		p := filepath.Join(t.TempDir(), "composition.yaml")
		writeTestFile(t, p, odd)
		var stderr bytes.Buffer
		err = (&importCmd{Files: []string{filepath.Join(mongo, "definition.yaml"), p}, Strict: true}).Run(streams{Out: &bytes.Buffer{}, Err: &stderr})
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 3 {
			t.Fatalf("want exit code 3, got %v", err)
		}
		for _, want := range []string{"dropped patch spec.plan → spec.forProvider.planName", "does NOT regenerate the input (every object equal as parsed YAML"} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("want %q in:\n%s", want, stderr.String())
			}
		}
	})

	t.Run("RefusesOtherKinds", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "cm.yaml")
		writeTestFile(t, p, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
		err := (&importCmd{Files: []string{p}}).Run(streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}})
		if err == nil || !strings.Contains(err.Error(), "cm.yaml: v1 ConfigMap is not an XRD") {
			t.Fatalf("want an error naming the file and kind, got %v", err)
		}
	})
}

// TestImportPackageRoot imports what generate writes, as it is: the package meta is left out with a
// note. It needs no reference files.
func TestImportPackageRoot(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "package")
	mustGenerate(t, &generateCmd{Files: []string{filepath.Join("..", "..", "examples", "klutch", "mongodb.yaml")}, Output: root})
	var stderr bytes.Buffer
	cmd := &importCmd{Files: []string{root, filepath.Join(dir, "apiserviceexporttemplates.yaml")}, Strict: true}
	if err := cmd.Run(streams{Out: &bytes.Buffer{}, Err: &stderr}); err != nil {
		t.Fatalf("import of generate's package root: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"crossplane.yaml: note: ignored the package meta Configuration", "it regenerates the input (every object equal"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("want %q in:\n%s", want, stderr.String())
		}
	}
}

// TestImportShouldNotLetTextBecomeYAML: import writes names and notes into YAML comments and
// messages. A name with a line break wrote a ClusterRoleBinding to cluster-admin into the imported
// file: names are refused as the API server refuses them, and what the input says elsewhere (a
// schema property's name, in a note) is escaped onto its line.
func TestImportShouldNotLetTextBecomeYAML(t *testing.T) {
	const inject = "\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: pwned}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: Group, name: system:authenticated, apiGroup: rbac.authorization.k8s.io}]\n# "
	dir := t.TempDir()
	root := filepath.Join(dir, "package")
	mustGenerate(t, &generateCmd{Files: []string{filepath.Join("..", "..", "examples", "render", "xr.yaml")}, Output: root})
	var xrd map[string]any
	if err := yaml.Unmarshal([]byte(readTestFile(t, filepath.Join(root, "cache", "definition.yaml"))), &xrd); err != nil {
		t.Fatal(err)
	}
	write := func(edit func(u *unstructured.Unstructured)) string {
		u := (&unstructured.Unstructured{Object: xrd}).DeepCopy()
		edit(u)
		b, err := yaml.Marshal(u.Object)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "definition.yaml")
		writeTestFile(t, p, string(b))
		return p
	}

	t.Run("NameShouldBeRefused", func(t *testing.T) {
		p := write(func(u *unstructured.Unstructured) { u.SetName("xcacheinstances.example.org" + inject) })
		var out bytes.Buffer
		err := (&importCmd{Files: []string{p}}).Run(streams{Out: &out, Err: &bytes.Buffer{}})
		if err == nil || !strings.Contains(err.Error(), `definition.yaml: CompositeResourceDefinition "xcacheinstances.example.org\n---\napiVersion`) ||
			!strings.Contains(err.Error(), "metadata.name: Invalid value") || out.Len() > 0 {
			t.Errorf("import of an XRD whose name holds YAML: %v, output:\n%s\nwant the name refused, quoted, and nothing written", err, out.String())
		}
	})

	t.Run("NotesShouldStayOnTheirLine", func(t *testing.T) {
		p := write(func(u *unstructured.Unstructured) {
			vs, _, _ := unstructured.NestedSlice(u.Object, "spec", "versions")
			v := vs[0].(map[string]any)
			props := v["schema"].(map[string]any)["openAPIV3Schema"].(map[string]any)["properties"].(map[string]any)
			props["x"+inject] = map[string]any{"type": "string"}
			_ = unstructured.SetNestedSlice(u.Object, vs, "spec", "versions")
		})
		var out, stderr bytes.Buffer
		if err := (&importCmd{Files: []string{p}}).Run(streams{Out: &out, Err: &stderr}); err != nil {
			t.Fatal(err)
		}
		docs, err := manifests.Split("out.yaml", out.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if tm, err := d.TypeMeta(); err != nil || tm.Kind != "DataService" {
				t.Errorf("the imported file holds %s %v (%v), want only DataServices:\n%s", d.Where(), tm, err, out.String())
			}
		}
		if !strings.Contains(out.String(), `# Note: dropped openAPIV3Schema.properties.x\n---\napiVersion`) {
			t.Errorf("want the note escaped on one line in:\n%s", out.String())
		}
		if strings.Contains(stderr.String(), "\nkind: ClusterRoleBinding") {
			t.Errorf("stderr holds the input's line breaks:\n%s", stderr.String())
		}
	})
}
