# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the page_ext consistency workbench. Source, do not run.
# shellcheck shell=bash

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
ARCH=${ARCH:-x86_64}

# Directories and top-level files of the repo that are overlaid on the kernel tree.
OVERLAY_ROOTS=(Documentation include mm tools)

# Kernel tree: ours (build/linux, baseline tag pec-base) unless KSRC is set.
# (KSRC pointing at build/linux, e.g. exported by a parent script, is ours too.)
# realpath -m: build/linux need not exist yet (a fresh clone before make tree).
if [[ -n "${KSRC:-}" && "$(realpath -m "$KSRC")" != "$(realpath -m "$BUILD_DIR/linux")" ]]; then
	KSRC=$(cd "$KSRC" 2>/dev/null && pwd) || { echo "error: KSRC=$KSRC does not exist" >&2; exit 1; }
	KBASE=${KBASE:-HEAD}
	OWN_TREE=0
else
	KSRC=$BUILD_DIR/linux
	KBASE=${KBASE:-pec-base}
	OWN_TREE=1
fi
if ((OWN_TREE)); then
	OBJ=${OBJ:-$BUILD_DIR/obj/$ARCH}
	KUNIT_OBJ=${KUNIT_OBJ:-$BUILD_DIR/obj/kunit-um}
else
	# One object dir per user tree: never mix two source trees in one O=.
	tree_id=$(basename "$KSRC")-$(printf '%s' "$KSRC" | sha1sum | cut -c1-8)
	OBJ=${OBJ:-$BUILD_DIR/obj/$ARCH-$tree_id}
	KUNIT_OBJ=${KUNIT_OBJ:-$BUILD_DIR/obj/kunit-um-$tree_id}
fi
LOG_DIR=${LOG_DIR:-$BUILD_DIR/logs}
INITRAMFS=${INITRAMFS:-$BUILD_DIR/initramfs.cpio.gz}
BZIMAGE=$OBJ/arch/x86/boot/bzImage
LINUX_TARBALL=${LINUX_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
JOBS=${JOBS:-$(nproc)}
# Outside the repo so that fresh clones (CI) on the same machine share it.
export CCACHE_DIR=${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/page_ext_consistency/ccache}

msg() { printf '==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# All overlay files (tracked + untracked-not-ignored), repo-relative, one per line.
overlay_files() {
	local roots=() r
	for r in "${OVERLAY_ROOTS[@]}"; do
		[[ -e $REPO/$r ]] && roots+=("$r")
	done
	{
		if ((${#roots[@]})); then
			git -C "$REPO" ls-files -co --exclude-standard -- "${roots[@]}"
		fi
		git -C "$REPO" ls-files -co --exclude-standard -- ':(glob)*.patch'
	} | while IFS= read -r f; do [[ -f $REPO/$f ]] && printf '%s\n' "$f"; done | sort -u
}

# Overlay .patch files (repo-relative) and the kernel file each one modifies.
overlay_patches() { overlay_files | grep '\.patch$' || true; }
overlay_new_files() { overlay_files | grep -v '\.patch$' || true; }
patch_target() { printf '%s\n' "${1%.patch}"; }

# True when the overlay has no files at all (nothing written yet).
overlay_empty() { [[ -z "$(overlay_files)" ]]; }

# clean_worktree DIR REV: DIR as a clean, detached worktree of $KSRC at REV,
# reusing it when it already is one (an interrupted git am is aborted).
clean_worktree() {
	local dir=$1 rev=$2
	if [[ -e $dir/.git ]] && [[ "$(git -C "$dir" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)" == "$(git -C "$KSRC" rev-parse --path-format=absolute --git-common-dir)" ]]; then
		git -C "$dir" am --abort >/dev/null 2>&1 || true
		git -C "$dir" checkout -q --detach "$rev" &&
			git -C "$dir" reset -q --hard "$rev" &&
			git -C "$dir" clean -q -fdx
	else
		rm -rf "$dir"
		git -C "$KSRC" worktree prune
		mkdir -p "$(dirname "$dir")"
		git -C "$KSRC" worktree add -q --detach "$dir" "$rev"
	fi
}

require_tree() {
	git -C "$KSRC" rev-parse --verify -q "$KBASE^{commit}" >/dev/null ||
		die "kernel tree $KSRC has no baseline '$KBASE' (run 'make tree', or set KSRC/KBASE)"
}

# --- serial log helpers (LOGFILE = the log to read) ---------------------------
# log_has REGEX: the log has a line matching the extended regex.
log_has() { grep -aqE -- "$1" "$LOGFILE"; }
# log_line_no REGEX: line number of the first match (empty if none).
log_line_no() { grep -anE -m1 -- "$1" "$LOGFILE" | cut -d: -f1; }
# log_job_rc JOB: the rc from "PEC-JOB-END JOB rc=N" (empty if the job did not end).
log_job_rc() { grep -a -m1 "^PEC-JOB-END $1 rc=" "$LOGFILE" | sed 's/.* rc=//'; }
# pec_stats: the "key: value" lines printed between PEC-STATS-BEGIN and -END.
pec_stats() {
	sed -n '/^PEC-STATS-BEGIN/,/^PEC-STATS-END/p' "$LOGFILE" | grep -aE '^[A-Za-z0-9_]+: ' || true
}
# pec_stat KEY: one value from the stats block (empty if absent).
pec_stat() { pec_stats | awk -v k="$1:" '$1 == k { print $2; exit }'; }
