# SPDX-License-Identifier: GPL-2.0
# The whole-system matrix: each test is one QEMU boot with its own verdict.
# No false reports on a healthy kernel under stress, hotplug and CMA; and a
# report, with the right class, for every injected fault (panic in panic
# mode, WARN and continue in warn mode).
# shellcheck shell=bash

. "$REPO/scripts/tests/boots.sh"

# log_kv PREFIX KEY: KEY=value from the first log line starting with PREFIX.
log_kv() {
	grep -a -m1 "^$1 " "$LOGFILE" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'
}

# The kselftest workload for a few minutes beside pec-workload, with a
# periodic scrub every 5 s, SMP + 2 NUMA nodes, panic mode.
test_stress() {
	local n=stress rc=0 why=() secs=${PEC_STRESS_SECS:-150} runs
	boot "$n" stress "page_ext_consistency=on page_ext_consistency.scrub_interval=5 movablecore=256M pec.secs=$secs" \
		$((secs + 600)) || rc=$?
	expect_job "$n" stress "$rc" || return 0
	check_workload_stats
	[[ $(log_kv PEC-STRESS runs) -gt 0 ]] || why+=("the selftest workload never completed")
	runs=$(pec_stat scrub_runs)
	[[ ${runs:-0} -ge 3 ]] || why+=("periodic scrub ran ${runs:-0} times in ${secs}s (want >= 3)")
	report "$n"
	info "stress: $(log_kv PEC-STRESS runs) selftest runs, $(pec_stat alloc_checks) alloc checks, $runs scrubs, longest scrub lock hold $(pec_stat scrub_max_lock_hold_us) us (TCG)"
}

# One DIMM cold-plugged (added by the ACPI memory hotplug driver after the
# checker is armed), one hot-added through QMP while the guest waits, both
# online movable; every movable block cycles offline/online under load.
test_hotplug() {
	local n=hotplug rc=0 why=() sock=$BUILD_DIR/qmp-hotplug.sock pid i
	local nmov block_pages cycles online offline
	LOGFILE=$LOG_DIR/check-$n.log
	rm -f "$sock" "$LOGFILE"
	JOB=hotplug APPEND="page_ext_consistency=on memhp_default_state=online_movable" \
		TIMEOUT=900 LOG=$LOGFILE QUIET=1 QMP=$sock \
		QEMU_EXTRA="-object memory-backend-ram,id=mem-dimm0,size=256M -device pc-dimm,id=dimm0,memdev=mem-dimm0,node=1" \
		"$REPO/scripts/qemu.sh" &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		[[ -f $LOGFILE ]] && log_has '^PEC-HOTPLUG-READY' && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 1
	done
	if [[ -f $LOGFILE ]] && log_has '^PEC-HOTPLUG-READY'; then
		"$REPO/scripts/qmp-hotadd.py" "$sock" dimm1 256 0 || why+=("QMP hot-add failed")
	fi
	wait "$pid" || rc=$?
	rm -f "$sock"
	expect_job "$n" hotplug "$rc" || return 0
	check_workload_stats
	nmov=$(log_kv PEC-HOTPLUG movable_blocks)
	block_pages=$(log_kv PEC-HOTPLUG block_pages)
	cycles=$(log_kv PEC-HOTPLUG cycles)
	online=$(log_kv PEC-HOTPLUG tracked_online)
	offline=$(log_kv PEC-HOTPLUG tracked_offline)
	[[ ${nmov:-0} -ge 4 ]] || why+=("only ${nmov:-0} movable memory blocks (want the 4 of both DIMMs)")
	[[ ${cycles:-0} -ge $((3 * ${nmov:-1})) ]] || why+=("only ${cycles:-0} offline/online cycles for $nmov blocks")
	if [[ $offline == unknown || -z $offline ]]; then
		why+=("could not take every movable block offline at once to count tracked pages")
	elif ((online - offline != nmov * block_pages)); then
		why+=("tracked pages online $online - offline $offline != $nmov blocks x $block_pages pages")
	fi
	report "$n"
	info "hotplug: $nmov movable blocks, $cycles offline/online cycles, tracked pages $online online / $offline with them offline"
}

# A CMA area allocated from and freed through its debugfs interface, and a
# gigantic page: one block above MAX_PAGE_ORDER, 1 GiB aligned, so it spans
# 8 memory sections and the hooks must look its page_ext up chunk by chunk.
# It comes from a hugetlb_cma= area on node 1, reserved at boot, so that it
# is there every time: with 3 GiB per node, node 1 is [4G, 7G) above the PCI
# hole and [5G, 6G) is still free when the area is reserved (the cma= area
# sits at 4G, early page tables at the top). With 2 GiB per node no aligned
# GiB is free in either node (initrd and memmap in node 0, the cma= area and
# page tables in node 1), and alloc_contig_pages() found none either.
test_cma() {
	local n=cma rc=0 why=() giga gpages=$((1 << 18)) kv
	MEM_NODE_MB=3072 boot "$n" cma "page_ext_consistency=on cma=64M hugetlb_cma=1:1G" 600 || rc=$?
	expect_job "$n" cma "$rc" || return 0
	check_workload_stats
	[[ $(log_kv PEC-CMA ok) -gt 0 ]] || why+=("no CMA allocation succeeded")
	report "$n"
	n=cma:gigantic-page why=()
	giga=$(log_kv PEC-GIGANTIC allocated)
	if [[ $giga == unsupported ]]; then
		skip "$n" "no 1 GiB huge pages in this guest (CPU without pdpe1gb?)"
		return 0
	fi
	[[ $giga == 1 ]] || why+=("no 1 GiB page allocated (allocated=${giga:-missing})")
	[[ $(log_kv PEC-GIGANTIC cma) == hugetlb1 ]] || why+=("no hugetlb_cma area on node 1 (cma=$(log_kv PEC-GIGANTIC cma))")
	[[ $(log_kv PEC-GIGANTIC cma_used) == "$gpages" ]] || why+=("the page did not come from the hugetlb_cma area (cma_used=$(log_kv PEC-GIGANTIC cma_used))")
	for kv in alloc_checks free_checks; do
		[[ $(log_kv PEC-GIGANTIC $kv) -ge $gpages ]] || why+=("$kv moved by $(log_kv PEC-GIGANTIC $kv), want >= $gpages")
	done
	report "$n"
}

# Warn mode with page_owner: the report carries page_owner's stacks, the
# kernel WARNs, taints and goes on.
test_page_owner_report() {
	local n=page-owner-report rc=0 why=()
	# Single-threaded TCG: see TCG_THREAD in scripts/qemu.sh.
	TCG_THREAD=single boot "$n" selftest "page_ext_consistency=warn page_owner=on pec.test=inject_bad_free" || rc=$?
	expect_job "$n" selftest "$rc" || return 0
	log_has 'BUG: page_ext_consistency: bad-free pfn:0x[0-9a-f]+ order:0 expected:allocated found:free' ||
		why+=("no bad-free report line")
	log_has 'page_owner tracks the page as allocated' || why+=("no page_owner state in the report")
	log_has 'page last allocated via order' || why+=("no page_owner allocation stack in the report")
	log_has 'WARNING: .* mm/page_ext_consistency.c' || why+=("no WARNING from the checker")
	[[ $(pec_stat bad_free) == 1 ]] || why+=("bad_free: $(pec_stat bad_free), want 1")
	report "$n"
}

# Every injection case of the kselftest in warn mode: each class detected,
# counted once, resynced, and the guest reaches the end.
test_inject_warn() {
	local n=inject-warn rc=0 why=() totals
	boot "$n" selftest "page_ext_consistency=warn" 600 || rc=$?
	expect_job "$n" selftest "$rc" || return 0
	totals=$(grep -a -m1 '^# Totals:' "$LOGFILE" || true)
	[[ $totals =~ fail:0\ .*skip:0 ]] || why+=("kselftest: ${totals:-no totals line}")
	[[ $totals =~ pass:([0-9]+) ]] && ((BASH_REMATCH[1] >= 7)) || why+=("fewer than 7 kselftest cases passed")
	log_has 'BUG: page_ext_consistency: double-alloc ' || why+=("no double-alloc report")
	log_has 'BUG: page_ext_consistency: bad-free ' || why+=("no bad-free report")
	log_has 'BUG: page_ext_consistency: corrupt-record ' || why+=("no corrupt-record report")
	report "$n"
}

# test_inject_panic NAME CASE CLASS [LINE2]: in panic mode the guest must
# panic with the report line of CLASS (and LINE2, if given).
test_inject_panic() {
	local n=$1 rc=0 why=()
	boot "$n" selftest "page_ext_consistency=on pec.test=$2 pec.expect_panic=1" || rc=$?
	if ((rc == 124)); then
		fail "$n" "timed out (log: ${LOGFILE#"$REPO"/})"
		return 0
	fi
	[[ -z $(log_job_rc selftest) ]] || why+=("the guest did not panic: the job ended ($(grep -a -m1 '^PEC-JOB-END' "$LOGFILE"))")
	log_has "BUG: page_ext_consistency: $3 pfn:0x[0-9a-f]+ order:[0-9]+ expected:[a-z|()]+ found:[a-z()]+" ||
		why+=("no '$3' report line")
	[[ -z ${4:-} ]] || log_has "$4" || why+=("no '$4' line")
	log_has "Kernel panic - not syncing: page_ext_consistency: $3" || why+=("no panic for $3")
	report "$n"
}

group_matrix() {
	local out
	if ! out=$("$REPO/scripts/build.sh" 2>&1) || ! "$REPO/scripts/initramfs.sh" >/dev/null; then
		printf '%s\n' "$out" | tail -n 20
		fail matrix "no kernel or initramfs (see the boots group)"
		return 0
	fi
	test_inject_panic inject-panic-double-alloc inject_double_alloc double-alloc
	test_inject_panic inject-panic-bad-free inject_bad_free bad-free
	test_inject_panic inject-panic-corrupt-record inject_corrupt_record corrupt-record
	test_inject_panic inject-panic-scrub-held-page inject_scrub_held_page corrupt-record \
		'found by scrub of block'
	test_inject_panic inject-panic-scrub-buddy-page inject_scrub_buddy_page \
		'(buddy-allocated|double-alloc)'
	test_inject_warn
	test_page_owner_report
	test_cma
	test_hotplug
	test_stress
}
