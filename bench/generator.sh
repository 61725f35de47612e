#!/usr/bin/env bash
# The generator alone (internal/generator's Go benchmarks: Klutch's MongoDB uncached and cached,
# and scaling with 1, 10, 100 and 1000 plans and parameters) and RunFunction in-process
# (bench/fixtures), ROUNDS times each; raw output in $OUT/generator.txt and benchstat's summary
# in $OUT/generator-benchstat.txt.
source "$(dirname "$0")/lib.sh"
BENCHSTAT=golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
mkdir -p "$OUT"
cd "$REPO"
log "generator benchmarks, $ROUNDS rounds"
go test -run '^$' -bench 'BenchmarkGenerate' -benchmem -count "$ROUNDS" ./internal/generator >"$OUT/generator.txt"
log "RunFunction in-process, $ROUNDS rounds"
go test -run '^$' -bench 'BenchmarkRunFunction$' -benchmem -count "$ROUNDS" ./bench/fixtures >>"$OUT/generator.txt"
if go run "$BENCHSTAT" "$OUT/generator.txt" >"$OUT/generator-benchstat.txt" 2>/dev/null; then
	log "benchstat summary in $OUT/generator-benchstat.txt"
else
	log "benchstat unavailable: medians only"
fi
