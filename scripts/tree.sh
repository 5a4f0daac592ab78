#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prepare the kernel tree: build/linux from Debian's linux-source-6.12 tarball
# (a git repo with baseline tag pec-base), or validate a user tree in KSRC.
#
# The installed package is first made the tested version
# (scripts/linux-source.sh). A tree of another version (an older checkout, or
# a machine where the package moved) is moved to the installed one: its
# overlay files are dropped, the new version is committed on top of the old
# and tagged pec-base, and only the files that differ are rewritten.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if ((!OWN_TREE)); then
	git -C "$KSRC" rev-parse --git-dir >/dev/null 2>&1 ||
		die "KSRC=$KSRC is not a git tree (the overlay is applied against a git baseline)"
	[[ -f $KSRC/Makefile && -d $KSRC/mm ]] || die "KSRC=$KSRC does not look like a kernel tree"
	require_tree
	msg "using kernel tree $KSRC (baseline $KBASE = $(git -C "$KSRC" rev-parse --short "$KBASE"))"
	exit 0
fi

"$REPO/scripts/linux-source.sh"
pin=$(pinned_version)
have=$(installed_version)
[[ -n $have && -f $LINUX_TARBALL ]] || die "$LINUX_TARBALL missing; run 'make deps' (installs $LINUX_PKG $pin)"
tested() { [[ $1 == "$pin" ]] && echo "the tested version" || echo "UNTESTED: the overlay is tested on $pin"; }

if git -C "$KSRC" rev-parse --verify -q "refs/tags/$KBASE" >/dev/null 2>&1; then
	tv=$(tree_version)
	if [[ $tv == "$have" ]]; then
		msg "kernel tree $KSRC ready (baseline $KBASE, $LINUX_PKG $tv, $(tested "$tv"))"
		exit 0
	fi
	msg "kernel tree $KSRC is $LINUX_PKG ${tv:-(version not recorded)}; moving it to the installed $have"
	refuse_unsynced_edits "$KSRC must move to $LINUX_PKG $have"
	move_tree "$KBASE"
elif [[ -e $KSRC ]]; then
	die "$KSRC exists but has no tag $KBASE; remove it ('make distclean') and retry"
fi
unpack_linux_source "$LINUX_TARBALL" "$have" "$KSRC"
msg "kernel tree $KSRC ready (baseline $KBASE, $LINUX_PKG $have, $(tested "$have"))"
