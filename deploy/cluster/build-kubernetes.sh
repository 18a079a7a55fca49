#!/usr/bin/env bash
# Builds the pinned Kubernetes binaries from the Go module proxy into a cache outside the
# clone, keyed by version, and prints the directory. A second run finds them and returns at
# once. Usage: build-kubernetes.sh <cache dir>
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
mod="$here/kubernetes"
version=$(cd "$mod" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
[ -n "$version" ] || { echo "build-kubernetes: no k8s.io/kubernetes version in $mod/go.mod" >&2; exit 1; }
out="${1:?usage: build-kubernetes.sh <cache dir>}/$version/bin"
tools=(kube-apiserver kube-controller-manager kube-scheduler kube-proxy kubelet kubectl)

missing=0
for t in "${tools[@]}"; do [ -x "$out/$t" ] || missing=1; done
if [ "$missing" = 0 ]; then
  echo "$out"
  exit 0
fi

# The commit and date of the release, so `kubectl version` and the API server report it.
info=$(cd "$mod" && go mod download -json "k8s.io/kubernetes@$version")
commit=$(printf '%s' "$info" | awk -F'"' '/"Hash":/ {print $4; exit}')
minor=${version#v1.}; minor=${minor%%.*}
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitCommit=$commit -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

tmp="$out.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"
echo "build-kubernetes: building Kubernetes $version (${tools[*]}); the first build takes minutes" >&2
start=$(date +%s)
pkgs=()
for t in "${tools[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$t"); done
(cd "$mod" && CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}")
rm -rf "$out"
mv "$tmp" "$out"
echo "build-kubernetes: built in $(( $(date +%s) - start )) s into $out" >&2
echo "$out"
