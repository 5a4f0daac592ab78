#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Apply the overlay (new files + <path>.patch diffs) to the kernel tree.
#
# Idempotent and mtime-preserving: a tree file is only rewritten when its
# content must change, so kbuild/ccache stay incremental.
#
# Our tree (build/linux): each patched file is recomputed as
# "baseline + overlay patches" in a scratch dir and copied in only if it
# differs, so an edited .patch replaces the old version cleanly. Files that
# were changed in the tree since the last apply (hand edits not yet synced
# back) are never overwritten: run 'make sync-back' or use FORCE=1.
#
# A user tree (KSRC): patches already applied (reverse dry-run succeeds) are
# skipped, others must apply.
#
# A patch that does not apply as it is (the tree is another version than the
# tested one) is merged three-way against the file it was made from, when
# the tree's repository has that file; a conflict stops with the file, the
# hunks and the command that rebases the overlay.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
require_tree

FORCE=${FORCE:-0}
STATE=$(apply_state_file)
mkdir -p "$(dirname "$STATE")"
touch "$STATE"
declare -A prev_sha=() want_sha=()
while read -r sha path; do [[ -n $path ]] && prev_sha[$path]=$sha; done <"$STATE"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/pec-apply.XXXXXX")
# An apply that stops half-way (a patch that does not apply) still records
# what it installed, beside what the last apply did, so that the next apply
# does not take its files for hand edits.
save_state() {
	local f
	declare -A all=()
	if ((!${1:-0})); then
		for f in "${!prev_sha[@]}"; do all[$f]=${prev_sha[$f]}; done
	fi
	for f in "${!want_sha[@]}"; do all[$f]=${want_sha[$f]}; done
	for f in "${!all[@]}"; do printf '%s %s\n' "${all[$f]}" "$f"; done | sort -k2 >"$STATE"
}
trap 'rm -rf "$scratch"; ((done_ok)) || save_state' EXIT
done_ok=0

# Files a unified diff touches (kernel-relative), one per line.
patch_files() {
	awk '/^--- / { old = $2; next }
	     /^\+\+\+ / { f = ($2 == "/dev/null") ? old : $2; sub(/^[ab]\//, "", f); print f }' "$1" | sort -u
}

sha_of() { if [[ -e $1 ]]; then git hash-object --no-filters -- "$1"; else echo absent; fi; }

changed=0
# merge_or_die PATCH FILE PATCH_OUTPUT: PATCH does not apply to FILE; merge
# it three-way in place, or stop with what failed and how to rebase.
merge_or_die() {
	local rc=0
	three_way_patch "$REPO/$1" "$2" "$scratch/merged" || rc=$?
	((rc == 0)) || die_rebase_needed "$1" "$3"
	cp "$scratch/merged" "$2"
	warn "overlay $1 does not apply as it is to $KSRC; merged three-way. The overlay is tested on $LINUX_PKG $(pinned_version): check the result, and rebase the overlay (make rebase KVER=...)"
}
# Install $2 (scratch file or "absent") as tree path $1, guarding hand edits.
install_file() {
	local path=$1 src=$2 dst=$KSRC/$1 cur want
	cur=$(sha_of "$dst")
	want=$(sha_of "$src")
	want_sha[$path]=$want
	[[ $cur == "$want" ]] && return 0
	if ((OWN_TREE && !FORCE)); then
		local base
		base=$(git -C "$KSRC" rev-parse -q --verify "$KBASE:$path" 2>/dev/null || echo absent)
		if [[ $cur != "${prev_sha[$path]:-$base}" ]]; then
			die "$path was edited in $KSRC since the last apply; run 'make sync-back' to keep the edit, or 'make apply FORCE=1' to discard it"
		fi
	fi
	if [[ $want == absent ]]; then
		info "remove $path"
		rm -f "$dst"
	else
		info "$([[ -e $dst ]] && echo update || echo add) $path"
		mkdir -p "$(dirname "$dst")"
		cp "$src" "$dst"
	fi
	changed=$((changed + 1))
}

mapfile -t patches < <(overlay_patches)
mapfile -t newfiles < <(overlay_new_files)
msg "applying overlay to $KSRC (${#patches[@]} patches, ${#newfiles[@]} new files)..."

declare -A owned=()
for f in "${newfiles[@]}"; do
	[[ -e $KSRC/$f ]] && git -C "$KSRC" cat-file -e "$KBASE:$f" 2>/dev/null &&
		die "overlay file $f exists in the kernel baseline; it should be $f.patch (a diff), not a copy"
	install_file "$f" "$REPO/$f"
	owned[$f]=1
done

if ((OWN_TREE)); then
	base=$scratch/base
	mkdir -p "$base"
	targets=()
	for p in "${patches[@]}"; do
		mapfile -t t < <(patch_files "$REPO/$p")
		((${#t[@]})) || die "overlay $p is not a unified diff (no '+++ b/...' line)"
		for f in "${t[@]}"; do
			[[ -n ${owned[$f]:-} ]] && continue
			owned[$f]=1
			targets+=("$f")
			mkdir -p "$base/$(dirname "$f")"
			git -C "$KSRC" show "$KBASE:$f" >"$base/$f" 2>/dev/null || rm -f "$base/$f"
		done
		if out=$(patch -p1 -d "$base" --dry-run -f <"$REPO/$p" 2>&1); then
			patch -p1 -d "$base" -s -f --no-backup-if-mismatch <"$REPO/$p"
		else
			merge_or_die "$p" "$base/$(patch_target "$p")" "$out"
		fi
	done
	for f in "${targets[@]}"; do
		if [[ -e $base/$f ]]; then install_file "$f" "$base/$f"; else install_file "$f" absent; fi
	done
	# Files an earlier apply installed that the overlay no longer has: back to baseline.
	for f in "${!prev_sha[@]}"; do
		[[ -n ${owned[$f]:-} ]] && continue
		mkdir -p "$base/$(dirname "$f")"
		if git -C "$KSRC" show "$KBASE:$f" >"$base/$f" 2>/dev/null; then
			install_file "$f" "$base/$f"
		else
			install_file "$f" absent
		fi
		unset "want_sha[$f]"
	done
else
	for p in "${patches[@]}"; do
		if patch -p1 -d "$KSRC" -R --dry-run -s -f <"$REPO/$p" >/dev/null 2>&1; then
			continue
		elif patch -p1 -d "$KSRC" --dry-run -s -f <"$REPO/$p" >/dev/null 2>&1; then
			info "patch $p"
			patch -p1 -d "$KSRC" -s -f --no-backup-if-mismatch <"$REPO/$p"
			changed=$((changed + 1))
		else
			out=$(patch -p1 -d "$KSRC" --dry-run -f <"$REPO/$p" 2>&1 || true)
			merge_or_die "$p" "$KSRC/$(patch_target "$p")" "$out"
			changed=$((changed + 1))
		fi
	done
fi

save_state 1
done_ok=1
msg "overlay applied ($changed file(s) changed)"
