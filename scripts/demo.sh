#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make demo: the checker catching a real violation. Build the kernel of make
# run, boot it in warn mode with page_owner=on, make one bad free happen
# through the injection file (the kselftest case inject_bad_free: the record
# of a page the test holds is swapped to FREE, then the page is freed), and
# print the report as the kernel wrote it with a reading of each line. Then
# the same in panic mode, the default, which stops the kernel. Exit 0 iff
# both boots behaved so.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

"$REPO/scripts/deps.sh"
"$REPO/scripts/build.sh"
"$REPO/scripts/initramfs.sh"
mkdir -p "$LOG_DIR"
CASE=inject_bad_free
REPORT_RE='BUG: page_ext_consistency: [a-z-]+ pfn:0x[0-9a-f]+ order:[0-9]+ expected:[a-z|()]+ found:[a-z|()]+'

# demo_boot NAME APPEND: boot the kselftest job with one case; sets LOGFILE.
demo_boot() {
	LOGFILE=$LOG_DIR/demo-$1.log
	# Single-threaded TCG with page_owner=on: see TCG_THREAD in scripts/qemu.sh.
	TCG_THREAD=single JOB=selftest APPEND="$2 pec.test=$CASE" TIMEOUT=600 LOG=$LOGFILE QUIET=1 \
		"$REPO/scripts/qemu.sh" >/dev/null 2>&1 || true
}

# field KEY LINE: the value of KEY:value in LINE.
field() { sed -nE "s/.*[ ,]$1:([^ ,]+).*/\1/p" <<<"$2" | head -n1; }

why=()
msg "boot 1 of 2: page_ext_consistency=warn page_owner=on, kselftest case $CASE..."
demo_boot warn "page_ext_consistency=warn page_owner=on"
first=$(log_line_no "$REPORT_RE")
if [[ -z $first ]]; then
	why+=("warn boot: no report line (log: ${LOGFILE#"$REPO"/})")
else
	# The report: from its first line to the WARN that warn mode adds.
	last=$(awk -v f="$first" 'NR > f && /cut here|WARNING: CPU/ { print NR - 1; exit }' "$LOGFILE")
	report=$(sed -n "${first},${last:-$((first + 60))}p" "$LOGFILE" | sed -E 's/^\[ *[0-9]+\.[0-9]+\] //')
	echo
	msg "the report, as the kernel wrote it ($(sed -n "${first}p" "$LOGFILE" | grep -oE '^\[ *[0-9.]+\]' || true)):"
	sed 's/^/    | /' <<<"$report"
	line1=$(grep -m1 -E "$REPORT_RE" <<<"$report")
	found_by=$(grep -m1 'found by' <<<"$report" || true)
	class=$(sed -E 's/.*page_ext_consistency: ([a-z-]+) pfn.*/\1/' <<<"$line1")
	echo
	msg "how to read it:"
	info "BUG: page_ext_consistency: $class"
	info "    the class: a page was freed whose record says it is not allocated"
	info "    (double-alloc, bad-free, corrupt-record, buddy-allocated and free-list are the five)."
	info "pfn:$(field pfn "$line1") order:$(field order "$line1")"
	info "    the page frame the record belongs to, and the order of the block being freed."
	info "expected:$(field expected "$line1") found:$(field found "$line1")"
	info "    what a free needs the record to hold, and what it held: a FREE record meets"
	info "    a free, so the page was freed twice, or its record was corrupted to look so."
	if [[ -n $found_by ]]; then
		info "${found_by#*page_ext_consistency: }"
		info "    which transition met it (allocation, free or scrub), the block it moved, and"
		info "    the task that ran it: here the kselftest, freeing its page with munmap()."
	fi
	if grep -qE '^page:' <<<"$report"; then
		info "page:... refcount:... (dump_page())"
		info "    the struct page as the allocator sees it now, for comparison with the record."
	fi
	if grep -q 'page last allocated' <<<"$report"; then
		info "page last allocated via order ..., pid ... (page_owner, and the stack below it)"
		info "    who allocated the page last: with page_owner=on the report says which"
		info "    code owned the page. 'page last free' is the free before that one."
	else
		why+=("warn boot: the report has no page_owner stack")
	fi
	[[ $class == bad-free ]] || why+=("warn boot: class $class, expected bad-free")
fi
log_has 'Kernel panic' && why+=("warn boot: the kernel panicked: $(grep -a -m1 'Kernel panic' "$LOGFILE")")
[[ $(log_job_rc selftest) == 0 ]] || why+=("warn boot: the kselftest did not pass (log: ${LOGFILE#"$REPO"/})")
warn_log=$LOGFILE

echo
msg "boot 2 of 2: page_ext_consistency=on (panic, the default when enabled), the same case..."
demo_boot panic "page_ext_consistency=on pec.expect_panic=1"
if log_has 'Kernel panic - not syncing: page_ext_consistency: bad-free'; then
	msg "the kernel stopped at the first violation:"
	grep -aE "$REPORT_RE|Kernel panic - not syncing" "$LOGFILE" | sed -E 's/^\[ *[0-9]+\.[0-9]+\] //; s/^/    | /'
else
	why+=("panic boot: no 'Kernel panic - not syncing: page_ext_consistency: bad-free' (log: ${LOGFILE#"$REPO"/})")
fi
[[ -z $(log_job_rc selftest) ]] || why+=("panic boot: the job ended, the kernel did not stop")

echo
info "logs: ${warn_log#"$REPO"/}, ${LOGFILE#"$REPO"/}"
info "what each class means, the fault model and the boot parameters:"
info "    Documentation/mm/page_ext_consistency.rst (in the tree: build/linux)"
if ((${#why[@]})); then
	echo "demo: FAIL: $(printf '%s; ' "${why[@]}")"
	exit 1
fi
echo "demo: OK: a bad free reported with its page_owner stack in warn mode, and a panic in panic mode"
