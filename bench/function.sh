#!/usr/bin/env bash
# RunFunction over gRPC: function-dataservice, function-patch-and-transform and
# function-go-templating composing the same three objects of Klutch's MongoDB DataService, side by
# side in each round (the order rotates from round to round): the cold first request of a fresh
# process, then fixed concurrency (closed loop) and fixed rates (open loop) with throughput, p50/p99
# latency, the function's CPU time per request and its resident memory. Appends JSON lines to
# $OUT/results.jsonl. Environment: ROUNDS (5), DURATION (5s), WARMUP (1s).
source "$(dirname "$0")/lib.sh"
[ "${BENCH_NETNS:-}" = 1 ] || prepare
in_netns "$@"

DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-1s}
LOADS=${LOADS:-"concurrency:1 concurrency:16 rate:200 rate:1000"}
work=$(mktemp -d)
pids=()
stop_all() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pids=()
}
trap 'stop_all; rm -rf "$work"' EXIT

declare -A port=([function-dataservice]=9443 [function-patch-and-transform]=9444 [function-go-templating]=9445 [floor]=9446)
declare -A pid
# floor (bench/floor) returns our response, precomputed, over our gRPC server: the least any
# function pays for the same requests and objects.
targets=(function-dataservice function-patch-and-transform function-go-templating floor)

start() { # start NAME BINARY ARGS...: serve a function in plain text, logs in $work
	local name=$1 bin=$2; shift 2
	"$bin" --insecure --address "127.0.0.1:${port[$name]}" "$@" >"$work/$name.log" 2>&1 &
	pid[$name]=$!
	pids+=("$!")
}

cd "$REPO"
"$BIN/loadgen" --target function-dataservice --dump "$OUT/requests" >/dev/null
log "requests and expected output written to $OUT/requests"
for round in $(seq "$ROUNDS"); do
	log "function round $round/$ROUNDS"
	# Ours serves metrics, as in a control plane; the others open theirs on :8080 by default.
	start function-dataservice "$BIN/function-dataservice" --metrics-address 127.0.0.1:8081
	start function-patch-and-transform "$PT"
	start function-go-templating "$GT"
	start floor "$BIN/floor" --metrics-address 127.0.0.1:8082
	for t in "${targets[@]}"; do wait_listening "${port[$t]}"; done

	# Rotate the order, so that no function always runs first or last.
	order=("${targets[@]:$(( (round - 1) % ${#targets[@]} ))}" "${targets[@]:0:$(( (round - 1) % ${#targets[@]} ))}")
	for t in "${order[@]}"; do
		"$BIN/loadgen" --address "127.0.0.1:${port[$t]}" --target "$t" --cold --round "$round" >>"$RESULTS"
	done
	for load in $LOADS; do
		for t in "${order[@]}"; do
			"$BIN/loadgen" --address "127.0.0.1:${port[$t]}" --target "$t" "--${load%%:*}" "${load#*:}" \
				--duration "$DURATION" --warmup "$WARMUP" --pid "${pid[$t]}" --round "$round" >>"$RESULTS"
		done
	done
	stop_all
done
