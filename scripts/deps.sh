#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install the host packages the workbench needs (Debian 12). Quick no-op when
# everything is already installed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PKGS=(linux-source-6.12 qemu-system-x86 busybox-static ccache flex bison bc
      libelf-dev libssl-dev cpio xz-utils kmod python3 perl rsync gcc make
      libc6-dev patch git python3-sphinx python3-sphinx-rtd-theme python3-yaml
      python3-ply python3-git)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'install ok installed' >/dev/null || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
	msg "host dependencies present"
	exit 0
fi

msg "installing host dependencies: ${missing[*]}"
sudo=()
((EUID == 0)) || sudo=(sudo)
command -v apt-get >/dev/null || die "apt-get not found; install by hand: ${missing[*]}"
"${sudo[@]}" apt-get update -q
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
msg "host dependencies installed"
