package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/tables.golden.md from the fixture")

// TestTables renders the fixture, in the shapes function.sh (loadgen), build.sh (timeit, digest
// lines) and generator.sh write, and compares the whole output with the golden file.
func TestTables(t *testing.T) {
	c := &cli{Results: filepath.Join("testdata", "results.jsonl"), GoBench: filepath.Join("testdata", "generator.txt")}
	got, err := c.tables()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "tables.golden.md")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("tables (-want +got), rerun with -update if intended:\n%s", diff)
	}
}

// TestIssue15Rows checks the rows issue 15 added, one by one: the floor's rows, start-up and each
// target with its verdict, and "not measured" when the baseline commit's numbers are missing.
func TestIssue15Rows(t *testing.T) {
	noBaseline := filepath.Join(t.TempDir(), "generator.txt")
	data, err := os.ReadFile(filepath.Join("testdata", "generator.txt"))
	if err != nil {
		t.Fatal(err)
	}
	current, _, _ := strings.Cut(string(data), "commit: bcc426a")
	if err := os.WriteFile(noBaseline, []byte(current), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		gobench string
		want    []string
	}{
		"WithBaseline": {
			gobench: filepath.Join("testdata", "generator.txt"),
			want: []string{
				"| concurrency 16 | throughput | 1145 req/s | 1336 req/s | 0.86× |",
				"|  | CPU per request | 735 µs | 630 µs | 1.17× |",
				"|  | p50 | 10.50 ms | 9.45 ms | 1.11× |",
				"| cold: first request of a new process | latency | 31.5 ms | 5.2 ms | 6.00× |",
				"| 62 ms | 162 ms | 2.61× |",
				"| build ≥ 1.5× faster than crossplane xpkg build at 100 services, same digest | 1.91× at 100 services, same digest: yes, `sha256:2f3254d0b38f…` | met |",
				"| start-up: dataservice version no slower than crossplane version --client | 62 against 162 ms: 2.61× | met |",
				"| first RunFunction of a new process (cold) no slower than function-patch-and-transform's | 31.5 against 10.5 ms: 0.33× | missed |",
				"| CPU per request ≤ 1.3× the floor's at concurrency 16 | 1.17× the floor's (concurrency 16) | met |",
				"| uncached BenchmarkGenerateMongoDB ≥ 3× faster than at commit bcc426a | 4.03× (12.50 ms at bcc426a, 3.10 ms now) | met |",
				// The baseline's numbers stay out of the generator table.
				"| GenerateMongoDB | 3.10 ms | 900000 | 9000 |",
			},
		},
		"WithoutBaseline": {
			gobench: noBaseline,
			want: []string{
				"| uncached BenchmarkGenerateMongoDB ≥ 3× faster than at commit bcc426a | not measured |  |",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := &cli{Results: filepath.Join("testdata", "results.jsonl"), GoBench: tc.gobench}
			got, err := c.tables()
			if err != nil {
				t.Fatal(err)
			}
			rows := strings.Split(got, "\n")
			var missing []string
			for _, w := range tc.want {
				found := false
				for _, r := range rows {
					if r == w {
						found = true
					}
				}
				if !found {
					missing = append(missing, w)
				}
			}
			if diff := cmp.Diff([]string(nil), missing); diff != "" {
				t.Errorf("rows missing from the tables (-want +got):\n%s\ntables:\n%s", diff, got)
			}
		})
	}
}
