# SPDX-License-Identifier: GPL-2.0
# QEMU boots of the x86_64 kernel (TCG, 2 CPUs, 2 NUMA nodes); each test
# boots once and reads the serial log.
# shellcheck shell=bash

# boot NAME JOB APPEND [TIMEOUT]: boot and set LOGFILE; returns qemu.sh's status.
boot() {
	LOGFILE=$LOG_DIR/check-$1.log
	JOB=$2 APPEND=$3 TIMEOUT=${4:-300} LOG=$LOGFILE QUIET=1 "$REPO/scripts/qemu.sh"
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

test_boot_on_smp_numa() {
	local n=boot-on-smp-numa rc=0 why=() on smp
	boot "$n" workload "page_ext_consistency=on" || rc=$?
	expect_job "$n" workload "$rc" || return 0
	check_workload_stats
	log_has 'Initmem setup node 1' || why+=("no 'Initmem setup node 1' (second NUMA node missing)")
	log_has 'smp: Brought up 2 nodes, 2 CPUs' || why+=("no 'smp: Brought up 2 nodes, 2 CPUs'")
	on=$(log_line_no 'page_ext_consistency: enabled')
	smp=$(log_line_no 'smp: Bringing up secondary CPUs')
	if [[ -z $on ]]; then
		why+=("no 'page_ext_consistency: enabled' line")
	elif [[ -z $smp ]]; then
		why+=("no 'smp: Bringing up secondary CPUs' line")
	elif ((on > smp)); then
		why+=("checker enabled at log line $on, after SMP bring-up at line $smp")
	fi
	report "$n"
}

test_boot_off() {
	local n=boot-off rc=0 why=()
	boot "$n" probe "" || rc=$?
	expect_job "$n" probe "$rc" || return 0
	log_has '^PEC-DEBUGFS absent' || why+=("debugfs dir present (or probe printed nothing)")
	log_has 'allocated .* bytes of page_ext' && why+=("page_ext memory allocated: $(grep -a -m1 'bytes of page_ext' "$LOGFILE")")
	log_has 'page_ext_consistency: enabled' && why+=("checker enabled without a boot parameter")
	report "$n"
}

test_boot_bad_param() {
	local n=boot-bad-param rc=0 why=()
	boot "$n" probe "page_ext_consistency=bogus" || rc=$?
	expect_job "$n" probe "$rc" || return 0
	log_has "page_ext_consistency: invalid value 'bogus'" || why+=("no \"page_ext_consistency: invalid value 'bogus'\" message")
	log_has '^PEC-DEBUGFS absent' || why+=("checker not off after a bad value")
	report "$n"
}

test_boot_with_page_owner() {
	local n=boot-with-page-owner rc=0 why=()
	# Single-threaded TCG: see TCG_THREAD in scripts/qemu.sh.
	TCG_THREAD=single boot "$n" workload "page_ext_consistency=on page_owner=on" || rc=$?
	expect_job "$n" workload "$rc" || return 0
	check_workload_stats
	report "$n"
}

test_kunit_x86_64() {
	local n=kunit-x86_64 rc=0 ktap line name cases=0
	boot "$n" probe "page_ext_consistency=on kunit.enable=1 kunit.filter_glob=page_ext_consistency*" 600 || rc=$?
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
	while IFS= read -r line; do
		name=$(sed -E 's/^ {4}(not )?ok [0-9]+ ([^#]*[^# ]).*/\2/' <<<"$line")
		case $line in
		*'# SKIP'*) skip "$n:$name" "${line#*# SKIP}" ;;
		'    not ok'*) fail "$n:$name" "$line" ;;
		*) pass "$n:$name"; cases=$((cases + 1)) ;;
		esac
	done < <(grep -E '^    (not )?ok [0-9]+ ' <<<"$ktap" || true)
	if grep -qE '^ *not ok ' <<<"$ktap"; then
		fail "$n" "$(grep -cE '^ *not ok ' <<<"$ktap") 'not ok' line(s)"
	elif ((cases < 5)); then
		fail "$n" "only $cases passing test cases (want at least 5)"
	elif grep -qE '^ok [0-9]+ page_ext_consistency( |$)' <<<"$ktap"; then
		pass "$n"
	fi
	[[ -n $(log_job_rc probe) ]] || fail "$n:boot" "init job did not end after KUnit (log: ${LOGFILE#"$REPO"/})"
}

group_boots() {
	local out
	msg "building kernel and initramfs for the boot tests..."
	if ! out=$("$REPO/scripts/build.sh" 2>&1); then
		printf '%s\n' "$out" | tail -n 30
		fail build-x86_64 "$(printf '%s\n' "$out" | grep -a -m1 '^error:' || echo 'build failed')"
		for t in boot-on-smp-numa boot-off boot-bad-param boot-with-page-owner kunit-x86_64; do
			skip "$t" "no kernel (build failed)"
		done
		return 0
	fi
	printf '%s\n' "$out" | grep -E '^==> (built|bzImage)' || true
	pass build-x86_64
	"$REPO/scripts/initramfs.sh" || { fail initramfs "initramfs build failed"; return 0; }
	test_boot_on_smp_numa
	test_boot_off
	test_boot_bad_param
	test_boot_with_page_owner
	test_kunit_x86_64
}
