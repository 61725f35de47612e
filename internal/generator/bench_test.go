package generator_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/testtools"
)

// BenchmarkGenerateMongoDB is the generator alone on Klutch's MongoDB (3 objects), with no output
// cache: what the API server's checks compiled of its rules is reused from the first iteration on
// (a Checker, crdcheck.go), as a process generating it again with one Checker reuses it.
func BenchmarkGenerateMongoDB(b *testing.B) {
	ds := mongoDB(b)
	ck := generator.NewChecker(generator.DefaultCheckerSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := generator.GenerateChecked(ds, inputv1beta1.Defaults{}, ck); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGenerateMongoDBColdChecks is BenchmarkGenerateMongoDB from nothing: every iteration
// starts with no verdict of the API server's checks remembered, as the first generation of a
// process does, so every rule is compiled (once for the composite's and the claim's CRD).
func BenchmarkGenerateMongoDBColdChecks(b *testing.B) {
	ds := mongoDB(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := generator.GenerateChecked(ds, inputv1beta1.Defaults{}, generator.NewChecker(generator.DefaultCheckerSize)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGenerateMongoDBPlanChanged changes one plan's name every iteration, as editing a spec
// does: the CRDs without rules and the plan's rules (their schema holds the plans) are checked
// anew, the service's and the parameters' rules are not.
func BenchmarkGenerateMongoDBPlanChanged(b *testing.B) {
	ds := mongoDB(b)
	plans := ds.Spec.Compositions[0].Plans
	ck := generator.NewChecker(generator.DefaultCheckerSize)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		i++
		plans[0] = fmt.Sprintf("mongodbsspl-single-nano-%d", i)
		if _, err := generator.GenerateChecked(ds, inputv1beta1.Defaults{}, ck); err != nil {
			b.Fatal(err)
		}
	}
}

func mongoDB(b *testing.B) *v1alpha1.DataService {
	b.Helper()
	return testtools.ReadDataService(b, filepath.Join("..", "..", "examples", "klutch", "mongodb.yaml"))
}

// BenchmarkGenerateScaling shows how the generator grows with the number of plans and parameters.
// Parameters stop at 100: each carries a CEL rule, and a spec may hold at most 128 (limits.go), so
// 1000 parameters is a rejected spec, not a larger one.
func BenchmarkGenerateScaling(b *testing.B) {
	for _, n := range []int{1, 10, 100, 1000} {
		b.Run(fmt.Sprintf("plans=%d", n), func(b *testing.B) {
			ds := scaled(b, n, 1)
			ck := generator.NewChecker(generator.DefaultCheckerSize)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := generator.GenerateChecked(ds, inputv1beta1.Defaults{}, ck); err != nil {
					b.Fatal(err)
				}
			}
		})
		if n > 100 {
			continue
		}
		b.Run(fmt.Sprintf("parameters=%d", n), func(b *testing.B) {
			ds := scaled(b, 2, n)
			ck := generator.NewChecker(generator.DefaultCheckerSize)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := generator.GenerateChecked(ds, inputv1beta1.Defaults{}, ck); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// scaled is the TestValidation spec with n plans and p parameters.
func scaled(b *testing.B, n, p int) *v1alpha1.DataService {
	b.Helper()
	ds, err := v1alpha1.Decode([]byte(validSpec))
	if err != nil {
		b.Fatal(err)
	}
	plans := []string{"kv-single-small", "kv-single-big"}
	for i := 2; i < n; i++ {
		plans = append(plans, fmt.Sprintf("kv-single-big-%d", i))
	}
	ds.Spec.Compositions[0].Plans = plans[:max(n, 2)]
	var props []string
	for i := range p {
		props = append(props, fmt.Sprintf(`"param%d":{"type":"integer","description":"parameter %d","x-kubernetes-validations":[{"rule":"self >= 0","message":"must not be negative"}]}`, i, i))
	}
	ds.Spec.Parameters.Schema.Raw = []byte(`{"type":"object","properties":{` + strings.Join(props, ",") + `}}`)
	return ds
}

// BenchmarkGenerateMongoDBCached is the generator as the function runs it: the API server's checks
// of an XRD it has accepted before are skipped.
func BenchmarkGenerateMongoDBCached(b *testing.B) {
	ds := mongoDB(b)
	c := generator.NewCache(64 << 20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := generator.GenerateCached(ds, inputv1beta1.Defaults{}, c); err != nil {
			b.Fatal(err)
		}
	}
}
