#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prepare the tree, apply the overlay, configure and build bzImage (ccache).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$REPO/scripts/tree.sh"
"$REPO/scripts/apply.sh"
"$REPO/scripts/config.sh"

command -v ccache >/dev/null || die "ccache not installed; run 'make deps'"
mkdir -p "$CCACHE_DIR"
[[ -f $CCACHE_DIR/ccache.conf ]] || ccache -M "${CCACHE_MAXSIZE:-5G}" >/dev/null
ccache -z >/dev/null

args=(-C "$KSRC" O="$OBJ" -j"$JOBS" CC="ccache gcc")
[[ -n ${W:-} ]] && args+=(W="$W")
msg "building bzImage ($ARCH, -j$JOBS${W:+, W=$W})..."
start=$SECONDS
if ! make "${args[@]}" bzImage >"$OBJ/build.log" 2>&1; then
	grep -E 'error|Error|warning:' "$OBJ/build.log" | head -40 >&2 || true
	tail -n 20 "$OBJ/build.log" >&2
	die "kernel build failed; full log: $OBJ/build.log"
fi
grep -E 'warning:' "$OBJ/build.log" | grep -v '^make' | head -40 || true
hits=$(ccache --print-stats 2>/dev/null | awk -F'\t' '$1 ~ /^(direct|preprocessed)_cache_hit$/ {h += $2} $1 ~ /cache_miss$/ {m += $2} END {printf "%d hits, %d misses", h, m}')
msg "built in $((SECONDS - start)) s (ccache: $hits)"
msg "bzImage: $BZIMAGE"
