# SPDX-License-Identifier: GPL-2.0
# The KUnit suite under UML via tools/testing/kunit/kunit.py.
# shellcheck shell=bash

group_kunit_uml() {
	local n=kunit-uml kcfg=mm/page_ext_consistency.kunitconfig rc=0 log
	if [[ ! -f $REPO/$kcfg ]]; then
		skip "$n" "the overlay has no $kcfg yet"
		return 0
	fi
	"$REPO/scripts/tree.sh" >/dev/null && "$REPO/scripts/apply.sh" >/dev/null ||
		{ fail "$n" "cannot prepare the kernel tree (make apply)"; return 0; }
	log=$LOG_DIR/check-kunit-uml.log
	mkdir -p "$LOG_DIR" "$KUNIT_OBJ"
	msg "kunit.py run ($kcfg, UML; log ${log#"$REPO"/})..."
: >"$log"
	logged_build "$log" "kunit.py (build and run)" \
		env -C "$KSRC" timeout -k 10 "${KUNIT_TIMEOUT:-1800}" python3 tools/testing/kunit/kunit.py run \
		--kunitconfig="$kcfg" --build_dir="$KUNIT_OBJ" --jobs="$JOBS" \
		--make_options CC="ccache gcc" --timeout=600 || rc=$?
	report_kunit_py "$n" "$log" "$rc" "$KUNIT_OBJ"
}
