package packaging

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// TestBadInputShouldFailOnOneLine gives the CLI what operators get wrong: each is refused with a
// non-zero exit and one line on stderr that names the file (and line, where YAML gives one) and
// the fix, without a stack trace.
func TestBadInputShouldFailOnOneLine(t *testing.T) {
	e2e(t)
	dir := t.TempDir()
	meta := "apiVersion: meta.pkg.crossplane.io/v1\nkind: Configuration\nmetadata:\n  name: p\n"
	write(t, filepath.Join(dir, "malformed.yaml"), "apiVersion: dataservice.klutch.io/v1alpha1\nkind: DataService\nmetadata:\n  name: x\nspec:\n  group: a.b\n   kind: X\n")
	write(t, filepath.Join(dir, "tabs.yaml"), "apiVersion: dataservice.klutch.io/v1alpha1\nkind: DataService\nmetadata:\n\tname: x\n")
	write(t, filepath.Join(dir, "twice.yaml"), "apiVersion: dataservice.klutch.io/v1alpha1\nkind: DataService\nmetadata:\n  name: x\n  name: y\nspec: {}\n")
	write(t, filepath.Join(dir, "configmap.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
	write(t, filepath.Join(dir, "twometas", "crossplane.yaml"), meta)
	write(t, filepath.Join(dir, "twometas", "more", "crossplane.yaml"), meta)
	write(t, filepath.Join(dir, "brokenroot", "crossplane.yaml"), meta)
	write(t, filepath.Join(dir, "brokenroot", "xrd.yaml"), "apiVersion: apiextensions.crossplane.io/v1\nkind: CompositeResourceDefinition\nmetadata:\n  name: [x\n")
	write(t, filepath.Join(dir, "brokendocker", "config.json"), "{\n  \"auths\": {\n    \"127.0.0.1\": {\"auth\": \"eA==\"}\n")
	if err := os.MkdirAll(filepath.Join(dir, "folderdocker", "config.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	pkg := filepath.Join(dir, "p.xpkg")
	must(t, nil, cli(t), "build", klutchRoot(t), "-o", pkg)
	reg := testtools.StartPackageRegistry(t)

	cases := map[string]struct {
		reason string
		env    []string
		args   []string
		want   []string
	}{
		"MalformedYAML": {
			reason: "A YAML syntax error names the file and the line of the file, and what to fix.",
			args:   []string{"generate", "-f", filepath.Join(dir, "malformed.yaml"), "-o", filepath.Join(dir, "out")},
			want:   []string{"malformed.yaml:7: mapping values are not allowed in this context", "fix the YAML syntax there"},
		},
		"Tabs": {
			reason: "A tab, for which YAML names no line, is found and named.",
			args:   []string{"generate", "-f", filepath.Join(dir, "tabs.yaml"), "-o", filepath.Join(dir, "out")},
			want:   []string{"tabs.yaml:4:", "indent with spaces"},
		},
		"KeyGivenTwice": {
			reason: "A key given twice is named with its line.",
			args:   []string{"generate", "-f", filepath.Join(dir, "twice.yaml"), "-o", filepath.Join(dir, "out")},
			want:   []string{`twice.yaml:5: key "name" already set in map`, "remove one of the two"},
		},
		"WrongKind": {
			reason: "Another kind than a DataService is named with what to pass instead.",
			args:   []string{"generate", "-f", filepath.Join(dir, "configmap.yaml"), "-o", filepath.Join(dir, "out")},
			want:   []string{"configmap.yaml: v1 ConfigMap is not a DataService", "pass only DataService specs"},
		},
		"MissingSpec": {
			reason: "A spec file that does not exist is named.",
			args:   []string{"generate", "-f", filepath.Join(dir, "nope.yaml"), "-o", filepath.Join(dir, "out")},
			want:   []string{"nope.yaml: no such file or folder: check the path"},
		},
		"MissingPackageRoot": {
			reason: "A package root that does not exist is named (kong checks it; the usage goes to stdout).",
			args:   []string{"build", filepath.Join(dir, "nope")},
			want:   []string{filepath.Join(dir, "nope") + ": no such file or directory"},
		},
		"MissingPackageFile": {
			reason: "A package file to push that does not exist is named.",
			args:   []string{"push", reg.Ref("platform/x:v1"), "-f", filepath.Join(dir, "nope.xpkg")},
			want:   []string{filepath.Join(dir, "nope.xpkg") + ": no such file or directory"},
		},
		"TwoMetas": {
			reason: "A package root with two metas names both and says which to keep.",
			args:   []string{"build", filepath.Join(dir, "twometas")},
			want:   []string{"a package has exactly one meta, found 2", filepath.Join("more", "crossplane.yaml"), "keep one, in crossplane.yaml at the package root"},
		},
		"MalformedPackageFile": {
			reason: "A YAML syntax error in the package root names the file, line and fix.",
			args:   []string{"build", filepath.Join(dir, "brokenroot")},
			want:   []string{"xrd.yaml:4: not a YAML object", "fix the YAML syntax there"},
		},
		"BrokenDockerConfig": {
			reason: "A Docker config that is not JSON is named with its line, instead of 'unexpected EOF'.",
			env:    append(os.Environ(), "DOCKER_CONFIG="+filepath.Join(dir, "brokendocker")),
			args:   []string{"push", reg.Ref("platform/x:v1"), "-f", pkg, "--retries", "0"},
			want:   []string{filepath.Join(dir, "brokendocker", "config.json") + ":4: not valid JSON", "fix or remove it", "DOCKER_CONFIG"},
		},
		"UnreadableDockerConfig": {
			reason: "A Docker config that cannot be read is refused, instead of pushing without credentials.",
			env:    append(os.Environ(), "DOCKER_CONFIG="+filepath.Join(dir, "folderdocker")),
			args:   []string{"push", reg.Ref("platform/x:v1"), "-f", pkg, "--retries", "0"},
			want:   []string{filepath.Join(dir, "folderdocker", "config.json") + ": it is a folder, not a file", "fix or remove it"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := run(t, tc.env, cli(t), tc.args...)
			if r.code == 0 {
				t.Fatalf("%s\nexit 0, want a failure:\n%s", tc.reason, r.stderr)
			}
			stderr := strings.TrimRight(r.stderr, "\n")
			if strings.Contains(stderr, "\n") {
				t.Errorf("%s\nstderr has several lines, want one:\n%s", tc.reason, stderr)
			}
			if !strings.HasPrefix(stderr, "dataservice: error: ") {
				t.Errorf("%s\nstderr does not start with 'dataservice: error: ':\n%s", tc.reason, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("%s\nstderr does not say %q:\n%s", tc.reason, w, stderr)
				}
			}
			for _, trace := range []string{"goroutine ", "panic:", ".go:"} {
				if strings.Contains(r.stderr+r.stdout, trace) {
					t.Errorf("%s\nthe output holds a stack trace (%q):\n%s\n%s", tc.reason, trace, r.stdout, r.stderr)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
				t.Errorf("%s\ngenerate wrote %s although its input is bad", tc.reason, filepath.Join(dir, "out"))
			}
		})
	}
}
