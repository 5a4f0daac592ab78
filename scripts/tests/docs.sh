# SPDX-License-Identifier: GPL-2.0
# The documentation builds: Sphinx on Documentation/mm with no warning that
# names our files, and kernel-doc clean on our sources.
# shellcheck shell=bash

group_docs() {
	local log=$LOG_DIR/docs-sphinx-mm.log out f
	"$REPO/scripts/tree.sh" >/dev/null
	"$REPO/scripts/apply.sh" >/dev/null
	mkdir -p "$LOG_DIR"

	msg "building Documentation/mm with Sphinx..."
	if ! make -C "$KSRC" O="$BUILD_DIR/obj/docs" SPHINXDIRS=mm htmldocs >"$log" 2>&1; then
		fail docs-sphinx-mm "htmldocs failed: $(grep -a -m1 -iE 'error' "$log" || tail -n 1 "$log") (log: ${log#"$REPO"/})"
	elif grep -aq 'page_ext_consistency' <(grep -aiE 'warning|error' "$log"); then
		fail docs-sphinx-mm "$(grep -aiE 'warning|error' "$log" | grep -a -m1 page_ext_consistency)"
	elif [[ ! -f $BUILD_DIR/obj/docs/Documentation/output/mm/page_ext_consistency.html ]]; then
		fail docs-sphinx-mm "page_ext_consistency.html was not produced (not in the toctree?)"
	else
		pass docs-sphinx-mm
	fi

	for f in mm/page_ext_consistency.c include/linux/page_ext_consistency.h; do
		out=$("$KSRC/scripts/kernel-doc" -none -Wall "$KSRC/$f" 2>&1)
		if [[ -n $out ]]; then
			fail "kernel-doc:$f" "$(head -n 1 <<<"$out")"
		else
			pass "kernel-doc:$f"
		fi
	done
}
