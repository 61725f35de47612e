#!/usr/bin/env bash
# Builds klutch-bind's example-backend and konnector from its source beside the project into the cache
# outside the clone, keyed by the klutch-bind commit, and prints the folder holding them.
#
#   test/tools/klutchbind.sh [SRC]
#
# SRC defaults to $KLUTCH_BIND_SRC, else ../shared/third_party/klutch-bind beside the module root
# (its README.md names the commit; the Go module proxy does not serve github.com/anynines/klutchio/bind).
# The binaries land in ${DATASERVICE_CACHE:-~/.cache/function-dataservice}/bin as
# klutch-bind-example-backend-COMMIT and klutch-bind-konnector-COMMIT (COMMIT: $KLUTCH_BIND_COMMIT,
# default the one third_party/README.md records). About 6 minutes cold on 2 cores.
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
backend="$bin/klutch-bind-example-backend-$commit" konnector="$bin/klutch-bind-konnector-$commit"
if [ -x "$backend" ] && [ -x "$konnector" ]; then echo "$bin"; exit 0; fi
[ -f "$src/go.mod" ] || { echo "klutchbind.sh: no klutch-bind source at $src (set KLUTCH_BIND_SRC to its bind/ folder)" >&2; exit 3; }
mkdir -p "$bin"
exec 9>"$bin/klutch-bind-$commit.lock"
flock 9
if [ -x "$backend" ] && [ -x "$konnector" ]; then echo "$bin"; exit 0; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/klutch-bind-src.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -R "$src/." "$work/"
chmod -R u+w "$work"
echo "building klutch-bind $commit (example-backend, konnector) from $src ..." >&2
start=$(date +%s)
cd "$work"
export GOFLAGS=-mod=mod GOWORK=off CGO_ENABLED=0
for cmd in example-backend konnector; do
  out="$bin/klutch-bind-$cmd-$commit"
  go build -trimpath -ldflags "-s -w" -o "$out.tmp.$$" "./cmd/$cmd" >&2
  mv "$out.tmp.$$" "$out"
done
echo "built klutch-bind $commit in $(( $(date +%s) - start ))s" >&2
echo "$bin"
