# SPDX-License-Identifier: GPL-2.0
# make series: export the series, checkpatch --strict every patch, check the
# cover letter, then git am the patches one by one onto a fresh worktree at
# the base and build after each (bisectability), with the workbench config
# in its own object dir (build/obj/series): mm/ after every patch but the
# last, bzImage after the last. Every patch touches mm/ or what mm/ includes;
# a whole kernel after every patch made a cold make check ten minutes longer,
# because the early patches change headers that every object includes.
# shellcheck shell=bash

# series_prepare_tree DIR: a worktree of $KSRC at $KBASE in DIR, clean.
series_prepare_tree() {
	clean_worktree "$1" "$(git -C "$KSRC" rev-parse --verify "$KBASE^{commit}")"
}

test_series_cover() {
	local n=series-cover-letter cover=$1 npatches=$2 why=() ver base to
	if [[ ! -f $cover ]]; then
		fail "$n" "no ${cover#"$REPO"/}"
		return 0
	fi
	ver=$(git -C "$KSRC" show "$KBASE:Makefile" | awk '$2 == "=" && $1 ~ /^(VERSION|PATCHLEVEL|SUBLEVEL|EXTRAVERSION)$/ && !seen[$1]++ { v[$1] = $3 }
		END { s = v["VERSION"] "." v["PATCHLEVEL"]; if (v["SUBLEVEL"] > 0) s = s "." v["SUBLEVEL"]; print s v["EXTRAVERSION"] }')
	base=$(git -C "$KSRC" rev-parse "$KBASE^{commit}")
	to=$(awk '/^To:/ { on = 1; print; next } on && /^[ \t]/ { print; next } { on = 0 }' "$cover")
	if ! grep -q '^Subject: \[PATCH[^]]* 0/'"$npatches"'\] [^*]' "$cover"; then
		why+=("no 'Subject: [PATCH 0/$npatches] <subject>'")
	fi
	if grep -q '\*\*\* .* HERE \*\*\*' "$cover"; then
		why+=("template text left: $(grep -m1 '\*\*\* .* HERE' "$cover")")
	fi
	if ! grep -q "^Based on Linux $ver\b" "$cover"; then why+=("no 'Based on Linux $ver' line"); fi
	if ! grep -qx "base-commit: $base" "$cover"; then why+=("no 'base-commit: $base' line"); fi
	if ! grep -q 'linux-mm@kvack\.org' <<<"$to"; then why+=("linux-mm@kvack.org not in To:"); fi
	if ((${#why[@]})); then
		fail "$n" "$(printf '%s; ' "${why[@]}")file: ${cover#"$REPO"/}"
	else
		pass "$n"
	fi
}

test_series_checkpatch() {
	local nn=$1 patch=$2 tree=$3 log=$LOG_DIR/series/checkpatch-$1.log out rc=0 path=$PATH
	# spdxcheck.py needs python3 with ply and git (Debian: python3-ply
	# python3-git); prefer the system python3 over a pyenv one that lacks them.
	/usr/bin/python3 -c 'import ply, git' 2>/dev/null && path=/usr/bin:$PATH
	# Not from a directory inside $REPO: checkpatch misbehaves when the cwd is a
	# git checkout that tracks .patch files.
	out=$(cd "$tree" && PATH=$path ./scripts/checkpatch.pl --strict --color=never --show-types "$patch" 2>&1) || rc=$?
	printf '%s\n' "$out" >"$log"
	if ((rc == 0)) && ! grep -aqE '^(ERROR|WARNING|CHECK):' <<<"$out"; then
		pass "series-checkpatch:$nn"
		if grep -aq 'Traceback' <<<"$out"; then
			info "series-checkpatch:$nn: checkpatch could not run spdxcheck.py (install python3-ply python3-git); log: ${log#"$REPO"/}"
		fi
	else
		fail "series-checkpatch:$nn" "$(grep -a -m1 '^total:' <<<"$out" || echo "checkpatch exited $rc"); first: $(grep -a -m1 -E '^(ERROR|WARNING|CHECK):' <<<"$out" || echo '?') (log: ${log#"$REPO"/})"
	fi
}

# series_fragment TREE: scripts/config/$ARCH.config without the options that
# no Kconfig file of TREE defines.
series_fragment() {
	grep -rhoE --include='Kconfig*' '^(menu)?config [A-Za-z0-9_]+' "$1" | awk '{ print $2 }' | sort -u |
		awk 'NR == FNR { have["CONFIG_" $1] = 1; next }
			match($0, /CONFIG_[A-Za-z0-9_]+/) && !have[substr($0, RSTART, RLENGTH)] { next }
			{ print }' - "$REPO/scripts/config/$ARCH.config"
}

# test_series_build NN TREE OBJ FINAL_CONFIG TARGET: configure and build one
# step: TARGET is mm/ or bzImage.
test_series_build() {
	local nn=$1 tree=$2 obj=$3 final=$4 target=$5 n=series-build:$1 log=$LOG_DIR/series/build-$1.log
	local why=() line sym start f cmds=()
	mkdir -p "$obj"
	# The final config; olddefconfig drops what this step does not define yet.
	cp "$final" "$obj/.config"
	if ! make -s -C "$tree" O="$obj" ARCH=x86 olddefconfig >"$log" 2>&1; then
		fail "$n" "olddefconfig failed (log: ${log#"$REPO"/})"
		return 1
	fi
	# Every option of the workbench fragment that this step defines must be set.
	while IFS= read -r line; do
		[[ $line == CONFIG_*=* ]] || continue
		if grep -qxF -- "$line" "$obj/.config"; then continue; fi
		sym=${line%%=*}
		if grep -rqE --include='Kconfig*' "^(menu)?config ${sym#CONFIG_}\$" "$tree"; then
			why+=("$line lost (got: $(grep -E "^(# )?${sym}[= ]" "$obj/.config" || echo 'not present'))")
		fi
	done <"$REPO/scripts/config/$ARCH.config"
	if ((${#why[@]})); then
		fail "$n" "$(printf '%s; ' "${why[@]}")"
		return 1
	fi
	start=$SECONDS
	if ! logged_build "$log" "patch $nn: building $target" \
		nice -n 10 make -C "$tree" O="$obj" ARCH=x86 -j"$JOBS" CC="ccache gcc" "$target"; then
		fail "$n" "build failed: $(grep -a -m1 -E 'error:|Error [0-9]' "$log" || tail -n1 "$log") (log: ${log#"$REPO"/})"
		return 1
	fi
	# Our new kernel sources that exist at this step must have been compiled
	# (as a source or an include of one of the objects built: of vmlinux, or
	# of mm/).
	if [[ $target == bzImage ]]; then
		mapfile -t cmds < <(cd "$obj" && ar t vmlinux.a | sed -E 's|(.*/)?([^/]+)$|'"$obj"'/\1.\2.cmd|')
	else
		cmds=("$obj"/mm/.*.o.cmd)
	fi
	while IFS= read -r f; do
		case $f in mm/*.c | mm/*.h | include/*.h) ;; *) continue ;; esac
		[[ -f $tree/$f ]] || continue
		if ! grep -qF -- "$tree/$f" "${cmds[@]}" 2>/dev/null; then
			why+=("$f is in the tree but not compiled (into $target)")
		fi
	done < <(overlay_new_files)
	if ((${#why[@]})); then
		fail "$n" "$(printf '%s; ' "${why[@]}")(log: ${log#"$REPO"/})"
		return 1
	fi
	pass "$n"
	info "$n: $(git -C "$tree" log -1 --format=%s) (built in $((SECONDS - start)) s)"
}

group_series() {
	local out=$BUILD_DIR/series/out wt=$BUILD_DIR/series/linux am=$BUILD_DIR/series/am
	local obj=$BUILD_DIR/obj/series cobj=$BUILD_DIR/obj/series-config
	local cut=${SERIES_CUT:-$REPO/scripts/series/cut} log=$LOG_DIR/series/export.log
	local patches=() want i nn p broken=0 name email target
	mkdir -p "$LOG_DIR/series"
	if [[ ! -x $KSRC/scripts/checkpatch.pl ]]; then
		"$REPO/scripts/tree.sh" >/dev/null || { fail series-export "no kernel tree (make tree failed)"; return 0; }
	fi
	name=$(git -C "$REPO" config user.name || true)
	email=$(git -C "$REPO" config user.email || true)
	if [[ -z $name || -z $email ]]; then
		# make series refuses without a real identity; the test may use this one.
		export PEC_SERIES_TEST_IDENTITY="Placeholder Series Test <series-test@example.invalid>"
		info "git user.name/user.email unset: exporting with the placeholder identity '$PEC_SERIES_TEST_IDENTITY'"
		name="Placeholder Series Test" email=series-test@example.invalid
	fi

	if ! OUT=$out SERIES_TREE=$wt "$REPO/scripts/series.sh" >"$log" 2>&1; then
		fail series-export "$(grep -a -m1 '^error:' "$log" || tail -n1 "$log") (log: ${log#"$REPO"/})"
		return 0
	fi
	pass series-export

	mapfile -t patches < <(find "$out" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' | sort)
	want=$(grep -c '^patch ' "$cut")
	if ((${#patches[@]} == want)); then
		pass series-count
	else
		fail series-count "${#patches[@]} patches in ${out#"$REPO"/}, the cut defines $want"
	fi
	test_series_cover "$out/0000-cover-letter.patch" "${#patches[@]}"

	for i in "${!patches[@]}"; do
		printf -v nn '%02d' $((i + 1))
		test_series_checkpatch "$nn" "${patches[i]}" "$wt"
	done

	# The workbench config, generated (and checked) on the complete series,
	# minus the workbench-only options that the series does not define (the
	# cut's 'workbench' lines strip their Kconfig entries).
	series_fragment "$wt" >"$LOG_DIR/series/$ARCH.config"
	if ! CONFIG_FRAGMENT=$LOG_DIR/series/$ARCH.config KSRC=$wt OBJ=$cobj "$REPO/scripts/config.sh" \
		>"$LOG_DIR/series/config.log" 2>&1; then
		fail series-config "the workbench config does not apply to the complete series (log: ${LOG_DIR#"$REPO"/}/series/config.log)"
		broken=1
	fi
	if ! command -v ccache >/dev/null; then
		fail series-config "ccache not installed (make deps)"
		broken=1
	fi
	((broken)) || series_prepare_tree "$am"
	for i in "${!patches[@]}"; do
		printf -v nn '%02d' $((i + 1))
		p=${patches[i]}
		if ((broken)); then
			skip "series-build:$nn" "an earlier step failed"
			continue
		fi
		if ! git -C "$am" -c "user.name=$name" -c "user.email=$email" -c core.hooksPath=/dev/null \
			am -q "$p" >"$LOG_DIR/series/am-$nn.log" 2>&1; then
			fail "series-build:$nn" "git am $(basename "$p") failed: $(head -n1 "$LOG_DIR/series/am-$nn.log")"
			git -C "$am" am --abort >/dev/null 2>&1 || true
			broken=1
			continue
		fi
		target=mm/
		((i + 1 < ${#patches[@]})) || target=bzImage
		test_series_build "$nn" "$am" "$obj" "$cobj/.config" "$target" || broken=1
	done
}
