# SPDX-License-Identifier: GPL-2.0
# arm64 under QEMU's virt machine (TCG, 2 CPUs, 2 NUMA nodes): a kernel with
# 4K pages and one with 64K pages (a 512 MiB pageblock and section, far
# larger than a 2 MiB subsection; MAX_PAGE_ORDER 13), both cross-compiled
# from scripts/config/arm64.config (+ arm64-64k.config).
#
# 4K: the workload, the kselftest in warn mode, one panic-mode injection boot
# per class, the report with page_owner, CMA with a 1 GiB page that spans 8
# memory sections, stress with a periodic scrub, and memory hotplug (with and
# without memmap_on_memory) and hot-add next to and far above boot RAM that
# ends inside a section, which on virt need ACPI, so those three boot
# through UEFI firmware (UEFI=1). 64K: the workload with its scrub, and the
# KUnit suite through kunit.py --arch=arm64 on the same build; in the long
# form only (FULL=1 make check): a second cold arm64 build took 11 minutes
# on 2 cores on 2026-12-03, which make check's hour does not have.
# shellcheck shell=bash

. "$REPO/scripts/tests/matrix.sh"

# Lines a healthy arm64 virt boot prints, each with its reason.
ARM64_KNOWN_LOG_LINES=()

# arm64_build NAME: build the current flavour's kernel; false if it failed.
arm64_build() {
	local out
	msg "building the arm64 kernel ($FLAVOUR) and its initramfs..."
	if ! build_shown; then
		out=$BUILD_OUT
		printf '%s\n' "$out" | tail -n 30
		fail "build-$1" "$(printf '%s\n' "$out" | grep -a -m1 '^error:' || echo 'build failed')"
		return 1
	fi
	pass "build-$1"
	"$REPO/scripts/initramfs.sh" >/dev/null || { fail "initramfs-$1" "initramfs build failed"; return 1; }
}

# The workload job with its scrub, checker on, panic mode.
test_arm64_workload() {
	local n=$1 rc=0 why=()
	boot "$n" workload "page_ext_consistency=on" 600 || rc=$?
	expect_job "$n" workload "$rc" || return 0
	check_workload_stats
	check_log
	log_has 'smp: Brought up 2 nodes, 2 CPUs' || why+=("no 'smp: Brought up 2 nodes, 2 CPUs'")
	[[ $(pec_stat scrub_runs) -ge 1 ]] || why+=("no scrub ran")
	[[ $(pec_stat records_invalid) == 0 ]] || why+=("records_invalid: $(pec_stat records_invalid)")
	info "$n: pageblock order $(log_kv PEC-PAGEBLOCK order), $(pec_stat alloc_checks) alloc checks, scrub $(pec_stat scrub_pages_checked) pages"
	report "$n"
}

# The KUnit suite through kunit.py on this build: the kunitconfig is the
# build's own .config, so kunit.py keeps it (and the objects) as they are.
# One line per case. 4 GiB, so that blocks of MAX_PAGE_ORDER (512 MiB here)
# and a free range of two sections can be found, and page_owner on.
test_arm64_kunit_py() {
	local n=$1 rc=0 log=$LOG_DIR/check-$1.log kcfg=$OBJ/pec.kunitconfig
	cp "$OBJ/.config" "$kcfg"
	msg "kunit.py run --arch=arm64 on $OBJ (log ${log#"$REPO"/})..."
: >"$log"
	logged_build "$log" "kunit.py --arch=arm64 (build and run)" \
		env -C "$KSRC" timeout -k 10 1800 python3 tools/testing/kunit/kunit.py run \
		--arch=arm64 --cross_compile="$CROSS_COMPILE" --build_dir="$OBJ" \
		--kunitconfig="$kcfg" --jobs="$JOBS" --make_options CC="ccache ${CROSS_COMPILE}gcc" \
		--kernel_args='page_ext_consistency=on page_owner=on' --qemu_args='-m 4096 -smp 2' --timeout=1200 \
		'page_ext_consistency*' || rc=$?
	report_kunit_py "$n" "$log" "$rc" "$OBJ"
}

group_arm64() {
	KNOWN_LOG_LINES+=("${ARM64_KNOWN_LOG_LINES[@]}")
	use_flavour lean arm64
	if arm64_build arm64; then
		test_arm64_workload arm64:workload
		test_inject_warn arm64:inject-warn
		test_inject_panic arm64:inject-panic-double-alloc inject_double_alloc double-alloc
		test_inject_panic arm64:inject-panic-bad-free inject_bad_free bad-free
		test_inject_panic arm64:inject-panic-corrupt-record inject_corrupt_record corrupt-record
		test_inject_panic arm64:inject-panic-scrub-buddy-page inject_scrub_buddy_page \
			'(buddy-allocated|double-alloc)'
		test_page_owner_report arm64:page-owner-report
		test_cma arm64:cma
		test_stress arm64:stress 60
		UEFI=1 HOTPLUG_COLD=0 test_hotplug arm64:hotplug
		UEFI=1 HOTPLUG_COLD=0 test_hotplug arm64:hotplug-memmap-on-memory memory_hotplug.memmap_on_memory=1
		UEFI=1 test_hotplug_tail arm64:hotplug-tail 0
	fi
	if [[ ${FULL:-0} != 1 ]]; then
		info "arm64 with 64K pages: in the long form only (FULL=1 make check)"
		return 0
	fi
	use_flavour 64k arm64
	if arm64_build arm64-64k; then
		test_arm64_workload arm64-64k:workload
		test_arm64_kunit_py arm64-64k:kunit
	fi
}
