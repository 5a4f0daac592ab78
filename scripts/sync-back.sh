#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Copy edits made in the kernel tree back into the overlay: new files are
# copied, changes to baseline files become <path>.patch (git diff vs KBASE).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
require_tree

declare -A overlay=()
while IFS= read -r f; do overlay[$f]=1; done < <(overlay_files)

# Kernel paths the overlay may own: below an overlay root, or a top-level file.
in_roots() {
	local r
	[[ $1 != */* ]] && return 0
	for r in "${OVERLAY_ROOTS[@]}"; do [[ $1 == "$r/"* ]] && return 0; done
	return 1
}

changed=0 hints=()
update() { # update <repo path> <content file>
	if [[ -f $REPO/$1 ]] && cmp -s "$2" "$REPO/$1"; then return 0; fi
	info "$([[ -f $REPO/$1 ]] && echo updated || echo created) $1"
	mkdir -p "$(dirname "$REPO/$1")"
	cp "$2" "$REPO/$1"
	changed=$((changed + 1))
}

tmp=$(mktemp "${TMPDIR:-/tmp}/pec-sync.XXXXXX")
trap 'rm -f "$tmp"' EXIT
msg "syncing edits from $KSRC (baseline $KBASE) back to the overlay..."

# Baseline files modified in the tree -> <path>.patch
while IFS= read -r f; do
	if ! in_roots "$f"; then
		hints+=("$f is modified but outside the overlay roots (${OVERLAY_ROOTS[*]}, top-level files); not synced")
		continue
	fi
	if ((!OWN_TREE)) && [[ -z ${overlay[$f.patch]:-} ]]; then
		hints+=("$f is modified in your tree but not part of the overlay; create $f.patch to add it")
		continue
	fi
	git -C "$KSRC" diff --no-color --no-ext-diff "$KBASE" -- "$f" >"$tmp"
	update "$f.patch" "$tmp"
done < <(git -C "$KSRC" diff --name-only --no-renames "$KBASE")

# New files in the tree
while IFS= read -r f; do
	if [[ -n ${overlay[$f]:-} ]]; then
		update "$f" "$KSRC/$f"
	elif in_roots "$f" && [[ $f == */* && -d $REPO/$(dirname "$f") ]]; then
		update "$f" "$KSRC/$f"
	elif in_roots "$f"; then
		hints+=("new file $f is not in the overlay; copy it to $REPO/$f to add it")
	fi
done < <(git -C "$KSRC" ls-files -o --exclude-standard)

# Overlay patches with no change left in the tree
for f in "${!overlay[@]}"; do
	[[ $f == *.patch ]] || continue
	t=$(patch_target "$f")
	git -C "$KSRC" diff --quiet "$KBASE" -- "$t" 2>/dev/null &&
		hints+=("$t is unchanged in the tree but the overlay has $f; delete $f if the change was dropped")
done

for h in "${hints[@]}"; do info "hint: $h"; done
msg "sync-back done: $changed overlay file(s) changed"
((changed == 0)) || git -C "$REPO" status --short -- "${OVERLAY_ROOTS[@]}" ':(glob)*.patch' 2>/dev/null || true
