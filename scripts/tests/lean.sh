# SPDX-License-Identifier: GPL-2.0
# The lean x86_64 kernel (FLAVOUR=lean: tinyconfig + scripts/config/x86_64.config,
# the checker built in but not enforced), the one make run, make demo and
# make bench boot: make run and make demo themselves, the checker off by
# default, and a memory hole inside a pageblock (no THP and no hugetlb here,
# so a pageblock is 4 MiB and a subsection 2 MiB).
# shellcheck shell=bash

. "$REPO/scripts/tests/boots.sh"

# make run, as a user runs it: its verdict line must be OK.
test_make_run() {
	local n=make-run log=$LOG_DIR/check-make-run.log out rc=0
	out=$(LOG=$log "$REPO/scripts/run.sh" 2>&1) || rc=$?
	if ((rc == 0)) && grep -q '^verdict: OK: ' <<<"$out"; then
		pass "$n"
		info "$(grep '^verdict:' <<<"$out")"
	else
		fail "$n" "$(grep -m1 '^verdict:' <<<"$out" || echo "scripts/run.sh exited $rc") (log: ${log#"$REPO"/})"
	fi
}

# make demo, as a user runs it: a bad free reported in warn mode with its
# page_owner stack and a reading of it, then a panic in panic mode.
test_make_demo() {
	local n=make-demo log=$LOG_DIR/check-make-demo.log rc=0 why=()
	"$REPO/scripts/demo.sh" >"$log" 2>&1 || rc=$?
	((rc == 0)) || why+=("scripts/demo.sh exited $rc: $(grep -m1 '^demo:' "$log" || tail -n1 "$log")")
	grep -q '^    | BUG: page_ext_consistency: bad-free pfn:' "$log" || why+=("no report printed")
	grep -q '^    | page last allocated via order' "$log" || why+=("no page_owner stack in the report")
	grep -q '^==> how to read it:' "$log" || why+=("no reading of the report")
	grep -q '^    | Kernel panic - not syncing: page_ext_consistency: bad-free' "$log" || why+=("no panic shown")
	if ((${#why[@]})); then
		fail "$n" "$(printf '%s; ' "${why[@]}")log: ${log#"$REPO"/}"
	else
		pass "$n"
	fi
}

# Built in, not enforced, no boot parameter: off, no debugfs, no page_ext
# memory at all (no other page_ext user is on here), deferred struct page
# init on.
test_lean_off_by_default() {
	local n=lean-off-by-default rc=0 why=()
	boot "$n" probe "" || rc=$?
	expect_job "$n" probe "$rc" || return 0
	check_log
	log_has '^PEC-DEBUGFS absent' || why+=("debugfs dir present (or probe printed nothing)")
	log_has 'page_ext_consistency: enabled' && why+=("checker enabled without a boot parameter")
	log_has 'allocated .* bytes of page_ext' && why+=("page_ext memory allocated: $(grep -a -m1 'bytes of page_ext' "$LOGFILE")")
	log_has 'node [0-9]+ deferred pages initialised' || why+=("no 'deferred pages initialised' line")
	report "$n"
}

# memmap=2M$256M makes [256 MiB, 258 MiB) a hole: its subsection is not
# valid, so pfn_to_online_page() is NULL there, while the rest of the 4 MiB
# pageblock, [258 MiB, 260 MiB), is memory in buddy. Initialisation and the
# scrub must record and check it: the workload and its scrub must pass in
# panic mode, and so must the KUnit suite, which counts the pages the scrub
# visits against a walk of every PFN.
PEC_HOLE='memmap=2M$256M'

test_lean_memory_hole() {
	local n=lean-memory-hole rc=0 why=()
	boot "$n" workload "page_ext_consistency=on $PEC_HOLE" || rc=$?
	expect_job "$n" workload "$rc" || return 0
	check_workload_stats
	check_log
	log_has 'user: \[mem 0x0000000010000000-0x00000000101fffff\] reserved' ||
		why+=("no reserved hole at 256 MiB in the user-defined memory map")
	[[ $(log_kv PEC-PAGEBLOCK order) == 10 ]] ||
		why+=("pageblock order $(log_kv PEC-PAGEBLOCK order), want 10 (larger than a subsection)")
	[[ $(pec_stat records_invalid) == 0 ]] || why+=("records_invalid: $(pec_stat records_invalid)")
	report "$n"
}

test_lean_memory_hole_kunit() {
	local n=lean-memory-hole-kunit rc=0 why=() ktap
	boot "$n" probe "page_ext_consistency=on $PEC_HOLE kunit.enable=1 kunit.filter_glob=page_ext_consistency*" 600 || rc=$?
	expect_job "$n" probe "$rc" || return 0
	check_log
	ktap=$(sed -n 's/^\[ *[0-9.]*\] //p' "$LOGFILE")
	grep -qE '^ok [0-9]+ page_ext_consistency( |$)' <<<"$ktap" ||
		why+=("KUnit: $(grep -m1 -E '^ *not ok ' <<<"$ktap" || echo 'no suite result')")
	grep -qE '^ {4}ok [0-9]+ test_scrub_covers_every_page$' <<<"$ktap" ||
		why+=("test_scrub_covers_every_page did not pass")
	report "$n"
}

group_lean() {
	local out
	use_flavour lean
	msg "building the lean kernel (make run, make bench) and the initramfs..."
	if ! build_shown; then
		out=$BUILD_OUT
		printf '%s\n' "$out" | tail -n 30
		fail build-x86_64 "$(printf '%s\n' "$out" | grep -a -m1 '^error:' || echo 'build failed')"
		return 0
	fi
	pass build-x86_64
	"$REPO/scripts/initramfs.sh" >/dev/null || { fail initramfs "initramfs build failed"; return 0; }
	test_make_run
	test_make_demo
	test_lean_off_by_default
	test_lean_memory_hole
	test_lean_memory_hole_kunit
}
