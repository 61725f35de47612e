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
# flags (e.g. before a version was stamped into it) is built again.
set -euo pipefail
name=$1 module=$2 version=$3 pkg=$4 ldflags=${5:-}
cache=${DATASERVICE_CACHE:-$HOME/.cache/function-dataservice}
out="$cache/bin/$name-$version"
if [ -x "$out" ] && [ "$(cat "$out.ldflags" 2>/dev/null || true)" = "$ldflags" ]; then echo "$out"; exit 0; fi
mkdir -p "$cache/bin" "$cache/wrappers"
wrap="$cache/wrappers/$name-$version"
rm -rf "$wrap"; mkdir -p "$wrap"
cd "$wrap"
export GOFLAGS=-mod=mod GOWORK=off
go mod init "wrapper/$name" >/dev/null 2>&1
pkgpath="$module/${pkg#./}"; pkgpath="${pkgpath%/.}"; [ "$pkg" = "." ] && pkgpath=$module
echo "building $name $version ($pkgpath) ..." >&2
start=$(date +%s)
go get "$pkgpath@$version" >&2
go build -trimpath -ldflags "-s -w $ldflags" -o "$out.tmp" "$pkgpath" >&2
mv "$out.tmp" "$out"
printf '%s' "$ldflags" >"$out.ldflags"
echo "built $name $version in $(( $(date +%s) - start ))s" >&2
echo "$out"
