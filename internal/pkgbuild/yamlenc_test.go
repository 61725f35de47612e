package pkgbuild

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// TestJSONToYAML compares jsonToYAML with sigs.k8s.io/yaml's JSONToYAML, whose output the package
// layer must reproduce byte for byte, on what encoding/json writes.
func TestJSONToYAML(t *testing.T) {
	cases := map[string]string{
		"Numbers":       `{"int":1,"neg":-3,"zero":0,"negzero":-0,"big":9223372036854775807,"bigger":18446744073709551615,"huge":184467440737095516150,"float":1.5,"exp":1e+21,"small":1e-7}`,
		"Strings":       `{"s":"yes","n":"123","e":"","q":"a \"b\" \\c","nl":"x\ny\n","html":"\u003ca\u003e \u0026","sep":"\u2028","colon":"a: b","hash":"# c","dash":"- d","star":"*e","tab":"\tf","bool":"true","null":"null","date":"2001-12-14","float":"1.0"}`,
		"Literals":      `{"t":true,"f":false,"n":null}`,
		"Nested":        `{"b":{"z":[1,{"y":[]},{}],"a":"x"},"a":[[],[[]]],"10":1,"9":2,"a10":1,"a9":2}`,
		"TopLevelArray": `[1,"a",{"k":"v"}]`,
		"Scalar":        `"s"`,
		"Unicode":       `{"é":"ü","k":"日本"}`,
		"LongString":    `{"d":"` + string(make([]byte, 0)) + `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbb cccccccccc"}`,
		"Invalid":       `{"a":`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			want, werr := yaml.JSONToYAML([]byte(in))
			got, gerr := jsonToYAML([]byte(in))
			if (werr != nil) != (gerr != nil) {
				t.Fatalf("jsonToYAML(%s): error %v, JSONToYAML's %v", in, gerr, werr)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("jsonToYAML(%s): -JSONToYAML +jsonToYAML:\n%s", in, diff)
			}
		})
	}
}
