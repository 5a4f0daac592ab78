#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make rebase KVER=<debian version>: move the overlay onto another version of
# Debian's linux-source-6.12, the way a git rebase moves a branch.
#
#   1. the tested version (scripts/linux-source.version) in build/linux;
#      the overlay applied to it as one commit, in the worktree build/rebase/linux;
#   2. KVER fetched (apt-get download: the installed package stays) and
#      committed there on top of the tested version;
#   3. git rebase --onto KVER: the overlay is merged three-way onto it. On a
#      conflict it stops: edit the files it names in build/rebase/linux,
#      'git add' them and run 'make rebase-continue' ('make rebase-abort'
#      gives up, nothing in the repository changed);
#   4. the overlay's .patch files, its new files and the series' stage diffs
#      (scripts/series/*.d/*.patch) are regenerated against KVER, the pin is
#      rewritten, and build/linux moves to KVER.
# Then: read 'git diff', run make check, commit.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
((OWN_TREE)) || die "make rebase works on the workbench's own tree (build/linux), not on KSRC=$KSRC"

WT=$BUILD_DIR/rebase/linux
STATE=$BUILD_DIR/rebase/state
ACTION=${1:-start}
G=(git -C "$WT" -c user.name=rebase -c user.email=rebase@localhost -c core.hooksPath=/dev/null)

# The commits of a rebase under way, from its state file.
load_state() {
	[[ -f $STATE ]] || die "no rebase under way (start one with 'make rebase KVER=<debian version>')"
	read -r KVER OLD NEW <"$STATE"
}

conflicts() { "${G[@]}" diff --name-only --diff-filter=U; }

stop_on_conflict() {
	local files
	files=$(conflicts)
	[[ -n $files ]] || die "git rebase stopped in $WT without a conflict; see 'git -C $WT status'"
	echo >&2
	printf 'error: the overlay does not merge cleanly onto %s %s. Conflicts in:\n' "$LINUX_PKG" "$KVER" >&2
	printf '    %s\n' $files >&2
	cat >&2 <<-EOT
	Edit those files in ${WT#"$REPO"/} (the markers show the overlay, the tested
	baseline and $KVER), then:
	    git -C ${WT#"$REPO"/} add <file>...
	    make rebase-continue
	or give up with 'make rebase-abort' (nothing in the repository has changed).
	EOT
	exit 1
}

# rebase_stage_diff DIFF: a stage diff of the series, regenerated against NEW.
rebase_stage_diff() {
	local d=$1 f tmp rc=0
	f=$(awk '/^\+\+\+ b\// { sub(/^\+\+\+ b\//, ""); print; exit }' "$d")
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/pec-stage.XXXXXX")
	"${G[@]}" show "$NEW:$f" >"$tmp/theirs"
	three_way_patch "$d" "$tmp/theirs" "$tmp/merged" || rc=$?
	((rc == 0)) || die "the series' stage diff ${d#"$REPO"/} does not merge onto $KVER ($([[ $rc == 1 ]] && echo conflicts || echo 'its preimage is not in the tree')); edit it by hand against $f of $KVER"
	# The same form as sync-back's diffs: git diff of the file against NEW.
	(cd "$tmp" && mkdir -p a/"$(dirname "$f")" b/"$(dirname "$f")" && cp theirs a/"$f" && cp merged b/"$f")
	(cd "$tmp" && git diff --no-index --no-prefix --no-color --no-ext-diff --abbrev=9 -- "a/$f" "b/$f" >diff) || true
	if ! cmp -s "$tmp/diff" "$d"; then
		cp "$tmp/diff" "$d"
		info "updated ${d#"$REPO"/}"
	fi
	rm -rf "$tmp"
}

finish() {
	local p t f n=0
	msg "regenerating the overlay against $KVER..."
	while IFS= read -r p; do
		t=$(patch_target "$p")
		"${G[@]}" diff --no-color --no-ext-diff "$NEW" HEAD -- "$t" >"$BUILD_DIR/rebase/diff"
		if [[ ! -s $BUILD_DIR/rebase/diff ]]; then
			warn "$t has no change left on $KVER: the overlay's $p is upstream now; delete it if so"
			continue
		fi
		cmp -s "$BUILD_DIR/rebase/diff" "$REPO/$p" && continue
		cp "$BUILD_DIR/rebase/diff" "$REPO/$p"
		info "updated $p"
		n=$((n + 1))
	done < <(overlay_patches)
	while IFS= read -r f; do
		cmp -s "$WT/$f" "$REPO/$f" && continue
		cp "$WT/$f" "$REPO/$f"
		info "updated $f"
		n=$((n + 1))
	done < <(overlay_new_files)
	for f in "$REPO"/scripts/series/*.d/*.patch; do
		[[ -e $f ]] && rebase_stage_diff "$f"
	done
	sed -i "s|^$(pinned_version | sed 's/[.~]/\\&/g')\$|$KVER|" "$PIN_FILE"
	[[ $(pinned_version) == "$KVER" ]] || die "could not rewrite the version in ${PIN_FILE#"$REPO"/}"
	info "updated ${PIN_FILE#"$REPO"/}: $KVER"

	msg "moving $KSRC to $KVER..."
	refuse_unsynced_edits "$KSRC must move to $KVER"
	move_tree "$NEW"
	rm -f "$STATE"
	msg "rebased onto $LINUX_PKG $KVER ($n overlay file(s) changed). Now:"
	info "git -C $REPO diff          # read what moved"
	info "make deps                  # installs $LINUX_PKG $KVER, the new tested version"
	info "make check                 # then commit"
}

case $ACTION in
start)
	[[ -n ${KVER:-} ]] || die "usage: make rebase KVER=<debian version>, e.g. KVER=$(newest_version $(archive_versions)) (apt-cache policy $LINUX_PKG lists them)"
	[[ ! -f $STATE ]] || die "a rebase is under way ($(cut -d' ' -f1 "$STATE")); 'make rebase-continue' or 'make rebase-abort'"
	pin=$(pinned_version)
	[[ $KVER != "$pin" ]] || die "the overlay is tested on $KVER already"
	"$REPO/scripts/tree.sh"
	[[ $(tree_version) == "$pin" ]] ||
		die "build/linux is $LINUX_PKG $(tree_version), not the tested $pin: a rebase starts from the tested version (the archive must still have it)"
	OLD=$(git -C "$KSRC" rev-parse "$KBASE^{commit}")
	tarball=$(fetch_linux_source "$KVER")
	msg "rebase: the overlay from $pin onto $KVER, in ${WT#"$REPO"/}"
	clean_worktree "$WT" "$OLD"
	unpack_linux_source "$tarball" "$KVER" "$WT" pec-rebase-onto
	NEW=$("${G[@]}" rev-parse HEAD)

	info "committing the overlay on $pin..."
	"${G[@]}" checkout -q --detach "$OLD"
	while IFS= read -r f; do
		mkdir -p "$WT/$(dirname "$f")"
		cp "$REPO/$f" "$WT/$f"
	done < <(overlay_new_files)
	while IFS= read -r p; do
		"${G[@]}" apply --whitespace=nowarn "$REPO/$p" ||
			die "overlay $p does not apply to the tested version $pin: fix it first (make apply, make sync-back)"
	done < <(overlay_patches)
	"${G[@]}" add -A
	"${G[@]}" commit -q -m "page_ext consistency overlay (tested on $LINUX_PKG $pin)"
	printf '%s %s %s\n' "$KVER" "$OLD" "$NEW" >"$STATE"

	msg "rebasing onto $KVER (three-way merges)..."
	"${G[@]}" rebase -q --onto "$NEW" "$OLD" >/dev/null 2>&1 || stop_on_conflict
	finish
	;;
continue)
	load_state
	[[ -z $(conflicts) ]] || { printf '    %s\n' $(conflicts) >&2; die "these files still have conflicts: edit them and 'git -C ${WT#"$REPO"/} add' them"; }
	if [[ -d $("${G[@]}" rev-parse --git-path rebase-merge) || -d $("${G[@]}" rev-parse --git-path rebase-apply) ]]; then
		GIT_EDITOR=true "${G[@]}" rebase --continue >/dev/null 2>&1 || stop_on_conflict
	fi
	finish
	;;
abort)
	load_state
	"${G[@]}" rebase --abort 2>/dev/null || true
	rm -f "$STATE"
	msg "rebase onto $KVER abandoned; the repository and build/linux are as they were"
	;;
*) die "rebase.sh: unknown action '$ACTION' (start, continue, abort)" ;;
esac
