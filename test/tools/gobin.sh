#!/usr/bin/env bash
# Builds a Go command from the module proxy into a cache outside the clone, keyed by version, and prints
# its path. The proxy refuses `go install pkg@version` for modules with replace directives and refuses
# version lists, so each tool is built from a throwaway wrapper module that requires the exact version.
#
#   test/tools/gobin.sh NAME MODULE VERSION PACKAGE [LDFLAGS]
#   e.g. test/tools/gobin.sh crossplane github.com/crossplane/crossplane/v2 v2.2.1 ./cmd/crank
#
# The binary lands in ${DATASERVICE_CACHE:-~/.cache/function-dataservice}/bin/NAME-VERSION, the
# LDFLAGS it was linked with beside it in NAME-VERSION.ldflags: a cached binary linked with other
# flags (e.g. before a version was stamped into it) is built again. Two calls for the same tool at
# once build it once (lib.sh's cached_build).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
name=$1 module=$2 version=$3 pkg=$4 ldflags=${5:-}
pkgpath="$module/${pkg#./}"; pkgpath="${pkgpath%/.}"; [ "$pkg" = "." ] && pkgpath=$module
export GOFLAGS=-mod=mod GOWORK=off

build() {
  local wrap="$tools_cache/wrappers/$name-$version" start
  echo "building $name $version ($pkgpath) ..." >&2
  start=$(date +%s)
  go_wrapper "$wrap" "wrapper/$name"
  cd "$wrap"
  go get "$pkgpath@$version"
  go build -trimpath -ldflags "-s -w $ldflags" -o "$BUILD_OUT" "$pkgpath"
  echo "built $name $version in $(( $(date +%s) - start ))s" >&2
}
cached_build "$tools_cache/bin/$name-$version" "$ldflags" build
