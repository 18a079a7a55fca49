#!/usr/bin/env bash
# Builds a Debian bookworm root file system with systemd as PID 1 and imports it into Docker
# as IMAGE, for one architecture: the system the .deb is installed into by make
# test-packages-systemd. A foreign architecture (arm64 on an amd64 host) is bootstrapped
# and later run through qemu-user, which binfmt_misc must have registered (F flag).
#
# Usage: rootfs.sh ARCH IMAGE   (run as root)
# Env:   DOCKER (docker), DEBIAN_MIRROR (default: the first archive address in this host's
#        apt sources: no mirror is written down here)
set -euo pipefail

die() { echo "rootfs: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: $0 ARCH IMAGE"
arch=$1
image=$2
docker=${DOCKER:-docker}
command -v debootstrap >/dev/null || die "debootstrap not found: apt-get install debootstrap"
mirror=${DEBIAN_MIRROR:-$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)}
[ -n "$mirror" ] || die "no Debian mirror: set DEBIAN_MIRROR"

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
start=$(date +%s)
# minbase plus what the tests drive: systemd as init, dbus for systemctl, curl to ask /health.
debootstrap --arch="$arch" --variant=minbase --include=systemd,systemd-sysv,dbus,curl \
  bookworm "$root" "$mirror" >"$root.log" 2>&1 || { tail -20 "$root.log" >&2; die "debootstrap $arch failed"; }
rm -f "$root.log"
# A container has no consoles to log in on, and nothing to mount from fstab.
rm -f "$root"/etc/systemd/system/getty.target.wants/* "$root"/etc/fstab
tar -C "$root" -c . | "$docker" import --platform "linux/$arch" - "$image" >/dev/null
echo "rootfs: $image (bookworm, systemd, $arch) in $(( $(date +%s) - start )) s"
