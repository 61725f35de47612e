package fieldref_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/function-dataservice/function-dataservice/apis"
	"github.com/function-dataservice/function-dataservice/internal/fieldref"
)

func TestExplain(t *testing.T) {
	schema, err := apis.DataServiceSchema()
	if err != nil {
		t.Fatal(err)
	}
	ref := fieldref.Reference{Kind: "DataService", APIVersion: "dataservice.klutch.io/v1alpha1", Schema: schema}
	cases := map[string]struct {
		path      string
		recursive bool
		want      []string // substrings of the output
		err       string
	}{
		"Root":              {path: "", want: []string{"KIND:     DataService", "spec\t<Object> -required-"}},
		"BackendIndices":    {path: "spec.compositions[0].backend", want: []string{"FIELD:    spec.compositions.backend <Object>", "readinessChecks\t<[]Object>", "apiVersion\t<string> -required-"}},
		"PlanCatalog":       {path: "spec.plan.catalog", want: []string{"values\t<map[string]any>"}},
		"EnumListed":        {path: "spec.crossplaneVersion", want: []string{`One of: "v1", "v2"`}},
		"Recursive":         {path: "spec.plan", recursive: true, want: []string{"catalog\t<[]Object>", "    values\t<map[string]any>"}},
		"UnknownNamesKnown": {path: "spec.compositions.backnd", err: `spec.compositions has no field "backnd"; its fields: backend,`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			err := fieldref.Explain(&b, ref, tc.path, tc.recursive)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Explain(%q): want error containing %q, got %v", tc.path, tc.err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("Explain(%q): output lacks %q:\n%s", tc.path, w, b.String())
				}
			}
		})
	}
}

func TestMarkdownCoversEveryObject(t *testing.T) {
	schema, err := apis.DataServiceSchema()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := fieldref.Markdown(&b, fieldref.Reference{Kind: "DataService", Schema: schema}, ""); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"## spec.compositions.backend\n", "## spec.plan.catalog\n", "| `readinessChecks` |"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("Markdown lacks %q", w)
		}
	}
}

// TestExplainOverlay: overlays, which have no API in a cluster, have a field reference too.
func TestExplainOverlay(t *testing.T) {
	schema, err := apis.OverlaySchema()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := fieldref.Explain(&b, fieldref.Reference{Kind: "DataServiceOverlay", APIVersion: "dataservice.klutch.io/v1alpha1", Schema: schema}, "spec.plans", false); err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"KIND:     DataServiceOverlay", "renamePrefix\t<Object>", "hide\t<[]string>"} {
		if !strings.Contains(b.String(), w) {
			t.Errorf("output lacks %q:\n%s", w, b.String())
		}
	}
}
