#!/usr/bin/env bash
# Builds a Kubernetes control-plane command (kube-apiserver, kube-controller-manager) of a release from
# the module proxy into the cache outside the clone, keyed by version, and prints its path.
#
#   test/tools/kubebin.sh NAME VERSION
#   e.g. test/tools/kubebin.sh kube-apiserver v1.34.2
#
# `go install k8s.io/kubernetes/cmd/...@v1.34.2` is refused because k8s.io/kubernetes' go.mod replaces
# its staging modules (k8s.io/api, k8s.io/client-go, ...) with folders of its own repository. So the
# build runs in a wrapper module, kept with gobin.sh's under the cache (never the project's go.mod),
# that requires k8s.io/kubernetes and replaces each staging module with its published release
# (v1.34.2 -> v0.34.2), read from the replace block of kubernetes' own go.mod. The version is stamped
# into k8s.io/component-base/version, else /version says v0.0.0-master and clients refuse the server.
#
# The binary lands in ${DATASERVICE_CACHE:-~/.cache/function-dataservice}/bin/NAME-VERSION. Two calls
# for the same command at once build it once (lib.sh's cached_build).
set -euo pipefail
name=$1 version=$2
case $name in
  kube-apiserver|kube-controller-manager) ;;
  *) echo "kubebin.sh: unsupported command $name (want kube-apiserver or kube-controller-manager)" >&2; exit 2 ;;
esac
[[ $version =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || { echo "kubebin.sh: version $version is not v1.MINOR.PATCH" >&2; exit 2; }
minor=${BASH_REMATCH[1]} staging="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
. "$(dirname "$0")/lib.sh"
export GOFLAGS=-mod=mod GOWORK=off

build() {
  local wrap="$tools_cache/wrappers/kubernetes-$version" start ldflags
  echo "building $name $version (k8s.io/kubernetes/cmd/$name) ..." >&2
  start=$(date +%s)
  # Both commands share one wrapper module: this lock (inside cached_build's per-command one) keeps
  # the two builds from writing it at once.
  mkdir -p "$tools_cache/wrappers"
  exec 9>"$wrap.lock"
  flock 9
  if [ ! -f "$wrap/.ready" ]; then
    go_wrapper "$wrap" wrapper/kubernetes
    (
      cd "$wrap"
      kgomod=$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
      [ -f "$kgomod" ] || { echo "kubebin.sh: cannot download k8s.io/kubernetes@$version" >&2; exit 1; }
      # Lines like `k8s.io/api => ./staging/src/k8s.io/api` in kubernetes' replace block.
      mods=$(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#\1#p' "$kgomod")
      [ -n "$mods" ] || { echo "kubebin.sh: no staging replace directives in $kgomod" >&2; exit 1; }
      args=(-require="k8s.io/kubernetes@$version")
      for m in $mods; do args+=(-replace="$m=$m@$staging"); done
      go mod edit "${args[@]}"
      # Resolve the rest of the graph for both commands at once.
      go get "k8s.io/kubernetes/cmd/kube-apiserver@$version" "k8s.io/kubernetes/cmd/kube-controller-manager@$version"
    )
    touch "$wrap/.ready"
  fi
  cd "$wrap"
  ldflags="-s -w"
  ldflags+=" -X k8s.io/component-base/version.gitVersion=$version"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=1"
  ldflags+=" -X k8s.io/component-base/version.gitMinor=$minor"
  ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
  CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$BUILD_OUT" "k8s.io/kubernetes/cmd/$name"
  exec 9>&-
  echo "built $name $version in $(( $(date +%s) - start ))s" >&2
}
cached_build "$tools_cache/bin/$name-$version" "" build
