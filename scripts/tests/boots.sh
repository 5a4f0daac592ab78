# SPDX-License-Identifier: GPL-2.0
# QEMU boots of the x86_64 debug kernel (FLAVOUR=debug: KASAN, lockdep,
# DEBUG_VM, page_table_check, ..., and the checker ENFORCED; TCG, 2 CPUs,
# 2 NUMA nodes); each test boots once and reads the serial log.
# shellcheck shell=bash

# Lines of the serial log that a healthy boot prints, each with its reason;
# anything else that check_log matches fails the boot.
KNOWN_LOG_LINES=(
	# QEMU gives each vCPU its own NUMA node, but both share a die and an
	# LLC; the scheduler's topology check warns about that once, at SMP
	# bring-up. Nothing to do with memory.
	'WARNING: CPU: [0-9]+ PID: [0-9]+ at arch/x86/kernel/smpboot.c:[0-9]+ topology_sane'
)

# check_log [REGEX]: appends to the why array the first report in the log
# that the boot did not provoke on purpose (REGEX: the lines it did): a KASAN
# report, a lockdep splat, a BUG:, WARNING: or INFO: line, an oops, a panic.
check_log() {
	local allow known line
	known=$(IFS='|'; echo "${KNOWN_LOG_LINES[*]}")
	allow=$known${1:+|$1}
	line=$(grep -aE 'BUG:|WARNING:|INFO:|KASAN|UBSAN|Oops|general protection fault|Kernel panic|kernel BUG at' "$LOGFILE" |
		grep -avE "$allow" | head -n1 || true)
	[[ -z $line ]] || why+=("unexpected in the log: $line")
}

# boot NAME JOB APPEND [TIMEOUT]: boot and set LOGFILE; returns qemu.sh's status.
# A multi-threaded TCG boot that dies of QEMU's cross-modifying-code race
# (an int3 oops in sched_clock_stable(), the static key the kernel patches
# late in boot; see TCG_THREAD in scripts/qemu.sh) is booted once more,
# single-threaded; the first log is kept as <log>.mttcg.
boot() {
	local rc=0
	LOGFILE=$LOG_DIR/check-$1.log
	JOB=$2 APPEND=$3 TIMEOUT=${4:-300} LOG=$LOGFILE QUIET=1 "$REPO/scripts/qemu.sh" || rc=$?
	if [[ ${TCG_THREAD:-multi} == multi && ${KVM:-0} != 1 ]] && mttcg_race "$LOGFILE"; then
		mv "$LOGFILE" "$LOGFILE.mttcg"
		info "$1: QEMU's MTTCG text-patching race (int3 in sched_clock_stable); booting again single-threaded"
		rc=0
		JOB=$2 APPEND=$3 TIMEOUT=${4:-300} LOG=$LOGFILE QUIET=1 TCG_THREAD=single "$REPO/scripts/qemu.sh" || rc=$?
	fi
	return "$rc"
}

# mttcg_race LOG: the log's first oops is an int3 in sched_clock_stable().
mttcg_race() {
	grep -a -m1 -A4 '^\[[ 0-9.]*\] Oops: int3' "$1" 2>/dev/null | grep -aq 'RIP: [0-9]*:sched_clock_stable+'
}

# expect_job NAME JOB qemu_rc: fail NAME and return 1 unless the job ended with rc=0.
expect_job() {
	local rc
	rc=$(log_job_rc "$2")
	if (($3 == 124)); then
		fail "$1" "timed out (log: ${LOGFILE#"$REPO"/})"
	elif [[ -z $rc ]]; then
		fail "$1" "job $2 did not end; $(grep -a -m1 -E 'Kernel panic|BUG:' "$LOGFILE" || echo 'no panic line') (log: ${LOGFILE#"$REPO"/})"
	elif [[ $rc != 0 ]]; then
		fail "$1" "job $2 exited rc=$rc (log: ${LOGFILE#"$REPO"/})"
	else
		return 0
	fi
	return 1
}

# Checks shared by the "checker on, workload" boots; appends to the why array.
check_workload_stats() {
	local v a f
	v=$(pec_stat violations) a=$(pec_stat alloc_checks) f=$(pec_stat free_checks)
	[[ -n $v ]] || why+=("no 'violations:' in the PEC-STATS block")
	[[ -z $v || $v == 0 ]] || why+=("violations: $v")
	[[ ${a:-0} -gt 0 ]] || why+=("alloc_checks: ${a:-missing}")
	[[ ${f:-0} -gt 0 ]] || why+=("free_checks: ${f:-missing}")
	if log_has 'BUG: page_ext_consistency'; then
		why+=("$(grep -a -m1 'BUG: page_ext_consistency' "$LOGFILE")")
	fi
}

report() { # report NAME: pass unless the why array has reasons
	if ((${#why[@]})); then
		fail "$1" "$(printf '%s; ' "${why[@]}")log: ${LOGFILE#"$REPO"/}"
	else
		pass "$1"
	fi
}

# No boot parameter: ENFORCED turns the checker on in panic mode, before
# SMP, on both NUMA nodes.
test_boot_on_smp_numa() {
	local n=boot-on-smp-numa rc=0 why=() on smp
	boot "$n" workload "" || rc=$?
	expect_job "$n" workload "$rc" || return 0
	check_workload_stats
	check_log
	log_has 'Initmem setup node 1' || why+=("no 'Initmem setup node 1' (second NUMA node missing)")
	log_has 'smp: Brought up 2 nodes, 2 CPUs' || why+=("no 'smp: Brought up 2 nodes, 2 CPUs'")
	[[ $(pec_stat mode) == panic ]] || why+=("mode: $(pec_stat mode), want panic (CONFIG_PAGE_EXT_CONSISTENCY_ENFORCED)")
	on=$(log_line_no 'page_ext_consistency: enabled, mode:panic')
	smp=$(log_line_no 'smp: Bringing up secondary CPUs')
	if [[ -z $on ]]; then
		why+=("no 'page_ext_consistency: enabled, mode:panic' line")
	elif [[ -z $smp ]]; then
		why+=("no 'smp: Bringing up secondary CPUs' line")
	elif ((on > smp)); then
		why+=("checker enabled at log line $on, after SMP bring-up at line $smp")
	fi
	report "$n"
}

# page_ext_consistency=off in an ENFORCED kernel: no debugfs, no record,
# and deferred struct page init stays on (the checker forces early page_ext
# only when it is enabled). page_table_check and allocation profiling use
# page_ext in this kernel, so page_ext itself is there.
test_boot_off() {
	local n=boot-off rc=0 why=()
	boot "$n" probe "page_ext_consistency=off" || rc=$?
	expect_job "$n" probe "$rc" || return 0
	check_log
	log_has '^PEC-DEBUGFS absent' || why+=("debugfs dir present (or probe printed nothing)")
	log_has 'page_ext_consistency: enabled' && why+=("checker enabled although page_ext_consistency=off")
	log_has 'node [0-9]+ deferred pages initialised' ||
		why+=("no 'deferred pages initialised': early page_ext forced with the checker off")
	report "$n"
}

# A bad value is refused with a message and changes nothing: the ENFORCED
# default (panic) stays.
test_boot_bad_param() {
	local n=boot-bad-param rc=0 why=()
	boot "$n" probe "page_ext_consistency=bogus" || rc=$?
	expect_job "$n" probe "$rc" || return 0
	check_log
	log_has "page_ext_consistency: invalid value 'bogus' .* staying panic" ||
		why+=("no \"page_ext_consistency: invalid value 'bogus' ... staying panic\" message")
	log_has 'page_ext_consistency: enabled, mode:panic' || why+=("checker not in its default mode after a bad value")
	log_has '^PEC-DEBUGFS present' || why+=("no debugfs dir after a bad value")
	report "$n"
}

test_boot_with_page_owner() {
	local n=boot-with-page-owner rc=0 why=()
	# Single-threaded TCG: see TCG_THREAD in scripts/qemu.sh.
	TCG_THREAD=single boot "$n" workload "page_ext_consistency=on page_owner=on" || rc=$?
	expect_job "$n" workload "$rc" || return 0
	check_workload_stats
	check_log
	report "$n"
}

# The KUnit suite in the debug kernel, with page_owner on (so that the case
# for page_owner's walk over a block spanning sections runs) and 1.5 GiB per
# node (so that a free range of two sections can be found). One line per
# case, and one per parameter of a parametrized case.
test_kunit_x86_64() {
	local n=kunit-x86_64 rc=0 ktap line name cases=0 why=() suite= ind
	# Single-threaded TCG: see TCG_THREAD in scripts/qemu.sh.
	TCG_THREAD=single MEM_NODE_MB=1536 boot "$n" probe \
		"page_ext_consistency=on page_owner=on kunit.enable=1 kunit.filter_glob=page_ext_consistency*" 900 || rc=$?
	# KTAP with the printk timestamp stripped.
	ktap=$(sed -n 's/^\[ *[0-9.]*\] //p' "$LOGFILE")
	if ! grep -qE '^ok [0-9]+ page_ext_consistency( |$)' <<<"$ktap"; then
		if grep -qE '^not ok [0-9]+ page_ext_consistency' <<<"$ktap"; then
			fail "$n" "suite reported: $(grep -m1 -E '^not ok [0-9]+ page_ext_consistency' <<<"$ktap")"
		elif ((rc == 124)); then
			fail "$n" "timed out before the suite finished (log: ${LOGFILE#"$REPO"/})"
		else
			fail "$n" "no 'ok N page_ext_consistency' suite result (log: ${LOGFILE#"$REPO"/})"
		fi
	fi
	# Cases are indented by 4, the parameters of a case by 8 and come first:
	# remember them until their case's line names them.
	local params=()
	while IFS= read -r line; do
		ind=${line%%[! ]*}
		name=$(sed -E 's/^ *(not )?ok [0-9]+ ([^#]*[^# ]).*/\2/' <<<"$line")
		if ((${#ind} == 8)); then
			params+=("$name"$'\t'"$line")
			continue
		fi
		local p
		for p in "${params[@]}"; do
			kunit_result "$n:$name:${p%%$'\t'*}" "${p#*$'\t'}"  || true
		done
		params=()
		kunit_result "$n:$name" "$line" && cases=$((cases + 1))
	done < <(grep -E '^ {4}( {4})?(not )?ok [0-9]+ ' <<<"$ktap" || true)
	if grep -qE '^ *not ok ' <<<"$ktap"; then
		fail "$n" "$(grep -cE '^ *not ok ' <<<"$ktap") 'not ok' line(s)"
	elif ((cases < 5)); then
		fail "$n" "only $cases passing test cases (want at least 5)"
	elif grep -qE '^ok [0-9]+ page_ext_consistency( |$)' <<<"$ktap"; then
		check_log
		report "$n"
	fi
	[[ -n $(log_job_rc probe) ]] || fail "$n:boot" "init job did not end after KUnit (log: ${LOGFILE#"$REPO"/})"
}

# kunit_result NAME KTAP_LINE: one pass/skip/fail line; true if it passed.
kunit_result() {
	case $2 in
	*'# SKIP'*) skip "$1" "${2#*# SKIP }"; return 1 ;;
	*'not ok'*) fail "$1" "$(sed -E 's/^ +//' <<<"$2")"; return 1 ;;
	*) pass "$1" ;;
	esac
}

group_boots() {
	local out
	# The debug kernel, the one distro debug kernels resemble.
	use_flavour debug
	msg "building the debug kernel and initramfs for the boot tests..."
	if ! build_shown; then
		out=$BUILD_OUT
		printf '%s\n' "$out" | tail -n 30
		fail build-x86_64-debug "$(printf '%s\n' "$out" | grep -a -m1 '^error:' || echo 'build failed')"
		for t in boot-on-smp-numa boot-off boot-bad-param boot-with-page-owner kunit-x86_64; do
			skip "$t" "no kernel (build failed)"
		done
		return 0
	fi
	pass build-x86_64-debug
	"$REPO/scripts/initramfs.sh" || { fail initramfs "initramfs build failed"; return 0; }
	test_boot_on_smp_numa
	test_boot_off
	test_boot_bad_param
	test_boot_with_page_owner
	test_kunit_x86_64
}
