#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install the version of Debian's linux-source-6.12 that the overlay is
# tested on (scripts/linux-source.version), also over another installed
# version. When the archive no longer has it, install the newest, say loudly
# that the overlay is untested there, and go on. A quick no-op when the
# tested version is installed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

pin=$(pinned_version)
have=$(installed_version)
[[ $have == "$pin" ]] && exit 0

sudo=()
((EUID == 0)) || sudo=(sudo)
install() {
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends \
		--allow-downgrades "$LINUX_PKG=$1" >/dev/null ||
		die "apt-get install $LINUX_PKG=$1 failed (see above)"
}
untested() {
	warn "################################################################"
	warn "$LINUX_PKG $pin, the version the overlay is tested on"
	warn "(${PIN_FILE#"$REPO"/}), is not in the archive any more."
	warn "Using $1 instead: the overlay is UNTESTED on it."
	warn "If it does not apply, or a test fails, rebase the overlay:"
	warn "    make rebase KVER=$1"
	warn "################################################################"
}

# The archive was asked already (a few hours ago) and had no pin: do not
# ask again on every make tree.
mark=$BUILD_DIR/debian/pin-missing
if [[ -n $have && -f $mark && "$(<"$mark")" == "$pin $have" ]] &&
	[[ -n $(find "$mark" -mmin -360) ]]; then
	untested "$have"
	exit 0
fi

command -v apt-get >/dev/null || die "apt-get not found; install $LINUX_PKG $pin by hand"
if [[ -z ${APT_UPDATED:-} ]]; then
	msg "asking the archive for $LINUX_PKG $pin (apt-get update)..."
	"${sudo[@]}" apt-get update -q >/dev/null || warn "apt-get update failed; using the package lists as they are"
fi
mapfile -t avail < <(archive_versions)
if printf '%s\n' "${avail[@]}" | grep -qxF -- "$pin"; then
	msg "installing $LINUX_PKG $pin, the tested version (installed: ${have:-none})"
	install "$pin"
	rm -f "$mark"
	exit 0
fi
newest=$(newest_version "${avail[@]}")
[[ -n $newest ]] ||
	die "the package lists have no $LINUX_PKG at all; check /etc/apt/sources.list (bookworm and bookworm-security) and run apt-get update"
untested "$newest"
if [[ $have != "$newest" ]]; then
	msg "installing $LINUX_PKG $newest (installed: ${have:-none})"
	install "$newest"
fi
mkdir -p "$(dirname "$mark")"
printf '%s %s\n' "$pin" "$newest" >"$mark"
