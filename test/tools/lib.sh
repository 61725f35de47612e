# Shared by the scripts in test/tools that build a tool into the cache outside the clone. Source it
# from a script running under `set -euo pipefail`:
#
#   . "$(dirname "$0")/lib.sh"
#   build_it() { go build -o "$BUILD_OUT" example.com/cmd/tool; }
#   cached_build "$tools_cache/bin/tool-v1.2.3" "" build_it
#
# Several test packages run at once (go test ./... runs them in parallel) and may ask for the same
# tool at the same moment; a build may be interrupted (Ctrl-C, a test timeout). So a build holds a
# lock per tool, writes to a temporary file of its own beside the binary and renames it into place
# only when it is complete: the binary's name never points at half a build.

# tools_cache is the cache folder: $DATASERVICE_CACHE, else ~/.cache/function-dataservice.
tools_cache=${DATASERVICE_CACHE:-$HOME/.cache/function-dataservice}
case $tools_cache in /*) ;; *) tools_cache=$PWD/$tools_cache ;; esac

# cached_build OUT STAMP COMMAND [ARGS...]
#
# Prints OUT when it is built: executable and, when STAMP is not empty, built with STAMP (the flags
# it was linked with, kept in OUT.ldflags; a binary linked with others is built again). Otherwise it
# takes the lock OUT.lock (a second caller waits here for the first one's build and then uses it),
# and runs COMMAND ARGS... with $BUILD_OUT naming a fresh temporary file beside OUT that COMMAND
# writes the binary to; once COMMAND succeeds the file is renamed to OUT, in one step. A failed or
# interrupted build leaves no OUT (a killed one may leave OUT.tmp.PID, which the next build removes).
# COMMAND runs in this shell under its `set -e`, with the lock held; its stdout goes to stderr so
# that the only line printed on stdout is OUT.
cached_build() {
  local out=$1 stamp=$2
  shift 2
  case $- in *e*) ;; *) echo "cached_build: the calling script must run under set -e" >&2; return 2 ;; esac
  if _cached_build_done "$out" "$stamp"; then printf '%s\n' "$out"; return 0; fi
  mkdir -p "$(dirname "$out")"
  local lock
  exec {lock}>>"$out.lock"
  flock "$lock"
  # Whoever held the lock before may have built it.
  if _cached_build_done "$out" "$stamp"; then
    exec {lock}>&-
    printf '%s\n' "$out"
    return 0
  fi
  # A stale binary (other flags) goes first: from here until the rename nothing looks finished.
  rm -f "$out" "$out.ldflags" "$out".tmp.*
  BUILD_OUT="$out.tmp.$$"
  export BUILD_OUT
  # Signals end the script through its EXIT trap, which removes the temporary files.
  trap 'rm -f "$BUILD_OUT" "$BUILD_OUT.ldflags"' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  "$@" >&2
  [ -x "$BUILD_OUT" ] || { echo "cached_build: $* wrote no executable $BUILD_OUT" >&2; return 1; }
  if [ -n "$stamp" ]; then
    printf '%s' "$stamp" >"$BUILD_OUT.ldflags"
    mv -f "$BUILD_OUT.ldflags" "$out.ldflags"
  fi
  mv -f "$BUILD_OUT" "$out"
  trap - EXIT INT TERM
  exec {lock}>&-
  printf '%s\n' "$out"
}

_cached_build_done() {
  local out=$1 stamp=$2
  [ -f "$out" ] && [ -x "$out" ] || return 1
  [ "$(cat "$out.ldflags" 2>/dev/null || true)" = "$stamp" ]
}

# go_wrapper DIR MODULE_NAME: a fresh, empty Go module in DIR, outside the project (GOWORK=off), for
# building a tool at the exact version it requires. The proxy refuses `go install pkg@version` for
# modules with replace directives and refuses version lists, so tools are built from such wrappers.
go_wrapper() {
  local dir=$1 name=$2
  rm -rf "$dir"
  mkdir -p "$dir"
  (cd "$dir" && GOWORK=off go mod init "$name" >/dev/null 2>&1)
}
