# Shared by the bench/*.sh scripts; source it. Builds what the benchmarks run (cached), and runs a
# script's measurements inside a private network namespace, so that every server they start
# (including the metrics listeners the compared functions open on :8080) is reachable only there.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${BENCH_OUT:-$REPO/_output/bench}
ROUNDS=${ROUNDS:-5}
BIN=$OUT/bin
RESULTS=$OUT/results.jsonl
CROSSPLANE_VERSION=v2.2.1
PT_VERSION=v0.10.7
GT_VERSION=v0.12.3
# distribution's registry, the release the end-to-end tests push to (internal/testtools'
# DistributionVersion), so that make bench and make test share one build in the tool cache.
REGISTRY_VERSION=v3.0.0

log() { printf '%s bench: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# prepare builds this checkout's binaries and the bench tools into $BIN, and the crossplane CLI, the
# compared functions and distribution's registry from the module proxy (test/tools/gobin.sh and
# registry.sh, cached by version): Go is all make bench needs, and root.
prepare() {
	mkdir -p "$BIN"
	log "building dataservice, function-dataservice (as make build does) and the bench tools into $BIN"
	(cd "$REPO" && for p in cmd/dataservice cmd/function-dataservice bench/loadgen bench/timeit bench/report bench/floor bench/netns; do
		CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$BIN/$(basename "$p")" "./$p"
	done)
	CROSSPLANE=$("$REPO/test/tools/gobin.sh" crossplane github.com/crossplane/crossplane/v2 "$CROSSPLANE_VERSION" ./cmd/crank)
	PT=$("$REPO/test/tools/gobin.sh" function-patch-and-transform github.com/crossplane-contrib/function-patch-and-transform "$PT_VERSION" .)
	GT=$("$REPO/test/tools/gobin.sh" function-go-templating github.com/crossplane-contrib/function-go-templating "$GT_VERSION" .)
	REGISTRY=$("$REPO/test/tools/registry.sh" "$REGISTRY_VERSION")
	export CROSSPLANE PT GT REGISTRY
}

# in_netns re-runs the calling script in a new network namespace with only loopback up
# (bench/netns), once the binaries are built (building needs the module proxy). It needs root, as on
# these machines.
in_netns() {
	if [ "${BENCH_NETNS:-}" = 1 ]; then
		return
	fi
	if ! "$BIN/netns" -- true 2>/dev/null; then
		echo "bench: cannot create a network namespace: run as root" >&2
		exit 1
	fi
	exec "$BIN/netns" -- env BENCH_NETNS=1 CROSSPLANE="$CROSSPLANE" PT="$PT" GT="$GT" REGISTRY="$REGISTRY" bash "$0" "$@"
}

# wait_listening waits until something accepts TCP connections at 127.0.0.1:$1.
wait_listening() {
	for _ in $(seq 200); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	echo "bench: nothing listens on 127.0.0.1:$1" >&2
	return 1
}

# specs N DIR writes N copies of Klutch's MongoDB DataService into DIR, each with its own API group,
# kind and Composition, so that together they make one valid package root.
specs() {
	local n=$1 dir=$2
	mkdir -p "$dir"
	for i in $(seq "$n"); do
		sed -e "s/^  name: mongodb\$/  name: mongodb-$i/" \
			-e "s/^  group: anynines.com\$/  group: s$i.anynines.com/" \
			-e "s/^  kind: MongodbInstance\$/  kind: Mongodb${i}Instance/" \
			-e "s/^    - name: a9s-mongodb\$/    - name: a9s-mongodb-$i/" \
			"$REPO/examples/klutch/mongodb.yaml" >"$dir/mongodb-$i.yaml"
	done
}
