#!/usr/bin/env bash
# Builds the stand-in base images for air-gapped and proxy-bound builds, from what a Debian
# host reaches without an image registry: Debian's package archive and this machine's Go.
#
#   builder  Debian bookworm (debootstrap, minbase) + this machine's Go toolchain at
#            /usr/local/go + a CA bundle (default: this machine's, so a TLS-intercepting
#            proxy the host trusts is trusted inside the build too)
#   static   what distroless/static gives: ca-certificates, tzdata, netbase, base-files,
#            passwd/group with root, nobody and nonroot (65532), /tmp, /home/nonroot; no
#            shell, no package manager, no executables. One image per platform, tagged
#            STATIC_IMAGE-<platform name>, plus STATIC_IMAGE for the host's platform: the
#            files are the same everywhere (nothing in it executes), but the image config's
#            architecture and variant must be the target's, or a --platform build of a final
#            stage on it would look for it in a registry.
#
# Usage: offline-bases.sh BUILDER_IMAGE STATIC_IMAGE   (run as root; make offline-bases)
# Env:   PLATFORMS ("linux/amd64=linux-amd64 linux/arm/v7=linux-armv7 ...": each platform
#        and the tag suffix the Makefile names it by), HOST_PLATFORM (linux/amd64),
#        DOCKER (docker), CA_BUNDLE (/etc/ssl/certs/ca-certificates.crt), DEBIAN_MIRROR
#        (default: the first archive address in this host's apt sources), REBUILD=1 to
#        rebuild images that already exist for this Go version.
set -euo pipefail

die() { echo "offline-bases: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 BUILDER_IMAGE STATIC_IMAGE"
builder_image=$1
static_image=$2
docker=${DOCKER:-docker}
platforms=${PLATFORMS:-linux/amd64=linux-amd64}
host_platform=${HOST_PLATFORM:-linux/amd64}
ca_bundle=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
go_version=$(go env GOVERSION)
goroot=$(go env GOROOT)

[ -r "$ca_bundle" ] || die "CA bundle $ca_bundle not readable: set CA_BUNDLE"

# exists IMAGE: true when IMAGE is present and was made for this Go version.
exists() {
  [ -z "${REBUILD:-}" ] &&
    [ "$("$docker" image inspect -f '{{index .Config.Labels "getsmall.go-version"}}' "$1" 2>/dev/null)" = "$go_version" ]
}

# mirror: where debootstrap fetches bookworm from. Taken from this host's apt sources so
# that no archive address is written into the project.
mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ {print $2; exit}')
  [ -n "$uri" ] || uri=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  [ -n "$uri" ] || die "no Debian archive address in this host's apt sources: set DEBIAN_MIRROR"
  echo "$uri"
}

build_builder() {
  [ "$(id -u)" = 0 ] || die "debootstrap needs root: run as root"
  command -v debootstrap >/dev/null || die "debootstrap not found: apt-get install debootstrap"
  local work
  work=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: $work is local
  trap "rm -rf '$work'" EXIT
  echo "offline-bases: debootstrap bookworm (about 30 s)"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$work/rootfs" "$(mirror)" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
  cp -a "$goroot" "$work/rootfs/usr/local/go"
  cp "$ca_bundle" "$work/rootfs/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/*
  tar --numeric-owner -C "$work/rootfs" -cf "$work/rootfs.tar" .
  "$docker" import \
    --change 'ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV GOPATH=/go' \
    --change 'ENV GOTOOLCHAIN=local' \
    --change 'WORKDIR /go' \
    --change "LABEL getsmall.go-version=$go_version getsmall.stand-in=builder" \
    "$work/rootfs.tar" "$builder_image" >/dev/null
  rm -rf "$work"
  trap - EXIT
}

# The static root filesystem is assembled inside the builder, so its packages are bookworm's
# whatever the host runs, and streamed out as a tar into $1. The tar lands in a file first:
# building on a failed, empty stream would leave an empty image that looks up to date.
static_rootfs() {
  local tarball=$1
  # shellcheck disable=SC2016 # the script runs in the container's shell
  "$docker" run --rm --network host "$builder_image" sh -euc '
    cd /tmp
    apt-get update -qq
    apt-get download -qq base-files netbase tzdata ca-certificates >/dev/null
    mkdir /rootfs
    for deb in ./*.deb; do dpkg-deb -x "$deb" /rootfs; done
    # What distroless records for its packages: /var/lib/dpkg/status.d/<package> holds the
    # control fields, so SBOM tools (make sbom) name each Debian package and its version.
    mkdir -p /rootfs/var/lib/dpkg/status.d
    for deb in ./*.deb; do dpkg-deb -f "$deb" >"/rootfs/var/lib/dpkg/status.d/$(dpkg-deb -f "$deb" Package)"; done
    cat /rootfs/usr/share/ca-certificates/mozilla/*.crt >/rootfs/etc/ssl/certs/ca-certificates.crt
    # Nothing executable, no docs but the licences: like distroless.
    rm -rf /rootfs/usr/sbin /rootfs/usr/bin /rootfs/etc/update-motd.d /rootfs/usr/share/man /rootfs/usr/share/lintian
    find /rootfs/usr/share/doc -type f ! -name copyright -delete
    printf "%s\n" "root:x:0:0:root:/root:/sbin/nologin" \
      "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin" \
      "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin" >/rootfs/etc/passwd
    printf "%s\n" "root:x:0:" "nobody:x:65534:" "nonroot:x:65532:" >/rootfs/etc/group
    mkdir -p /rootfs/tmp /rootfs/home/nonroot /rootfs/root
    chmod 1777 /rootfs/tmp
    chmod 700 /rootfs/root
    chown 65532:65532 /rootfs/home/nonroot
    if [ -n "$(find /rootfs -type f -perm /111)" ]; then
      echo "executables left in the static image:" >&2; find /rootfs -type f -perm /111 >&2; exit 1
    fi
    tar --numeric-owner -C /rootfs -c .
  ' >"$tarball"
}

# static_image_for PLATFORM TAG CONTEXT: the rootfs in CONTEXT as an image for PLATFORM. A
# FROM scratch BuildKit build, because only that records the target's architecture and
# variant in the image config (docker import --platform needs an experimental daemon, and the
# legacy builder quietly writes the host's).
static_image_for() {
  local got
  DOCKER_BUILDKIT=1 "$docker" build -q --network none --platform "$1" -t "$2" "$3" >/dev/null
  got=$("$docker" image inspect -f '{{.Os}}/{{.Architecture}}{{with .Variant}}/{{.}}{{end}}' "$2")
  [ "$got" = "$1" ] || die "$2 was built for $got, not $1"
}

build_static() {
  local context pair suffix tag
  context=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: $context is local
  trap "rm -rf '$context'" EXIT
  static_rootfs "$context/rootfs.tar"
  cat >"$context/Dockerfile" <<DOCKERFILE
FROM scratch
ADD rootfs.tar /
USER 65532:65532
WORKDIR /home/nonroot
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
LABEL getsmall.go-version=$go_version getsmall.stand-in=static getsmall.dpkg-status=status.d
DOCKERFILE
  # The host's platform first, under the plain tag (no suffix), then every platform.
  for pair in "$host_platform=" $platforms; do
    suffix=${pair#*=}
    tag=$static_image${suffix:+-$suffix}
    if static_current "$tag"; then
      echo "offline-bases: $tag is up to date"
    else
      static_image_for "${pair%%=*}" "$tag" "$context"
      echo "offline-bases: built $tag (${pair%%=*})"
    fi
  done
  rm -rf "$context"
  trap - EXIT
}

# static_current TAG: TAG exists for this Go version and records its Debian packages
# (/var/lib/dpkg/status.d, which SBOM tools read); a static image from before is rebuilt.
static_current() {
  exists "$1" && [ "$("$docker" image inspect -f '{{index .Config.Labels "getsmall.dpkg-status"}}' "$1")" = status.d ]
}

# static_missing: true when the host's or any platform's static image is missing or stale.
static_missing() {
  local pair
  static_current "$static_image" || return 0
  for pair in $platforms; do static_current "$static_image-${pair#*=}" || return 0; done
  return 1
}

if exists "$builder_image"; then
  echo "offline-bases: $builder_image is up to date ($go_version)"
else
  build_builder
  echo "offline-bases: built $builder_image ($go_version)"
fi
if static_missing; then
  build_static
else
  echo "offline-bases: $static_image is up to date for $host_platform and every platform"
fi
"$docker" image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' "${builder_image%%:*}"
"$docker" image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' "${static_image%%:*}"
