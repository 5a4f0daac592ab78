# SPDX-License-Identifier: GPL-2.0
# Catch the next Debian update before a user does: ask the archive for the
# newest linux-source-6.12. When it is the tested version (the pin,
# scripts/linux-source.version), pass. When it is newer, download it into
# build/drift (apt-get download; the installed package is not touched),
# apply the overlay as it is (plain patch, as on a fresh machine once the
# archive drops the pin) and build the checker's objects (mm/, the lean
# config): if either fails, fail with "rebase needed". DRIFT_VERSION=<v>
# tries that version instead of the newest.
# shellcheck shell=bash

# drift_lists_fresh: the package lists were fetched in the last 6 hours.
drift_lists_fresh() {
	[[ -n $(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -360 2>/dev/null | head -n1) ]]
}

group_drift() {
	local n=drift pin v avail dir tarball p t out bad=() merge why log obj
	pin=$(pinned_version)
	if [[ -n ${DRIFT_VERSION:-} ]]; then
		v=$DRIFT_VERSION
	else
		if ! drift_lists_fresh; then
			msg "asking the archive for the newest $LINUX_PKG (apt-get update)..."
			apt-get update -q >/dev/null 2>&1 || warn "apt-get update failed; using the package lists as they are"
		fi
		mapfile -t avail < <(archive_versions)
		if ((${#avail[@]} == 0)); then
			skip "$n" "the package lists have no $LINUX_PKG (no archive here?)"
			return 0
		fi
		v=$(newest_version "${avail[@]}")
		if ! dpkg --compare-versions "$v" gt "$pin"; then
			pass "$n: the tested $LINUX_PKG $pin is the newest in the archive"
			return 0
		fi
	fi
	msg "drift: the archive has $LINUX_PKG $v, the overlay is tested on $pin: trying it there"
	tarball=$(fetch_linux_source "$v")
	# The tested tree, for the three-way advice below (its blobs).
	"$REPO/scripts/tree.sh" >/dev/null
	dir=$BUILD_DIR/drift/linux
	rm -rf "$dir"
	unpack_linux_source "$tarball" "$v" "$dir" pec-drift >/dev/null

	# The overlay as a fresh machine would apply it: plain patch.
	for p in $(overlay_patches); do
		t=$(patch_target "$p")
		out=$(patch -p1 -d "$dir" --dry-run -f <"$REPO/$p" 2>&1) && continue
		merge="a three-way merge conflicts"
		three_way_patch "$REPO/$p" "$dir/$t" "$BUILD_DIR/drift/merged" && merge="a three-way merge resolves it"
		bad+=("$t ($(grep -c 'FAILED at' <<<"$out") hunk(s) fail; $merge)")
	done
	if ((${#bad[@]})); then
		fail "$n" "rebase needed: the overlay does not apply to $LINUX_PKG $v (tested: $pin): ${bad[*]}; run 'make rebase KVER=$v'"
		return 0
	fi

	# The checker's objects, on the lean config.
	log=$LOG_DIR/check-drift.log
	mkdir -p "$LOG_DIR"
	if ! out=$(export KSRC=$dir KBASE=pec-drift BUILD_DIR=$BUILD_DIR/drift FLAVOUR=lean ARCH=x86_64 &&
		unset OBJ && "$REPO/scripts/apply.sh" >"$log" 2>&1 && "$REPO/scripts/config.sh" >>"$log" 2>&1 &&
		. "$REPO/scripts/lib.sh" && echo "$OBJ"); then
		fail "$n" "rebase needed: the overlay does not apply to $LINUX_PKG $v, or its config fails (log: ${log#"$REPO"/})"
		return 0
	fi
	obj=$out
	msg "drift: building mm/ of $LINUX_PKG $v with the overlay (log ${log#"$REPO"/})..."
	if ! logged_build "$log" "building mm/" make -C "$dir" O="$obj" ARCH=x86 -j"$JOBS" CC="ccache gcc" mm/; then
		why=$(grep -a -m1 -E 'error:' "$log" || tail -n1 "$log")
		fail "$n" "rebase needed: the overlay applies to $LINUX_PKG $v but mm/ does not build: $why (log: ${log#"$REPO"/}); run 'make rebase KVER=$v'"
		return 0
	fi
	pass "$n: the overlay applies to $LINUX_PKG $v as it is (tested: $pin) and mm/ builds; rebase when you can: make rebase KVER=$v"
}
