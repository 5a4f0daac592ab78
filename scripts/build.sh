#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prepare the tree, apply the overlay, configure and build the kernel image
# of $ARCH (bzImage, or Image.gz for arm64) with ccache.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$REPO/scripts/tree.sh"
"$REPO/scripts/apply.sh"
"$REPO/scripts/config.sh"

command -v ccache >/dev/null || die "ccache not installed; run 'make deps'"
mkdir -p "$CCACHE_DIR"
[[ -f $CCACHE_DIR/ccache.conf ]] || ccache -M "${CCACHE_MAXSIZE:-5G}" >/dev/null
ccache -z >/dev/null

args=(-j"$JOBS")
[[ -n ${W:-} ]] && args+=(W="$W")
[[ -z $CROSS_COMPILE ]] || command -v "${CROSS_COMPILE}gcc" >/dev/null ||
	die "${CROSS_COMPILE}gcc not installed; run 'make deps'"
msg "building $KIMAGE_TARGET ($ARCH${FLAVOUR:+ $FLAVOUR}, -j$JOBS${W:+, W=$W})..."
start=$SECONDS
: >"$OBJ/build.log"
if ! logged_build "$OBJ/build.log" "building $KIMAGE_TARGET" kmake "${args[@]}" "$KIMAGE_TARGET"; then
	grep -E 'error|Error|warning:' "$OBJ/build.log" | head -40 >&2 || true
	tail -n 20 "$OBJ/build.log" >&2
	die "kernel build failed; full log: $OBJ/build.log"
fi
grep -E 'warning:' "$OBJ/build.log" | grep -v '^make' | head -40 || true
hits=$(ccache --print-stats 2>/dev/null | awk -F'\t' '$1 ~ /^(direct|preprocessed)_cache_hit$/ {h += $2} $1 ~ /cache_miss$/ {m += $2} END {printf "%d hits, %d misses", h, m}')
msg "built in $((SECONDS - start)) s (ccache: $hits)"
msg "kernel: $KIMAGE"
