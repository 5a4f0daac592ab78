# SPDX-License-Identifier: GPL-2.0
# The KUnit suite under UML via tools/testing/kunit/kunit.py.
# shellcheck shell=bash

group_kunit_uml() {
	local n=kunit-uml kcfg=mm/page_ext_consistency.kunitconfig rc=0 log status name
	if [[ ! -f $REPO/$kcfg ]]; then
		skip "$n" "the overlay has no $kcfg yet"
		return 0
	fi
	"$REPO/scripts/tree.sh" >/dev/null && "$REPO/scripts/apply.sh" >/dev/null ||
		{ fail "$n" "cannot prepare the kernel tree (make apply)"; return 0; }
	log=$LOG_DIR/check-kunit-uml.log
	mkdir -p "$LOG_DIR" "$KUNIT_OBJ"
	msg "kunit.py run ($kcfg, UML; log ${log#"$REPO"/})..."
	(cd "$KSRC" && timeout -k 10 "${KUNIT_TIMEOUT:-1800}" python3 tools/testing/kunit/kunit.py run \
		--kunitconfig="$kcfg" --build_dir="$KUNIT_OBJ" --jobs="$JOBS" \
		--make_options CC="ccache gcc" --timeout=600) >"$log" 2>&1 || rc=$?
	# kunit.py's per-case lines; parameters of a parametrized case are folded
	# into the case ("===== [PASSED] test_x =====").
	while IFS=$'\t' read -r status name; do
		case $status in
		PASSED) pass "$n:$name" ;;
		SKIPPED) skip "$n:$name" "skipped by the test" ;;
		*) fail "$n:$name" "$status (log: ${log#"$REPO"/})" ;;
		esac
	done < <(sed -n '/Starting KUnit Kernel/,$p' "$log" | sed -E 's/^\[[0-9:]+\] //' | awk '
		/^=+ \[[A-Z]+\] .* =+$/ {
			st = $2; gsub(/[][]/, "", st); nm = $0
			sub(/^=+ \[[A-Z]+\] /, "", nm); sub(/ =+$/, "", nm)
			inparam = 0
			if (nm != suite) printf "%s\t%s\n", st, nm
			next
		}
		/^=+ .* \([0-9]+ subtests\) =+$/ { suite = $2; next }
		/^=+ [^ []+ +=+$/ { inparam = 1; next }
		/^\[(PASSED|FAILED|SKIPPED|CRASHED)\] / {
			if (inparam) next
			st = $1; gsub(/[][]/, "", st); nm = $0; sub(/^\[[A-Z]+\] /, "", nm)
			printf "%s\t%s\n", st, nm
		}')
	if ((rc == 0)); then
		pass "$n"
	else
		fail "$n" "kunit.py exited $rc: $(grep -a -m1 -E 'Testing complete|ERROR|error:|Error' "$log" || tail -n1 "$log") (log: ${log#"$REPO"/})"
	fi
}
