#!/usr/bin/env bash
# Push: `dataservice push` against `crossplane xpkg push` v2.2.1 to the same registry,
# distribution's (v3, built by test/tools/registry.sh as for the end-to-end tests) on loopback in a
# private network namespace: the Configuration package of 100 generated data services (as
# bench/build.sh makes them) and the multi-platform Function package (`dataservice build function`,
# linux/amd64 and linux/arm64), each pushed first to a new repository and then again (every blob
# already there). Blob uploads are counted in the registry's access log (completed uploads: PUT
# …/blobs/uploads/…; distribution writes it to stdout in Apache's combined format,
# "PUT /v2/<name>/blobs/uploads/<uuid>?digest=… HTTP/1.1" 201). Appends JSON lines to
# $OUT/results.jsonl.
# Environment: ROUNDS (5).
source "$(dirname "$0")/lib.sh"
work=$OUT/push
if [ "${BENCH_NETNS:-}" != 1 ]; then
	prepare
	rm -rf "$work" && mkdir -p "$work/function"
	log "building the Configuration package of 100 data services"
	specs 100 "$work/specs"
	"$BIN/dataservice" generate -f "$work/specs" -o "$work/package" 2>/dev/null
	"$BIN/dataservice" build "$work/package" -o "$work/configuration.xpkg" 2>/dev/null
	log "building the Function package (linux/amd64, linux/arm64) with dataservice build function"
	(cd "$REPO" && SOURCE_DATE_EPOCH=0 "$BIN/dataservice" build function --package-root package -o "$work/function")
fi
in_netns "$@"

mkdir -p "$work/registry" "$work/docker"
cat >"$work/registry/config.yml" <<CONFIG
version: 0.1
log:
  level: error
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $work/registry/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:5000
CONFIG
reglog=$work/registry/access.log
# Its own environment only: no REGISTRY_* variables of the machine leak in.
env -i PATH="$PATH" "$REGISTRY" serve "$work/registry/config.yml" >"$reglog" 2>&1 &
registry=$!
trap 'kill $registry 2>/dev/null; wait $registry 2>/dev/null || true' EXIT
wait_listening 5000
export DOCKER_CONFIG=$work/docker # no credentials: the registry needs none

upload='"PUT /v2/[^ ]*/blobs/uploads/'
declare -A files=(
	[configuration-100]="$work/configuration.xpkg"
	[function-multiplatform]="$work/function/function-dataservice-amd64.xpkg,$work/function/function-dataservice-arm64.xpkg"
)
push() { # push TOOL PACKAGE CASE ROUND REF
	local tool=$1 pkg=$2 case=$3 round=$4 ref=$5 cmd
	if [ "$tool" = dataservice ]; then
		cmd=("$BIN/dataservice" push "$ref")
		IFS=, read -ra fs <<<"${files[$pkg]}"
		for f in "${fs[@]}"; do cmd+=(-f "$f"); done
	else
		cmd=("$CROSSPLANE" xpkg push "--package-files=${files[$pkg]}" "$ref")
	fi
	"$BIN/timeit" --bench push --target "$tool/$pkg" --case "$case" --round "$round" \
		--count-file "$reglog" --count-pattern "$upload" -- "${cmd[@]}" >>"$RESULTS"
}

for round in $(seq "$ROUNDS"); do
	log "push round $round/$ROUNDS"
	tools=(dataservice crossplane)
	(( round % 2 )) || tools=(crossplane dataservice)
	for pkg in configuration-100 function-multiplatform; do
		for tool in "${tools[@]}"; do
			ref=127.0.0.1:5000/bench/$pkg-$tool-$round:v0.1.0
			push "$tool" "$pkg" first "$round" "$ref"
			push "$tool" "$pkg" re-push "$round" "$ref"
		done
	done
done
