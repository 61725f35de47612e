#!/usr/bin/env bash
# Builds dex, the OIDC issuer the web-bind tests log in with (klutch-bind's example-backend needs
# one outside --control-plane-mode), from the module proxy into the cache outside the clone, keyed by
# version, and prints its path.
#
#   test/tools/dex.sh VERSION
#   e.g. test/tools/dex.sh v0.0.0-20260303133905-11d2eeb52b42   # dex v2.45.1
#
# dex's go.mod replaces github.com/dexidp/dex/api/v2 with a folder of its own repository, so
# `go install github.com/dexidp/dex/cmd/dex@VERSION` is refused; gobin.sh's wrapper module requires
# the exact version instead, and with it the published api/v2 its go.mod names. CGO is off: the
# tests run dex with `storage: memory`, so the sqlite3 driver (cgo) is not needed, and a fresh
# machine need not have a C compiler. The binary lands in
# ${DATASERVICE_CACHE:-~/.cache/function-dataservice}/bin/dex-VERSION.
set -euo pipefail
version=$1
export CGO_ENABLED=0
exec "$(dirname "$0")/gobin.sh" dex github.com/dexidp/dex "$version" ./cmd/dex
