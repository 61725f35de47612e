#!/usr/bin/env bash
# Builds klutch-bind's example-backend, konnector and kubectl-bind (the `kubectl bind` plugin app
# developers run) from its source beside the project into the cache outside the clone, keyed by the
# klutch-bind commit, and prints the folder holding them.
#
#   test/tools/klutchbind.sh [SRC]
#
# SRC defaults to $KLUTCH_BIND_SRC, else ../shared/third_party/klutch-bind beside the module root
# (its README.md names the commit; the Go module proxy does not serve github.com/anynines/klutchio/bind).
# The binaries land in ${DATASERVICE_CACHE:-~/.cache/function-dataservice}/bin as
# klutch-bind-example-backend-COMMIT, klutch-bind-konnector-COMMIT and klutch-bind-kubectl-bind-COMMIT
# (COMMIT: $KLUTCH_BIND_COMMIT, default the one third_party/README.md records). About 6 minutes cold on
# 2 cores; a binary already in the cache is not built again.
#
# The source is copied to a writable temporary folder first: the shared copy is read-only in CI and
# `go build` of a module writes go.sum entries. Concurrent runs are safe: one lock per commit, and
# each binary is built under a temporary name in the cache folder, then renamed into place.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
src=${1:-${KLUTCH_BIND_SRC:-$root/../shared/third_party/klutch-bind}}
commit=${KLUTCH_BIND_COMMIT:-0b4539e812e01710b8fd0ef20db347d230b1dbbb}
cache=${DATASERVICE_CACHE:-$HOME/.cache/function-dataservice}
bin="$cache/bin"
cmds="example-backend konnector kubectl-bind"
built() { for c in $cmds; do [ -x "$bin/klutch-bind-$c-$commit" ] || return 1; done; }
if built; then echo "$bin"; exit 0; fi
[ -f "$src/go.mod" ] || { echo "klutchbind.sh: no klutch-bind source at $src (set KLUTCH_BIND_SRC to its bind/ folder)" >&2; exit 3; }
mkdir -p "$bin"
exec 9>"$bin/klutch-bind-$commit.lock"
flock 9
if built; then echo "$bin"; exit 0; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/klutch-bind-src.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -R "$src/." "$work/"
chmod -R u+w "$work"
echo "building klutch-bind $commit ($cmds) from $src ..." >&2
start=$(date +%s)
cd "$work"
export GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0
for cmd in $cmds; do
  out="$bin/klutch-bind-$cmd-$commit"
  [ -x "$out" ] && continue
  t=$(date +%s)
  go build -trimpath -ldflags "-s -w" -o "$out.tmp.$$" "./cmd/$cmd" >&2
  mv "$out.tmp.$$" "$out"
  echo "built klutch-bind $cmd in $(( $(date +%s) - t ))s" >&2
done
echo "built klutch-bind $commit in $(( $(date +%s) - start ))s" >&2
echo "$bin"
