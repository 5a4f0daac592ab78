#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make check: run the test groups in scripts/tests/*.sh and print one line per
# test, then "N passed, N failed, N skipped". Exit non-zero if any failed.
#
# A group file scripts/tests/<name>.sh defines group_<name> (dashes become
# underscores) and may define helpers. Inside, tests report with
#   pass NAME | fail NAME REASON | skip NAME REASON
# Each group runs in a subshell with set -euo pipefail; a group that crashes
# is recorded as a failed test "<name>" with the line that failed, and the
# other groups still run. Select groups with T="checkpatch boots".
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RESULTS=$(mktemp "${TMPDIR:-/tmp}/pec-check.XXXXXX")
trap 'rm -f "$RESULTS"' EXIT
export RESULTS

pass() { echo "ok - $1"; echo "pass $1" >>"$RESULTS"; }
fail() { echo "not ok - $1: ${2:-failed}"; echo "fail $1" >>"$RESULTS"; }
skip() { echo "skip - $1: ${2:-skipped}"; echo "skip $1" >>"$RESULTS"; }
export -f pass fail skip

mapfile -t files < <(find "$REPO/scripts/tests" -maxdepth 1 -name '*.sh' | sort)
groups=()
for f in "${files[@]}"; do groups+=("$(basename "$f" .sh)"); done
if [[ -n ${T:-} ]]; then
	read -r -a groups <<<"$T"
fi

if ! "$REPO/scripts/deps.sh"; then
	fail deps "could not install host dependencies (see above)"
fi

for g in "${groups[@]}"; do
	f=$REPO/scripts/tests/$g.sh
	if [[ ! -f $f ]]; then
		fail "$g" "no test group $f"
		continue
	fi
	msg "test group $g"
	t0=$SECONDS
	# A separate bash, so that set -e stays in force inside the group (it
	# would be disabled in a subshell whose status we test).
	rc=0
	bash -c 'set -euo pipefail
		. "$1/scripts/lib.sh"
		set -E
		trap '\''echo "$BASH_SOURCE:$LINENO: $BASH_COMMAND" >"$RESULTS.where"'\'' ERR
		. "$2"
		"group_$3"' group "$REPO" "$f" "${g//-/_}" || rc=$?
	if ((rc)); then
		where=$(cat "$RESULTS.where" 2>/dev/null || echo unknown)
		fail "$g" "group crashed (exit $rc) at ${where#"$REPO"/}"
	fi
	rm -f "$RESULTS.where"
	msg "test group $g: $((SECONDS - t0)) s"
done

p=$(grep -c '^pass ' "$RESULTS" || true)
f=$(grep -c '^fail ' "$RESULTS" || true)
s=$(grep -c '^skip ' "$RESULTS" || true)
echo
echo "$p passed, $f failed, $s skipped"
((f == 0))
