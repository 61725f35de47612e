package main

import "testing"

// TestBenchLineReadsExtraMetrics: a benchmark that reports a metric of its own (cpu-ms/op of
// BenchmarkOperatorCRD) still gives its B/op and allocs/op.
func TestBenchLineReadsExtraMetrics(t *testing.T) {
	for line, want := range map[string][3]string{
		"BenchmarkOperatorCRD/InitAndGenerate/x-2   \t       2\t 952350869 ns/op\t       412.0 cpu-ms/op\t125154936 B/op\t  991165 allocs/op": {"952350869", "125154936", "991165"},
		"BenchmarkGenerateMongoDB-2 \t 1000 \t 796000 ns/op\t 301388 B/op\t 2202 allocs/op":                                                   {"796000", "301388", "2202"},
		"BenchmarkX-2  10  5 ns/op": {"5", "", ""},
	} {
		m := benchLine.FindStringSubmatch(line)
		if m == nil || [3]string{m[3], m[4], m[5]} != want {
			t.Errorf("%q: got %q, want %q", line, m, want)
		}
	}
}
