#!/usr/bin/env bash
# make bench: every benchmark of bench/, then the tables of bench/README.md (replaced between its
# markers) from the medians. Results in $OUT (_output/bench): results.jsonl, generator.txt,
# machine.txt, table.md. Takes about 15 minutes with ROUNDS=5 on a 2-core machine.
source "$(dirname "$0")/lib.sh"
prepare
mkdir -p "$OUT"
rm -f "$RESULTS"
{
	echo "date:        $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "commit:      $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet || echo ' (with local changes)')"
	echo "cpu:         $(nproc) × $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
	echo "memory:      $(awk '/^MemTotal:/ {printf "%d", $2 / 1048576}' /proc/meminfo) GiB"
	echo "kernel:      $(uname -r)"
	echo "go:          $(go version | cut -d' ' -f3-)"
	echo "compared:    crossplane $CROSSPLANE_VERSION, function-patch-and-transform $PT_VERSION, function-go-templating $GT_VERSION, distribution registry $REGISTRY_VERSION"
	echo "rounds:      $ROUNDS"
	echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine)"
} >"$OUT/machine.txt"

"$REPO/bench/function.sh"
"$REPO/bench/generator.sh"
"$REPO/bench/build.sh"
"$REPO/bench/push.sh"
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"

"$BIN/report" --results "$RESULTS" --gobench "$OUT/generator.txt" --machine "$OUT/machine.txt" >"$OUT/table.md"
"$BIN/report" --results "$RESULTS" --gobench "$OUT/generator.txt" --machine "$OUT/machine.txt" --readme "$REPO/bench/README.md"
cat "$OUT/table.md"
log "tables written to bench/README.md and $OUT/table.md"
