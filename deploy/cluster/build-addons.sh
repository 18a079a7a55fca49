#!/usr/bin/env bash
# Builds the test cluster's add-ons from the Go module proxy into a cache outside the clone,
# keyed by the version each add-on's go.mod pins, and prints one line per binary with its
# path. A second run finds them and returns at once. Usage: build-addons.sh <cache dir>
#
#   addons/metrics-server  sigs.k8s.io/metrics-server   -> <cache>/addons/metrics-server-<v>/bin/metrics-server
#   addons/coredns         github.com/coredns/coredns   -> <cache>/addons/coredns-<v>/bin/coredns
#                          (a small build: its own main.go links only cluster-DNS plugins)
#   addons/kube-router     github.com/cloudnativelabs/kube-router/v2 -> <cache>/addons/kube-router-<v>/bin/kube-router
#   addons/victoria-metrics github.com/VictoriaMetrics/VictoriaMetrics -> <cache>/addons/victoria-metrics-<v>/bin/victoria-metrics
#                          (single-node, CGO_ENABLED=0: upstream's "pure" build, no cgo zstd)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache="${1:?usage: build-addons.sh <cache dir>}"
# Each add-on builds with the Go its go.mod asks for, as make k8s-build does. make lint vets
# the add-on modules with this toolchain and the build flags below (tools/lint.mk), so the
# dependencies it compiles are this build's: change both together.
export GOTOOLCHAIN=auto
tmp=
trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT

# build NAME MODULE PACKAGE BINARY LDFLAGS: NAME is the folder under addons/, MODULE the
# upstream module whose pinned version keys the cache, PACKAGE what to build. LDFLAGS may
# use $version.
build() {
  local name=$1 module=$2 pkg=$3 bin=$4 ldflags=$5
  local dir="$here/addons/$name" version out start
  version=$(cd "$dir" && go list -m -f '{{.Version}}' "$module")
  [ -n "$version" ] || { echo "build-addons: no $module version in $dir/go.mod" >&2; exit 1; }
  out="$cache/addons/$name-$version/bin"
  if [ -x "$out/$bin" ]; then
    echo "$out/$bin"
    return
  fi
  tmp="$out.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  echo "build-addons: building $name $version" >&2
  start=$(date +%s)
  (cd "$dir" && CGO_ENABLED=0 go build -trimpath -buildvcs=false \
    -ldflags "-s -w ${ldflags//\$version/$version}" -o "$tmp/$bin" "$pkg")
  rm -rf "$out"
  mv "$tmp" "$out"
  tmp=
  echo "build-addons: built $name in $(( $(date +%s) - start )) s" >&2
  echo "$out/$bin"
}

# Upstream's Makefiles stamp these; without them metrics-server reports v0.0.0-master,
# coredns -version a development build, kube-router --version and victoria-metrics -version
# nothing (and its own build_info series an empty version). The single
# quotes are meant: build() puts each add-on's version in place of $version.
# shellcheck disable=SC2016
build metrics-server sigs.k8s.io/metrics-server sigs.k8s.io/metrics-server/cmd/metrics-server metrics-server \
  '-X k8s.io/client-go/pkg/version.gitVersion=$version -X k8s.io/client-go/pkg/version.gitTreeState=clean -X k8s.io/client-go/pkg/version.buildDate=1970-01-01T00:00:00Z'
# shellcheck disable=SC2016
build coredns github.com/coredns/coredns . coredns \
  '-X github.com/coredns/coredns/coremain.gitTag=$version'
# shellcheck disable=SC2016
build kube-router github.com/cloudnativelabs/kube-router/v2 github.com/cloudnativelabs/kube-router/v2/cmd/kube-router kube-router \
  '-X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$version -X github.com/cloudnativelabs/kube-router/v2/pkg/version.BuildDate=1970-01-01T00:00:00Z'
# shellcheck disable=SC2016
build victoria-metrics github.com/VictoriaMetrics/VictoriaMetrics github.com/VictoriaMetrics/VictoriaMetrics/app/victoria-metrics victoria-metrics \
  '-X github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=victoria-metrics-$version'
