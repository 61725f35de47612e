#!/usr/bin/env bash
# The generator alone (internal/generator's Go benchmarks: Klutch's MongoDB uncached and cached,
# and scaling with 1, 10, 100 and 1000 plans and parameters), init --from-crd and generate --crd on
# large operator CRDs (cmd/dataservice's BenchmarkOperatorCRD) and RunFunction in-process
# (bench/fixtures), ROUNDS times each, and BenchmarkGenerateMongoDB at issue 15's baseline commit;
# raw output in $OUT/generator.txt, benchstat's summary in $OUT/generator-benchstat.txt and its
# comparison of the two commits in $OUT/generator-vs-baseline.txt.
source "$(dirname "$0")/lib.sh"
BENCHSTAT=golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
mkdir -p "$OUT"
cd "$REPO"
log "generator benchmarks, $ROUNDS rounds"
# Each commit's numbers follow a "commit:" line (benchstat's configuration syntax), so that benchstat
# can put this checkout's BenchmarkGenerateMongoDB beside the baseline's below.
head=$(git -C "$REPO" rev-parse --short HEAD)
echo "commit: $head" >"$OUT/generator.txt"
go test -run '^$' -bench 'BenchmarkGenerate' -benchmem -count "$ROUNDS" ./internal/generator >>"$OUT/generator.txt"
log "init --from-crd and generate --crd on large operator CRDs (issue 26), $ROUNDS rounds"
go test -run '^$' -bench 'BenchmarkOperatorCRD' -benchmem -count "$ROUNDS" ./cmd/dataservice >>"$OUT/generator.txt"
log "RunFunction in-process, $ROUNDS rounds"
go test -run '^$' -bench 'BenchmarkRunFunction$' -benchmem -count "$ROUNDS" ./bench/fixtures >>"$OUT/generator.txt"
# Issue 15's baseline: the uncached MongoDB benchmark at commit $BASELINE (bcc426a; empty to skip), from
# a plain export of that commit, in the same run. The "commit:" line labels the numbers that follow
# for benchstat and for bench/report, which keeps them out of the generator table.
BASELINE=${BASELINE-bcc426a}
if [ -n "$BASELINE" ]; then
	base=$(mktemp -d) # outside the checkout: a module of its own, not part of ./...
	trap 'rm -rf "$base"' EXIT
	git -C "$REPO" archive "$BASELINE" | tar -x -C "$base"
	log "uncached generator benchmark at $BASELINE, $ROUNDS rounds"
	echo "commit: $BASELINE" >>"$OUT/generator.txt"
	(cd "$base" && go test -run '^$' -bench '^BenchmarkGenerateMongoDB$' -benchmem -count "$ROUNDS" ./internal/generator) >>"$OUT/generator.txt"
	rm -rf "$base"
fi
if [ -n "$BASELINE" ] && go run "$BENCHSTAT" -col "commit@($BASELINE $head)" -filter '.name:GenerateMongoDB' "$OUT/generator.txt" >"$OUT/generator-vs-baseline.txt" 2>/dev/null; then
	log "BenchmarkGenerateMongoDB at $BASELINE against $head (benchstat) in $OUT/generator-vs-baseline.txt"
fi
if go run "$BENCHSTAT" "$OUT/generator.txt" >"$OUT/generator-benchstat.txt" 2>/dev/null; then
	log "benchstat summary in $OUT/generator-benchstat.txt"
else
	log "benchstat unavailable: medians only"
fi
