# SPDX-License-Identifier: GPL-2.0
# The whole-system matrix on the debug kernel: each test is one QEMU boot
# with its own verdict. No false reports on a healthy kernel under stress,
# hotplug, CMA, memory failure, guard pages and the kernel's own mm
# selftests, and nothing else in the log either (KASAN, lockdep, BUG:,
# WARNING:); and a report, with the right class, for every injected fault
# (panic in panic mode, WARN and continue in warn mode).
# shellcheck shell=bash

. "$REPO/scripts/tests/boots.sh"


# What the injection boots provoke on purpose: the report, its WARN in warn
# mode, and the panic in panic mode.
PEC_REPORT_LINES='BUG: page_ext_consistency: |WARNING: .* at mm/page_ext_consistency.c:|Kernel panic - not syncing: page_ext_consistency: '

# The kselftest workload for a few minutes beside pec-workload, with a
# periodic scrub every 5 s, SMP + 2 NUMA nodes, panic mode.
# test_stress [NAME] [SECS]
test_stress() {
	local n=${1:-stress} rc=0 why=() secs=${2:-${PEC_STRESS_SECS:-150}} runs
	boot "$n" stress "page_ext_consistency=on page_ext_consistency.scrub_interval=5 movablecore=256M pec.secs=$secs" \
		$((secs + 600)) || rc=$?
	expect_job "$n" stress "$rc" || return 0
	check_workload_stats
	check_log
	[[ $(log_kv PEC-STRESS runs) -gt 0 ]] || why+=("the selftest workload never completed")
	runs=$(pec_stat scrub_runs)
	[[ ${runs:-0} -ge 3 ]] || why+=("periodic scrub ran ${runs:-0} times in ${secs}s (want >= 3)")
	report "$n"
	info "$n: $(log_kv PEC-STRESS runs) selftest runs, $(pec_stat alloc_checks) alloc checks, $runs scrubs, longest scrub lock hold $(pec_stat scrub_max_lock_hold_us) us (TCG)"
}

# One DIMM cold-plugged (added by the ACPI memory hotplug driver after the
# checker is armed), one hot-added through QMP while the guest waits, both
# online movable; every movable block cycles offline/online under load,
# with a scrub after each round.
# test_hotplug NAME [APPEND]: with memory_hotplug.memmap_on_memory=1 in
# APPEND, each hot-added block carries its own memmap, whose pages must be
# tracked (ALLOCATED) too. HOTPLUG_COLD=0: no cold-plugged DIMM, only the
# one hot-added through QMP (arm64, where the firmware does not show a
# cold-plugged DIMM to the kernel).
# wait_log_line REGEX PID: until the log has a line matching REGEX, the
# boot (PID) ended, or 600 s passed; true if the line came.
wait_log_line() {
	local i
	for ((i = 0; i < 600; i++)); do
		[[ -f $LOGFILE ]] && log_has "$1" && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 1
	done
	[[ -f $LOGFILE ]] && log_has "$1"
}

test_hotplug() {
	local n=$1 extra=${2:-} rc=0 why=() sock=$BUILD_DIR/qmp-$1.sock pid
	local nmov block_pages cycles online offline unmanaged cold=() want=4
	LOGFILE=$LOG_DIR/check-$n.log
	rm -f "$sock" "$LOGFILE"
	if [[ ${HOTPLUG_COLD:-1} == 1 ]]; then
		cold=(QEMU_EXTRA="-object memory-backend-ram,id=mem-dimm0,size=256M -device pc-dimm,id=dimm0,memdev=mem-dimm0,node=1")
	else
		want=2
	fi
	env JOB=hotplug APPEND="page_ext_consistency=on memhp_default_state=online_movable${extra:+ $extra}" \
		TIMEOUT=900 LOG="$LOGFILE" QUIET=1 QMP="$sock" "${cold[@]}" \
		"$REPO/scripts/qemu.sh" &
	pid=$!
	if wait_log_line '^PEC-HOTPLUG-READY' "$pid"; then
		"$REPO/scripts/qmp-hotadd.py" "$sock" dimm1 256 0 || why+=("QMP hot-add failed")
	fi
	wait "$pid" || rc=$?
	rm -f "$sock"
	expect_job "$n" hotplug "$rc" || return 0
	check_workload_stats
	check_log
	nmov=$(log_kv PEC-HOTPLUG movable_blocks)
	block_pages=$(log_kv PEC-HOTPLUG block_pages)
	cycles=$(log_kv PEC-HOTPLUG cycles)
	online=$(log_kv PEC-HOTPLUG tracked_online)
	offline=$(log_kv PEC-HOTPLUG tracked_offline)
	unmanaged=$(log_kv PEC-HOTPLUG movable_unmanaged)
	[[ ${nmov:-0} -ge $want ]] || why+=("only ${nmov:-0} movable memory blocks (want the $want of the DIMMs)")
	[[ ${cycles:-0} -ge $((3 * ${nmov:-1})) ]] || why+=("only ${cycles:-0} offline/online cycles for $nmov blocks")
	if [[ $offline == unknown || -z $offline ]]; then
		why+=("could not take every movable block offline at once to count tracked pages")
	elif ((online - offline != nmov * block_pages)); then
		why+=("tracked pages online $online - offline $offline != $nmov blocks x $block_pages pages")
	fi
	[[ $(pec_stat records_invalid) == 0 ]] || why+=("records_invalid: $(pec_stat records_invalid)")
	if [[ $extra == *memmap_on_memory=1* ]]; then
		# struct page is 64 bytes: a block's memmap is 1/64 of its pages.
		[[ ${unmanaged:-0} == $((nmov * block_pages / 64)) ]] ||
			why+=("movable pages outside buddy ${unmanaged:-?}, want $((nmov * block_pages / 64)) (memmap_on_memory not in effect?)")
	fi
	report "$n"
	info "$n: $nmov movable blocks, $cycles offline/online cycles, tracked pages $online online / $offline with them offline, $unmanaged memmap pages"
}

# Boot RAM that ends inside a memory section, and memory hot-added into
# the same zone next to it and far above it (memhp_default_state=online).
# With 2 x 2100 MiB, boot RAM ends at PFN 0x146800 on both architectures
# (x86_64: above the 4 GiB of the PCI hole; arm64 virt: from 1 GiB), in the
# middle of a 128 MiB section, and the ZONE_NORMAL of the last node ends
# there. QEMU places the first DIMM at 6 GiB (x86_64 after the hole, arm64
# at the first GiB after RAM): the zone grows over the tail of that
# section, which no zone spanned at boot. The second DIMM is at 36 GiB: the
# zone then spans [16 GiB, 32 GiB), a mem_section root with no section
# (SPARSEMEM_EXTREME, 4K pages). A scrub and a stats read after each, in
# panic mode: nothing may be reported, and no record may be invalid.
# test_hotplug_tail [NAME] [NODE]: NODE is QEMU's node of the DIMMs
# (default 1; arm64 boots with UEFI=1, whose kernel sees one node).
HOTPLUG_TAIL_FAR_MIB=36864

# tail_zone STEP: "nodeN-Normal START END" (PFNs) of the ZONE_NORMAL that
# ends highest, as the guest printed it after STEP.
tail_zone() {
	grep -a -m1 "^PEC-HOTPLUG-TAIL step=$1 " "$LOGFILE" | grep -o 'node[0-9]*-Normal=[0-9]*-[0-9]*' |
		sed 's/=/ /; s/-\([0-9]*\)$/ \1/' | sort -k3,3n | tail -n 1
}

test_hotplug_tail() {
	local n=${1:-hotplug-tail} node=${2:-1} rc=0 why=() sock pid step line zone end
	LOGFILE=$LOG_DIR/check-$n.log
	sock=$BUILD_DIR/qmp-$n.sock
	rm -f "$sock" "$LOGFILE"
	env JOB=hotplug-tail APPEND="page_ext_consistency=on memhp_default_state=online" \
		MEM_NODE_MB=2100 MAXMEM_MB=40960 TIMEOUT=900 LOG="$LOGFILE" QUIET=1 QMP="$sock" \
		"$REPO/scripts/qemu.sh" &
	pid=$!
	for step in 1 2; do
		wait_log_line "^PEC-HOTPLUG-READY step=$step " "$pid" || break
		"$REPO/scripts/qmp-hotadd.py" "$sock" "dimm$step" 512 "$node" \
			$( ((step == 2)) && echo "$HOTPLUG_TAIL_FAR_MIB") || why+=("QMP hot-add of DIMM $step failed")
	done
	wait "$pid" || rc=$?
	rm -f "$sock"
	expect_job "$n" hotplug-tail "$rc" || return 0
	check_workload_stats
	check_log
	for step in boot dimm1 dimm2 workload; do
		line=$(grep -a -m1 "^PEC-HOTPLUG-TAIL step=$step " "$LOGFILE" || true)
		if [[ -z $line ]]; then
			why+=("no scrub after '$step'")
		elif [[ $line != *" records_invalid=0 "* ]]; then
			why+=("after '$step': $(grep -o 'records_invalid=[^ ]*' <<<"$line")")
		fi
	done
	# The layout must be the one described: the highest ZONE_NORMAL ends
	# inside a section at boot, and the same zone reaches past the far DIMM
	# at the end.
	read -r zone _ end <<<"$(tail_zone boot)"
	if [[ -z $zone ]]; then
		why+=("no ZONE_NORMAL in the guest's zones at boot")
	else
		((end % 32768 != 0)) || why+=("$zone ends at PFN $end at boot, not inside a section")
		end=$(grep -a -m1 '^PEC-HOTPLUG-TAIL step=dimm2 ' "$LOGFILE" | grep -o "$zone=[0-9]*-[0-9]*" | cut -d- -f3)
		((${end:-0} > HOTPLUG_TAIL_FAR_MIB * 256)) || why+=("$zone does not reach the far DIMM (ends at PFN ${end:-?})")
	fi
	report "$n"
	info "$n: ${zone:-?} $(tail_zone dimm2 | cut -d' ' -f2-) after the far DIMM, $(pec_stat scrub_runs) scrubs"
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
# test_cma [NAME]: the hugetlb_cma area and the 1 GiB page are on node 1.
test_cma() {
	local n=${1:-cma} rc=0 why=() giga gpages=$((1 << 18)) kv
	MEM_NODE_MB=3072 boot "$n" cma "page_ext_consistency=on cma=64M hugetlb_cma=1:1G" 600 || rc=$?
	expect_job "$n" cma "$rc" || return 0
	check_workload_stats
	check_log
	[[ $(log_kv PEC-CMA ok) -gt 0 ]] || why+=("no CMA allocation succeeded")
	report "$n"
	n=$n:gigantic-page why=()
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
# test_page_owner_report [NAME]
test_page_owner_report() {
	local n=${1:-page-owner-report} rc=0 why=()
	# Single-threaded TCG: see TCG_THREAD in scripts/qemu.sh.
	TCG_THREAD=single boot "$n" selftest "page_ext_consistency=warn page_owner=on pec.test=inject_bad_free" || rc=$?
	expect_job "$n" selftest "$rc" || return 0
	log_has 'BUG: page_ext_consistency: bad-free pfn:0x[0-9a-f]+ order:0 expected:allocated found:free' ||
		why+=("no bad-free report line")
	log_has 'page_owner tracks the page as allocated' || why+=("no page_owner state in the report")
	log_has 'page last allocated via order' || why+=("no page_owner allocation stack in the report")
	log_has 'WARNING: .* mm/page_ext_consistency.c' || why+=("no WARNING from the checker")
	[[ $(pec_stat bad_free) == 1 ]] || why+=("bad_free: $(pec_stat bad_free), want 1")
	check_log "$PEC_REPORT_LINES"
	report "$n"
}

# Every injection case of the kselftest in warn mode: each class detected,
# counted once, resynced, and the guest reaches the end.
# test_inject_warn [NAME]
test_inject_warn() {
	local n=${1:-inject-warn} rc=0 why=() totals
	# Single-threaded TCG: see TCG_THREAD in scripts/qemu.sh.
	TCG_THREAD=single boot "$n" selftest "page_ext_consistency=warn" 600 || rc=$?
	expect_job "$n" selftest "$rc" || return 0
	totals=$(grep -a -m1 '^# Totals:' "$LOGFILE" || true)
	[[ $totals =~ fail:0\ .*skip:0 ]] || why+=("kselftest: ${totals:-no totals line}")
	[[ $totals =~ pass:([0-9]+) ]] && ((BASH_REMATCH[1] >= 9)) || why+=("fewer than 9 kselftest cases passed")
	log_has 'BUG: page_ext_consistency: double-alloc ' || why+=("no double-alloc report")
	log_has 'BUG: page_ext_consistency: bad-free ' || why+=("no bad-free report")
	log_has 'BUG: page_ext_consistency: corrupt-record ' || why+=("no corrupt-record report")
	check_log "$PEC_REPORT_LINES"
	report "$n"
}

# test_inject_panic NAME CASE CLASS [LINE2]: in panic mode the guest must
# panic with the report line of CLASS (and LINE2, if given).
test_inject_panic() {
	local n=$1 rc=0 why=()
	# Single-threaded TCG: see TCG_THREAD in scripts/qemu.sh.
	TCG_THREAD=single boot "$n" selftest "page_ext_consistency=on pec.test=$2 pec.expect_panic=1" || rc=$?
	if ((rc == 124)); then
		fail "$n" "timed out (log: ${LOGFILE#"$REPO"/})"
		return 0
	fi
	[[ -z $(log_job_rc selftest) ]] || why+=("the guest did not panic: the job ended ($(grep -a -m1 '^PEC-JOB-END' "$LOGFILE"))")
	log_has "BUG: page_ext_consistency: $3 pfn:0x[0-9a-f]+ order:[0-9]+ expected:[a-z|()]+ found:[a-z()]+" ||
		why+=("no '$3' report line")
	[[ -z ${4:-} ]] || log_has "$4" || why+=("no '$4' line")
	log_has "Kernel panic - not syncing: page_ext_consistency: $3" || why+=("no panic for $3")
	check_log "$PEC_REPORT_LINES"
	report "$n"
}

# page_owner together with a 1 GiB page: page_owner, page_table_check and
# the checker all walk the page_ext of a block that spans 8 memory sections,
# with KASAN watching the memory around each section's page_ext array.
test_gigantic_page_owner() {
	local n=gigantic-page-owner rc=0 why=() gpages=$((1 << 18))
	# Single-threaded TCG: see TCG_THREAD in scripts/qemu.sh.
	TCG_THREAD=single MEM_NODE_MB=3072 boot "$n" cma \
		"page_ext_consistency=on page_owner=on cma=64M hugetlb_cma=1:1G" 900 || rc=$?
	expect_job "$n" cma "$rc" || return 0
	check_workload_stats
	check_log
	if [[ $(log_kv PEC-GIGANTIC allocated) == unsupported ]]; then
		skip "$n" "no 1 GiB huge pages in this guest (CPU without pdpe1gb?)"
		return 0
	fi
	[[ $(log_kv PEC-GIGANTIC allocated) == 1 ]] || why+=("no 1 GiB page allocated")
	[[ $(log_kv PEC-GIGANTIC alloc_checks) -ge $gpages ]] || why+=("alloc_checks moved by $(log_kv PEC-GIGANTIC alloc_checks), want >= $gpages")
	report "$n"
}

# Memory failure (CONFIG_MEMORY_FAILURE, HWPOISON_INJECT): soft offline
# (MADV_SOFT_OFFLINE, sysfs soft_offline_page) and hard offline
# (MADV_HWPOISON, debugfs corrupt-pfn) of pages in use and free pages, each
# undone with unpoison-pfn, many rounds, then a scrub.
test_memory_failure() {
	local n=memory-failure rc=0 why=() kind
	boot "$n" hwpoison "page_ext_consistency=on pec.rounds=${PEC_HWPOISON_ROUNDS:-100}" 900 || rc=$?
	expect_job "$n" hwpoison "$rc" || return 0
	check_workload_stats
	check_log 'Memory failure: |Soft offline: |Unpoison: '
	for kind in soft-offline-in-use hard-offline-in-use soft-offline-free hard-offline-free; do
		line=$(grep -a -m1 "^PEC-HWPOISON kind=$kind " "$LOGFILE" || true)
		[[ $line =~ poisoned=([0-9]+)\ unpoisoned=([0-9]+) ]] ||
			{ why+=("no PEC-HWPOISON line for $kind"); continue; }
		((BASH_REMATCH[1] > 0)) || why+=("$kind: no page was poisoned")
		((BASH_REMATCH[2] > 0)) || why+=("$kind: no page was unpoisoned")
	done
	report "$n"
	info "$n: $(grep -a '^PEC-HWPOISON' "$LOGFILE" | sed 's/^PEC-HWPOISON //' | tr '\n' ';')"
}

# debug_pagealloc guard pages: with debug_guardpage_minorder=2, expand()
# turns split-off blocks of order 0 and 1 into guard blocks instead of free
# list entries, already before the checker initialises. The stress workload
# with a periodic scrub runs on top.
test_debug_pagealloc() {
	local n=debug-pagealloc rc=0 why=() secs=${PEC_GUARD_SECS:-60}
	boot "$n" stress "page_ext_consistency=on debug_pagealloc=on debug_guardpage_minorder=2 page_ext_consistency.scrub_interval=5 pec.secs=$secs" \
		$((secs + 900)) || rc=$?
	expect_job "$n" stress "$rc" || return 0
	check_workload_stats
	check_log
	log_has 'Setting debug_guardpage_minorder to 2' || why+=("debug_guardpage_minorder=2 not taken")
	[[ $(pec_stat scrub_runs) -ge 3 ]] || why+=("periodic scrub ran $(pec_stat scrub_runs) times (want >= 3)")
	report "$n"
}

# The kernel's own mm selftests (scripts/mm-selftests.sh) through
# run_vmtests.sh, category by category, in panic mode with a scrub at the
# end: a boot passes if it ends without a report, and every selftest
# program gets its own line. A program that cannot run in this guest is a
# skip with the reason it printed. They are the longest boots of the matrix
# and mostly keep one vCPU busy, so they run in two one-vCPU guests at the
# same time, THP in one and the rest in the other, after every other boot:
# KSM and khugepaged wait for their kernel threads with timeouts, which a
# guest that shares its host CPU with another boot misses. Each guest:
# name, categories, MiB per node, and how long one category may take (s).
# Measured on 2026-12-03 (one vCPU each, both guests at once), in seconds:
# thp 850 (khugepaged and khugepaged -s 2 about 420 each), ksm 210 (460
# before the guest job sized ksm_tests -H/-P down), hugetlb 360, cow 160,
# compaction 130, the others a few seconds to a minute each. The guest job
# (scripts/guest/jobs/mm-selftests) says what it sizes down and why. With
# FULL=1 (make check's long form, about 75 minutes more): the
# userfaultfd category, 600 s with uffd-stress cut to a quarter of its
# bounces, split_huge_page_test, 45 minutes of pagecache splits that skip
# here, and hugetlb_fault_after_madv, 12 minutes.
MM_GUESTS=("mm-selftests-thp thp,compaction 1024 1500" "mm-selftests ksm_numa,ksm,migration,cow,gup_test,mremap,madv_populate,mlock,hugetlb 2048 900")
MM_FULL=
MM_TIMEOUT=2400	# one guest, all its categories
if [[ ${FULL:-0} == 1 ]]; then
	MM_GUESTS=("mm-selftests-thp thp,compaction 1024 3600" "mm-selftests ksm_numa,ksm,migration,cow,gup_test,mremap,madv_populate,mlock,userfaultfd,hugetlb 2048 1500")
	MM_FULL=pec.mm_full=1
	MM_TIMEOUT=7200
fi

# mm_selftests_failures: "category:program<TAB>reason" of every program of
# $LOGFILE that neither passed nor was skipped.
mm_selftests_failures() {
	local status cat prog reason
	while IFS=$'\t' read -r status cat prog reason; do
		[[ -n $status ]] || continue
		[[ $status == pass || $status == skip ]] || printf '%s:%s\t%s\n' "$cat" "$prog" "$reason"
	done < <(mm_selftest_results)
}

# mm_selftests_guest NAME CATEGORIES MEM_MB CAT_SECS: one guest, then, if
# programs of it failed, a second guest that runs only them (their
# categories' setup with them, pec.programs=). khugepaged and userfaultfd
# programs wait on kernel threads and timers with fixed timeouts and miss
# one now and then under TCG; a program passes if it passes alone. Only
# them: the whole THP category again would take another 20 minutes. Runs
# in the background beside the other guest, so that one guest's second run
# overlaps the other's first; the exit codes go to check-NAME.rc and
# check-NAME-again.rc.
mm_selftests_guest() {
	local name=$1 cats=$2 mb=$3 cat_secs=$4 rc=0 failed progs
	rm -f "$LOG_DIR/check-$name.rc" "$LOG_DIR/check-$name-again.rc"
	mm_selftests_boot "$name" "$cats" "$mb" "$cat_secs" || rc=$?
	echo "$rc" >"$LOG_DIR/check-$name.rc"
	LOGFILE=$LOG_DIR/check-$name.log
	((rc == 0)) && [[ $(log_job_rc mm-selftests) == 0 ]] || return 0
	failed=$(mm_selftests_failures | cut -f1)
	[[ -n $failed ]] || return 0
	cats=$(cut -d: -f1 <<<"$failed" | sort -u | paste -sd, -)
	progs=$(cut -d: -f2- <<<"$failed" | sort -u)
	# Only the failed programs, unless a name cannot be passed on the
	# command line (pec.programs=).
	if [[ $progs == *[+,\"]* ]]; then progs=; fi
	progs=$(paste -sd, - <<<"${progs// /+}")
	msg "$name: again, alone, the failed programs: ${progs:-all of $cats} (categories $cats)"
	rc=0
	mm_selftests_boot "$name-again" "$cats" "$mb" "$cat_secs" "${progs:+pec.programs=$progs}" || rc=$?
	echo "$rc" >"$LOG_DIR/check-$name-again.rc"
}

test_mm_selftests() {
	local out g i name cats mb cat_secs why status cat prog reason pids=() res again st key
	local -A first=()
	if ! out=$("$REPO/scripts/mm-selftests.sh" 2>&1); then
		fail mm-selftests "$(printf '%s\n' "$out" | grep -a -m1 '^error:' || echo 'build failed')"
		return 0
	fi
	for g in "${MM_GUESTS[@]}"; do
		read -r name cats mb cat_secs <<<"$g"
		mm_selftests_guest "$name" "$cats" "$mb" "$cat_secs" &
		pids+=("$!")
	done
	for i in "${!pids[@]}"; do
		wait "${pids[i]}" || true
	done
	for g in "${MM_GUESTS[@]}"; do
		read -r name cats mb cat_secs <<<"$g"
		LOGFILE=$LOG_DIR/check-$name.log why=()
		expect_job "$name" mm-selftests "$(cat "$LOG_DIR/check-$name.rc" 2>/dev/null || echo 1)" || continue
		mm_selftests_guest_checks
		report "$name"
		res=$(mm_selftest_results)
		info "$name: $(grep -a '^PEC-MM-END' "$LOGFILE" | awk '{ print $2 " " $4 }' | tr '\n' ' ')(t: seconds since boot)"
		first=()
		while IFS=$'\t' read -r key reason; do
			[[ -z $key ]] || first["$key"]=$reason
		done < <(mm_selftests_failures)
		again=
		if [[ -f $LOG_DIR/check-$name-again.rc ]]; then
			LOGFILE=$LOG_DIR/check-$name-again.log why=()
			if expect_job "$name-again" mm-selftests "$(cat "$LOG_DIR/check-$name-again.rc")"; then
				mm_selftests_guest_checks
				report "$name-again"
				again=$(mm_selftest_results)
			fi
		fi
		while IFS=$'\t' read -r status cat prog reason; do
			[[ -n $status ]] || continue
			if [[ -n ${first["$cat:$prog"]+x} ]]; then
				st=$(awk -F'\t' -v c="$cat" -v p="$prog" '$2 == c && $3 == p { print $1; exit }' <<<"$again")
				if [[ $st == pass ]]; then
					status=pass
					info "$name:$cat:$prog failed once (${first["$cat:$prog"]}) and passed alone"
				else
					status=fail
					reason="${first["$cat:$prog"]}; again: ${st:-did not run}"
				fi
			fi
			case $status in
			pass) pass "$name:$cat:$prog" ;;
			skip) skip "$name:$cat:$prog" "$reason" ;;
			*) fail "$name:$cat:$prog" "$reason (log: ${LOG_DIR#"$REPO"/}/check-$name*.log)" ;;
			esac
		done <<<"$res"
	done
}

# mm_selftests_boot NAME CATEGORIES MEM_MB CAT_SECS [ARGS]: one mm selftests guest.
mm_selftests_boot() {
	SMP=1 MEM_NODE_MB=$3 INITRD_EXTRA=$BUILD_DIR/mm-selftests-$ARCH.cpio.gz \
		boot "$1" mm-selftests "page_ext_consistency=on pec.categories=$2 pec.cat_timeout=$4${MM_FULL:+ $MM_FULL}${5:+ $5}" \
		"${PEC_MM_TIMEOUT:-$MM_TIMEOUT}"
}

# The checks of a finished mm selftests guest; appends to the why array.
mm_selftests_guest_checks() {
	check_workload_stats
	check_log 'Memory failure: |Soft offline: '
	log_has '^PEC-MM-SWAP ' || why+=("no swap in the guest")
	while read -r cat; do
		why+=("category $cat timed out")
	done < <(grep -a '^PEC-MM-TIMEOUT ' "$LOGFILE" | awk '{ print $2 }')
}

# mm_selftest_results: "status<TAB>category<TAB>program<TAB>reason" for every
# program run_vmtests.sh ran, and for the ones it skipped without running.
# run_vmtests.sh takes exit code 4 for a skip, but khugepaged exits with its
# number of failed checks: a "skip" whose output has a failed check (red
# "Fail" or "Timeout", or a "not ok" line) is a failure.
mm_selftest_results() {
	sed -E 's/^\[ *[0-9.]+\] //' "$LOGFILE" | tr -d '\r' | awk '
		function reset() { last = ""; bad = "" }
		/^PEC-MM-BEGIN / { cat = $2; reset(); next }
		/^PEC-MM-END / { cat = ""; next }
		cat == "" { next }
		# run_vmtests.sh prints this one whatever the category.
		/^# SKIP \.\/on-fault-limit/ {
			if (cat == "mlock")
				printf "skip\t%s\ton-fault-limit\trun_vmtests.sh runs it with sudo -u nobody; the guest has no sudo\n", cat
			next
		}
		/^(not )?ok [0-9]+ / {
			st = ($1 == "not") ? "fail" : "pass"
			nm = $0; sub(/^(not )?ok [0-9]+ /, "", nm)
			if (nm ~ / # SKIP$/) { st = "skip"; sub(/ # SKIP$/, "", nm) }
			rs = nm; sub(/^[^#]*(# )?/, "", rs); sub(/ # .*/, "", nm)
			if (st == "skip" && bad != "") { st = "fail"; rs = bad }
			else if (st != "pass") rs = (last != "" ? last : rs)
			gsub(/\t/, " ", rs); gsub(/\033\[[0-9;]*m/, "", rs)
			printf "%s\t%s\t%s\t%s\n", st, cat, nm, rs
			reset()
			next
		}
		/^# / {
			l = $0; sub(/^(# )+/, "", l)
			if (bad == "" && (l ~ /\033\[31m(Fail|Timeout)/ || l ~ /^not ok [0-9]/))
				bad = l
			if (l ~ /SKIP|[Ss]kip|not supported|[Ff]ail|[Nn]ot enough|No such|missing|[Rr]equire/ && l !~ /^\[(PASS|FAIL|SKIP)\]$/ && l !~ /^Totals/)
				last = l
		}'
}

group_matrix() {
	local out
	use_flavour debug
	if ! build_shown || ! "$REPO/scripts/initramfs.sh" >/dev/null; then
		out=$BUILD_OUT
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
	test_inject_panic inject-panic-scrub-word inject_scrub_word corrupt-record \
		'found by scrub of block'
	test_inject_warn
	test_page_owner_report
	test_cma
	test_gigantic_page_owner
	test_hotplug hotplug
	test_hotplug_tail
	test_hotplug hotplug-memmap-on-memory memory_hotplug.memmap_on_memory=1
	test_memory_failure
	test_debug_pagealloc
	test_stress
	test_mm_selftests
}
