#!/usr/bin/env bash
# Builds (once) the node simulator's extra layer: the few real tools an Ubuntu cloud image has and the trixie chroot
# lacks (curl for IMDS on loopback, psmisc's fuser for the dpkg-lock wait). It is the upper directory of an overlay
# over the chroot, so the chroot itself stays untouched; every simulated node then mounts
# lowerdir=<layer>:<chroot>.
#   tests/tools/sim/layer.sh      ensure the layer exists, print its path
#   NODEIMAGER_SIM_LAYER=DIR       where it lives (default /var/cache/nodeimager/sim-layer)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
chroot_dir="$("$here/../chroot.sh")"
layer="${NODEIMAGER_SIM_LAYER:-/var/cache/nodeimager/sim-layer}"
packages=(curl psmisc)
# Bumped when the layer's recipe changes, so an old layer is rebuilt.
recipe="${packages[*]} no-resolv"
stamp="$layer.ready"

if [[ -f "$stamp" ]] && [[ "$(cat "$stamp")" == "$recipe" ]]; then
  echo "$layer"
  exit 0
fi
if [[ $EUID -ne 0 ]]; then
  echo "layer.sh: building the simulator layer needs root (overlayfs, chroot)" >&2
  exit 1
fi
work="$(mktemp -d /var/cache/nodeimager/sim-layer-build.XXXXXX)"
mkdir -p "$work/upper" "$work/work" "$work/root"
cleanup() {
  umount "$work/root/proc" 2>/dev/null || true
  umount "$work/root" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
mount -t overlay overlay -o "lowerdir=$chroot_dir,upperdir=$work/upper,workdir=$work/work" "$work/root"
mount -t proc proc "$work/root/proc"
cp /etc/resolv.conf "$work/root/etc/resolv.conf"
# Default mirror on purpose (as chroot.sh): apt's own configuration in the chroot.
chroot "$work/root" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
chroot "$work/root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
chroot "$work/root" apt-get clean
rm -rf "$work/root/var/lib/apt/lists/"*
# No resolver configuration in the nodes (glibc then asks 127.0.0.1): a simulated node reaches nothing but loopback.
rm -f "$work/root/etc/resolv.conf"
umount "$work/root/proc"
umount "$work/root"
rm -rf "$layer"
mv "$work/upper" "$layer"
echo "$recipe" > "$stamp"
echo "$layer"
