#!/usr/bin/env bash
# Builds the OCI registry that package tests push to and Crossplane pulls from: distribution's own
# (github.com/distribution/distribution/v3, what the registry image of Docker runs), from the module
# proxy into the cache outside the clone, keyed by version, and prints its path.
#
#   test/tools/registry.sh VERSION
#   e.g. test/tools/registry.sh v3.0.0
#
# Its cmd/registry links the Azure, GCS and S3 storage drivers with their SDKs, which the tests never
# use; so the build runs a main of its own (written into the wrapper module below) with distribution's
# registry command and only the filesystem and in-memory drivers and htpasswd auth.
#
# The binary lands in ${DATASERVICE_CACHE:-~/.cache/function-dataservice}/bin/registry-VERSION. Two
# calls at once build it once (lib.sh's cached_build).
set -euo pipefail
version=$1
. "$(dirname "$0")/lib.sh"
export GOFLAGS=-mod=mod GOWORK=off
module=github.com/distribution/distribution/v3

build() {
  local wrap="$tools_cache/wrappers/registry-$version" start
  echo "building registry $version ($module/registry) ..." >&2
  start=$(date +%s)
  go_wrapper "$wrap" wrapper/registry
  cd "$wrap"
  cat >main.go <<MAIN
// Command registry is distribution's registry with the filesystem and in-memory storage drivers and
// htpasswd auth only (written by test/tools/registry.sh).
package main

import (
	"os"

	"$module/registry"
	_ "$module/registry/auth/htpasswd"
	_ "$module/registry/storage/driver/filesystem"
	_ "$module/registry/storage/driver/inmemory"
)

func main() {
	if err := registry.RootCmd.Execute(); err != nil {
		os.Exit(1)
	}
}
MAIN
  go get "$module@$version"
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X $module/version.version=$version" -o "$BUILD_OUT" .
  echo "built registry $version in $(( $(date +%s) - start ))s" >&2
}
cached_build "$tools_cache/bin/registry-$version" "" build
