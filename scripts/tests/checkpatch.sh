# SPDX-License-Identifier: GPL-2.0
# checkpatch --strict on every overlay source file and every overlay patch.
# shellcheck shell=bash

group_checkpatch() {
	local f out summary logdir=$LOG_DIR/checkpatch
	if [[ ! -x $KSRC/scripts/checkpatch.pl ]]; then
		"$REPO/scripts/tree.sh" >/dev/null || { fail checkpatch "no kernel tree (make tree failed)"; return 0; }
	fi
	mkdir -p "$logdir"
	local n=0
	while IFS= read -r f; do
		local args=(--strict --no-tree --no-signoff --color=never --show-types)
		case $f in
		*.patch) ;;
		*.c | *.h) args+=(-f) ;;
		*) continue ;;
		esac
		n=$((n + 1))
		local log=$logdir/${f//\//_}.log
		local rc=0
		out=$(cd "$KSRC" && ./scripts/checkpatch.pl "${args[@]}" "$REPO/$f" 2>&1) || rc=$?
		if ((rc == 0)) && ! grep -aqE '^(ERROR|WARNING|CHECK):' <<<"$out"; then
			printf '%s\n' "$out" >"$log"
			pass "checkpatch:$f"
		else
			printf '%s\n' "$out" >"$log"
			summary=$(grep -a -m1 '^total:' <<<"$out" || echo "checkpatch failed")
			first=$(grep -a -m1 -E '^(ERROR|WARNING|CHECK):' <<<"$out" || true)
			fail "checkpatch:$f" "$summary; first: ${first:-?} (full: ${log#"$REPO"/})"
		fi
	done < <(overlay_files)
	((n)) || skip checkpatch "no .c/.h/.patch files in the overlay yet"
}
