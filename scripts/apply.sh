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
# skipped, others must apply cleanly.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
require_tree

FORCE=${FORCE:-0}
STATE=$BUILD_DIR/apply-state/$(printf '%s' "$KSRC" | sha1sum | cut -c1-12)
mkdir -p "$(dirname "$STATE")"
touch "$STATE"
declare -A prev_sha=() want_sha=()
while read -r sha path; do [[ -n $path ]] && prev_sha[$path]=$sha; done <"$STATE"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/pec-apply.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# Files a unified diff touches (kernel-relative), one per line.
patch_files() {
	awk '/^--- / { old = $2; next }
	     /^\+\+\+ / { f = ($2 == "/dev/null") ? old : $2; sub(/^[ab]\//, "", f); print f }' "$1" | sort -u
}

sha_of() { if [[ -e $1 ]]; then git hash-object --no-filters -- "$1"; else echo absent; fi; }

changed=0
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
		if ! out=$(patch -p1 -d "$base" -s -f --no-backup-if-mismatch -r - <"$REPO/$p" 2>&1); then
			printf '%s\n' "$out" >&2
			die "overlay $p does not apply to baseline $KBASE; regenerate it with 'make sync-back' after fixing the file in $KSRC"
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
			die "overlay $p neither applies to nor is applied in $KSRC; run 'make sync-back' if you edited the tree, or reset the file ('git -C $KSRC checkout $KBASE -- $(patch_target "$p")')"
		fi
	done
fi

for f in "${!want_sha[@]}"; do printf '%s %s\n' "${want_sha[$f]}" "$f"; done | sort -k2 >"$STATE"
msg "overlay applied ($changed file(s) changed)"
