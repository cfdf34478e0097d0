#!/usr/bin/env bash
# Builds (once) the Debian trixie chroot that holds the real checking tools: moto's server (the AWS emulator),
# the aws CLI and cloud-init's schema validator. It lives outside the clone and is reused when present.
#   tests/tools/chroot.sh          ensure the chroot exists, print its path
#   NODEIMAGER_CHROOT=DIR          where it lives (default /var/cache/nodeimager/trixie)
set -euo pipefail
root="${NODEIMAGER_CHROOT:-/var/cache/nodeimager/trixie}"
packages=(python3-moto python3-flask python3-flask-cors awscli cloud-init openssl bash ca-certificates)
stamp="$root/.nodeimager-ready"

if [[ -f "$stamp" ]] && [[ "$(cat "$stamp")" == "${packages[*]}" ]]; then
  echo "$root"
  exit 0
fi
if [[ $EUID -ne 0 ]]; then
  echo "chroot.sh: building the trixie chroot needs root (debootstrap, chroot)" >&2
  exit 1
fi
if ! command -v debootstrap >/dev/null; then
  echo "chroot.sh: debootstrap is missing: apt-get install -y debootstrap" >&2
  exit 1
fi
mkdir -p "$(dirname "$root")"
tmp="$root.partial"
rm -rf "$tmp"
# Default mirror on purpose: each tool uses its own default registry.
debootstrap --variant=minbase trixie "$tmp" >&2
# debootstrap's --include cannot resolve python3-cryptography's virtual dependency: install afterwards with apt.
cp /etc/resolv.conf "$tmp/etc/resolv.conf" 2>/dev/null || true
mount -t proc proc "$tmp/proc"
trap 'umount "$tmp/proc" 2>/dev/null || true' EXIT
chroot "$tmp" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
chroot "$tmp" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
chroot "$tmp" apt-get clean
umount "$tmp/proc"
trap - EXIT
echo "${packages[*]}" > "$tmp/.nodeimager-ready"
rm -rf "$root"
mv "$tmp" "$root"
echo "$root"
