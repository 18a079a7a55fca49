#!/usr/bin/env bash
# Publishes image variants as multi-platform tags. For each TAG argument (getsmall:v1-upx),
# the per-platform images TAG-<platform name> that the build targets made are pushed to
# REGISTRY under those names, then one OCI image index naming them all is pushed as
# REGISTRY/TAG: `docker pull REGISTRY/TAG` on a Raspberry Pi gets the arm image. The Docker
# client here has no buildx, so crane (go-containerregistry, pinned in tools/go.mod) writes
# the index; it reads each platform from the image's config.
#
# Usage: push.sh REGISTRY TAG...   (make docker-push)
# Env:   PLATFORMS ("linux/amd64=linux-amd64 linux/arm/v7=linux-armv7 ..."), DOCKER
#        (docker), CRANE (the crane command line, e.g. "go tool -modfile=tools/go.mod crane"),
#        PUSHED_LIST (a file that gets one "TAG REGISTRY/NAME@sha256:..." line per index, for
#        make attest, sign and verify)
# Prints one "pushed REGISTRY/NAME@sha256:..." line per index; a variant that was not built
# for any platform is skipped, one built for only some platforms is an error.
set -euo pipefail

die() { echo "docker-push: $*" >&2; exit 1; }

[ $# -ge 2 ] || die "usage: $0 REGISTRY TAG..."
registry=$1
shift
docker=${DOCKER:-docker}
read -r -a crane <<<"${CRANE:?set CRANE to the crane command}"
platforms=${PLATFORMS:?set PLATFORMS}
pushed_list=${PUSHED_LIST:-/dev/null}
: >"$pushed_list"

pushed=0
for tag in "$@"; do
  built=()
  missing=()
  for pair in $platforms; do
    if "$docker" image inspect "$tag-${pair#*=}" >/dev/null 2>&1; then
      built+=("$tag-${pair#*=}")
    else
      missing+=("$tag-${pair#*=}")
    fi
  done
  if [ ${#built[@]} -eq 0 ]; then
    echo "skip $tag: not built"
    continue
  fi
  [ ${#missing[@]} -eq 0 ] ||
    die "$tag is not built for every platform (missing ${missing[*]}): run its make target with the same PLATFORMS"

  manifests=()
  for ref in "${built[@]}"; do
    "$docker" tag "$ref" "$registry/$ref"
    "$docker" push -q "$registry/$ref" >/dev/null
    # The registry keeps the image; the local name was only the way to push it.
    "$docker" rmi "$registry/$ref" >/dev/null
    manifests+=(-m "$registry/$ref")
  done
  "${crane[@]}" index append "${manifests[@]}" -t "$registry/$tag" >/dev/null
  digest=$("${crane[@]}" digest "$registry/$tag")
  echo "pushed $registry/${tag%%:*}@$digest"
  echo "$tag $registry/${tag%%:*}@$digest" >>"$pushed_list"
  pushed=$((pushed + 1))
done
[ "$pushed" -gt 0 ] || die "no ${1%%:*} image to push: run make docker-build first"
