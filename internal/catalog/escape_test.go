package catalog

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// hostileLine is spec text an attacker writes for a page others read: HTML that runs script,
// links to javascript: (inline and as an autolink), and a stray backtick that would open a code
// span swallowing what the page writes after it. Rule messages hold no line break (the API
// server's rule); hostile, which descriptions hold, adds one before a heading.
const (
	hostileLine = "<script>alert(1)</script> <img src=x onerror=alert(1)> [click](javascript:alert(1)) <javascript:alert(2)> a ` b"
	hostile     = hostileLine + "\n# Injected"
)

// escapedLine and escapedHostile are how the page must say them: every character as typed,
// nothing of it HTML, a link, a code span or a block.
const (
	escapedLine    = "&lt;script>alert(1)&lt;/script> &lt;img src=x onerror=alert(1)> \\[click\\](javascript:alert(1)) &lt;javascript:alert(2)> a \\` b"
	escapedHostile = escapedLine + " # Injected"
)

// TestHostileTextStaysText puts hostile text into everything of a spec a page shows (descriptions
// of the API, its fields, services, plans and their values, a plan's values, deprecation warnings,
// rule messages on fields, on the spec and on plan changes) and checks that the page escapes it
// everywhere, that code it quotes (defaults, enums, patterns, rules) is delimited by more backticks
// than it holds, and that the example reads back whole from its fenced block.
func TestHostileTextStaysText(t *testing.T) {
	p := hostilePage(t)
	page := string(p.Markdown)

	// '<' is never written as it is; a link's "](" only escaped.
	for _, raw := range []*regexp.Regexp{regexp.MustCompile(`<(script|img|javascript:)`), regexp.MustCompile(`(^|[^\\])\]\(javascript:`), regexp.MustCompile("\n# Injected")} {
		if m := raw.FindString(page); m != "" {
			t.Errorf("the page holds %q unescaped", m)
		}
	}
	// Each place hostile text goes, it is said escaped: in paragraphs, table cells (where '|' is
	// escaped too) and lists.
	for _, where := range []string{
		"`spec.plan`: " + escapedHostile + "\n",    // the field's description
		"`spec.service`: " + escapedHostile + "\n", // the service field's
		"\n" + escapedHostile + "\n",               // the kube-bind description, a paragraph
		"deprecated: " + escapedHostile,            // a version's warning
		"| `small` | " + escapedHostile + " | 1Gi | 5Gi | 0 | " + strings.ReplaceAll(escapedHostile, "\\` ", "") + " |", // a plan's value and description
		"cpu: " + escapedHostile + "; memory",                                    // what a plan's values mean
		"- " + escapedLine + " (`has(self.plan)`)",                               // a rule on the spec
		"`spec.plan`: " + escapedLine + "\n",                                     // the grid's legend
		"| " + escapedHostile + " | " + escapedLine + " (`self.size() < 100`) |", // a field's description and rule
	} {
		if !strings.Contains(page, where) {
			t.Errorf("the page lacks %q", where)
		}
	}
	// Code is delimited by one backtick more than it holds in a row.
	for _, code := range []string{"````\"``hi```\"````", "``\"`a\"``", "```\"b``\"```", "``.*`.*``"} {
		if !strings.Contains(page, code) {
			t.Errorf("the page lacks the code span %s", code)
		}
	}

	// The example reads back whole from the block its fence opens.
	_, block, _ := strings.Cut(page, "## Example\n")
	open := block[strings.Index(block, "\n`")+1:]
	fence := open[:strings.Index(open, "yaml\n")]
	body, _, ok := strings.Cut(strings.TrimPrefix(open, fence+"yaml\n"), "\n"+fence+"\n")
	if !ok {
		t.Fatalf("the example's block does not close with its fence %s", fence)
	}
	got := map[string]any{}
	if err := yaml.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{}
	b, _ := yaml.Marshal(p.Example)
	if err := yaml.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the example read back from the page differs: -want, +got:\n%s", diff)
	}
}

// hostilePage is the page of Valkey with hostile text in everything of its spec a page shows
// (descriptions of the API, its fields, services, plans and their values, a plan's values,
// deprecation warnings, rule messages on fields, on the spec and on plan changes).
func hostilePage(t *testing.T) *Page {
	t.Helper()
	ds := testtools.ReadDataService(t, filepath.Join("..", "..", "examples", "internal", "v2", "valkey.yaml"))
	s := &ds.Spec
	s.Versions = []v1alpha1.APIVersion{{Name: "v1alpha1", Deprecated: true, DeprecationWarning: hostile}, {Name: "v1"}}
	s.Plan.Description = hostile
	s.Plan.Values[0].Description = hostile
	// The generator joins the plan's description and its catalog's into the field's: two stray
	// backticks would pair there into a code span, where everything is text too, but which this
	// test would not tell from the page's own.
	s.Plan.Catalog[0].Description = strings.ReplaceAll(hostile, "`", "")
	s.Plan.Catalog[0].Values["cpu"] = extv1.JSON{Raw: []byte(fmt.Sprintf("%q", hostile))}
	s.Service.Description = hostile
	// medium → large is refused by this rule first: the grid's legend names it by its message.
	s.Plan.Changes = append(s.Plan.Changes, v1alpha1.PlanChange{Rule: "!(self == 'large' && oldSelf == 'medium')", Message: hostileLine})
	s.Rules = []v1alpha1.Rule{{Rule: "has(self.plan)", Message: hostileLine}}
	s.Export = &v1alpha1.Export{KubeBind: &v1alpha1.KubeBindExport{Description: hostile}}
	s.Fields = []v1alpha1.Field{
		{Name: "greeting", Required: true, Schema: runtime.RawExtension{Raw: []byte(`{
			"type": "string", "description": ` + fmt.Sprintf("%q", hostile) + `,
			"default": "` + "``" + `hi` + "```" + `", "pattern": ".*` + "`" + `.*",
			"x-kubernetes-validations": [{"rule": "self.size() < 100", "message": ` + fmt.Sprintf("%q", hostileLine) + `}]}`)}},
		{Name: "mode", Schema: runtime.RawExtension{Raw: []byte(`{"type": "string", "enum": ["` + "`a" + `", "b` + "``" + `"]}`)}},
	}
	_, p := writePage(t, ds)
	return p
}
