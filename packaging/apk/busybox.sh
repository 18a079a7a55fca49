#!/usr/bin/env bash
# Prints the path of Debian's busybox-static for one architecture, downloaded once (apt-get
# download, dpkg -x) into CACHE/<version>/<arch>/busybox: the /bin/sh of the roots
# make test-packages-apk installs the apk packages into. A foreign architecture's lists
# must be known to apt (dpkg --add-architecture arm64 && apt-get update: .ci/install does).
#
# Usage: busybox.sh ARCH CACHE   (ARCH as Debian names it: amd64, arm64)
set -euo pipefail

die() { echo "busybox: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: $0 ARCH CACHE"
arch=$1
cache=$2
version=$(apt-cache policy "busybox-static:$arch" 2>/dev/null | awk '$1 == "Candidate:" {print $2}')
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
  die "apt knows no busybox-static for $arch: dpkg --add-architecture $arch && apt-get update (.ci/install does)"
fi
dir=$cache/${version//:/_}/$arch
if [ ! -x "$dir/busybox" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # apt's download user must be able to write here; the files are public.
  chmod 755 "$tmp"
  (cd "$tmp" && apt-get download -qq "busybox-static:$arch=$version") >/dev/null 2>&1 ||
    die "apt-get download busybox-static:$arch=$version failed"
  dpkg -x "$tmp"/busybox-static_*.deb "$tmp/root"
  mkdir -p "$dir"
  cp "$tmp/root/bin/busybox" "$dir/busybox.tmp"
  mv "$dir/busybox.tmp" "$dir/busybox"
fi
echo "$dir/busybox"
