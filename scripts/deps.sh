#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install the host packages the workbench needs (Debian 12), and the tested
# version of linux-source-6.12 (scripts/linux-source.sh). Quick no-op when
# everything is already installed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# linux-config-6.12: Debian's own configs (the distro build check).
# bash-static, libnuma-dev, libcap-dev, liburing-dev: the static mm selftests.
# gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, qemu-system-arm: the arm64
# kernels and their guest programs; qemu-efi-aarch64: the UEFI firmware the
# arm64 memory hotplug boots need (ACPI); the arm64 guest's busybox comes from
# Debian's arm64 busybox-static, so the arm64 architecture is added to dpkg.
PKGS=(linux-config-6.12 qemu-system-x86 busybox-static
      bash-static ccache flex bison bc libelf-dev libssl-dev cpio xz-utils kmod
      python3 perl rsync gcc make libc6-dev patch git python3-sphinx
      python3-sphinx-rtd-theme python3-yaml python3-ply python3-git
      libnuma-dev libcap-dev liburing-dev
      gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm
      qemu-efi-aarch64)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'install ok installed' >/dev/null || missing+=("$p")
done
foreign=$(dpkg --print-foreign-architectures)
if ((${#missing[@]} == 0)) && grep -qx arm64 <<<"$foreign"; then
	msg "host dependencies present"
	exec "$REPO/scripts/linux-source.sh"
fi

sudo=()
((EUID == 0)) || sudo=(sudo)
command -v apt-get >/dev/null || die "apt-get not found; install by hand: ${missing[*]}"
if ! grep -qx arm64 <<<"$foreign"; then
	msg "adding the arm64 architecture to dpkg (for the arm64 guest's busybox)"
	"${sudo[@]}" dpkg --add-architecture arm64
fi
msg "installing host dependencies: ${missing[*]:-none}"
"${sudo[@]}" apt-get update -q
((${#missing[@]} == 0)) ||
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
msg "host dependencies installed"
APT_UPDATED=1 exec "$REPO/scripts/linux-source.sh"
