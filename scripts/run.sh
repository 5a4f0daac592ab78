#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make run: build everything, boot with the checker on, run the workload job,
# print the checker's boot line, its stats and a verdict.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$REPO/scripts/deps.sh"
"$REPO/scripts/build.sh"
"$REPO/scripts/initramfs.sh"

export JOB=workload LOG=${LOG:-$LOG_DIR/run.log}
export APPEND="page_ext_consistency=on${APPEND:+ $APPEND}"
qrc=0
QUIET=${QUIET:-1} "$REPO/scripts/qemu.sh" || qrc=$?
LOGFILE=$LOG

echo
msg "checker boot messages:"
grep -a 'page_ext_consistency:' "$LOG" | sed 's/^/    /' || info "(none)"
msg "stats:"
if log_has '^PEC-STATS-BEGIN'; then pec_stats | sed 's/^/    /'; else info "(no PEC-STATS block in the log)"; fi

allocs=$(pec_stat alloc_checks) frees=$(pec_stat free_checks) viol=$(pec_stat violations)
why=()
((qrc == 124)) && why+=("timed out")
[[ -n $(log_job_rc workload) ]] || why+=("job did not finish")
[[ $(log_job_rc workload) =~ ^(0|)$ ]] || why+=("job exited rc=$(log_job_rc workload)")
log_has 'BUG: page_ext_consistency' && why+=("report: $(grep -a -m1 'BUG: page_ext_consistency' "$LOG")")
log_has 'Kernel panic' && why+=("$(grep -a -m1 'Kernel panic' "$LOG")")
[[ -n $viol ]] || why+=("no violations counter in stats")
[[ -z $viol || $viol == 0 ]] || why+=("$viol violations")
[[ ${allocs:-0} -gt 0 ]] || why+=("no alloc checks")
[[ ${frees:-0} -gt 0 ]] || why+=("no free checks")

next_steps() {
	echo
	info "next: 'make demo' shows the checker catching a bad free, with its report read"
	info "      line by line; 'make check' runs all the tests."
}
if ((${#why[@]})); then
	echo "verdict: FAIL: $(IFS=';'; echo "${why[*]}" | sed 's/;/; /g') (log: $LOG)"
	exit 1
fi
echo "verdict: OK: $allocs alloc checks, $frees free checks, 0 violations"
next_steps
