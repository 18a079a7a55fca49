#!/usr/bin/env bash
# Writes a CycloneDX SBOM of one image with syft (make sbom, make attest).
#
#   image-sbom.sh [-unpack] SOURCE OUT NAME VERSION
#
# SOURCE is docker:<local tag> or registry:<reference>. syft reads the image itself, so the
# SBOM carries its layers and digest. A UPX-packed program hides its Go build information
# from every SBOM tool; with -unpack the image's files are exported instead, each packed
# executable is unpacked with upx -d, and syft reads that directory: the SBOM then names the
# program's modules and Go version, under the image's NAME and VERSION.
#
# Env: SYFT, CRANE (the binaries make trust-tools builds), DOCKER (docker).
set -euo pipefail

die() { echo "image-sbom: $*" >&2; exit 1; }

unpack=
if [ "${1:-}" = -unpack ]; then unpack=1; shift; fi
[ $# -eq 4 ] || die "usage: $0 [-unpack] docker:TAG|registry:REF OUT NAME VERSION"
source=$1 out=$2 name=$3 version=$4
syft=${SYFT:?set SYFT}
docker=${DOCKER:-docker}

# A registry on this machine is plain HTTP, as Docker allows for 127.0.0.0/8.
insecure=()
case $source in
  registry:127.*|registry:localhost[:/]*|registry:\[::1\]*)
    export SYFT_REGISTRY_INSECURE_USE_HTTP=true
    insecure=(--insecure)
    ;;
  docker:*|registry:*) ;;
  *) die "SOURCE must be docker:TAG or registry:REF, not $source" ;;
esac

if [ -z "$unpack" ]; then
  exec "$syft" scan "$source" -q -o "cyclonedx-json=$out" --source-name "$name" --source-version "$version"
fi

command -v upx >/dev/null || die "upx not found: it unpacks the packed program so that its SBOM can be read (Debian: upx-ucl)"
work=$(mktemp -d)
container=
cleanup() {
  [ -z "$container" ] || "$docker" rm "$container" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/rootfs"

ref=${source#*:}
case $source in
  docker:*)
    container=$("$docker" create "$ref")
    "$docker" export "$container" | tar -x -C "$work/rootfs"
    ;;
  registry:*)
    "${CRANE:?set CRANE}" export "${insecure[@]}" "$ref" - | tar -x -C "$work/rootfs"
    ;;
esac

unpacked=0
while IFS= read -r -d '' f; do
  if upx -q -t "$f" >/dev/null 2>&1; then
    chmod u+w "$f"
    upx -q -d "$f" >/dev/null
    unpacked=$((unpacked + 1))
  fi
done < <(find "$work/rootfs" -type f -perm /111 -print0)
[ "$unpacked" -gt 0 ] || die "-unpack: no UPX-packed executable in $source"

"$syft" scan "dir:$work/rootfs" -q -o "cyclonedx-json=$out" --source-name "$name" --source-version "$version"
