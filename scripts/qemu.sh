#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot the built kernel + initramfs under QEMU (2 CPUs, 2 NUMA nodes, memory
# hotplug slots) and run one guest job. Exit 0 iff the serial log has
# "PEC-JOB-END <job> rc=0".
#
#   JOB=name        guest job (pec.job=name), default workload
#   APPEND="..."    extra kernel command line
#   LOG=path        serial log (default build/logs/<job>.log)
#   TIMEOUT=secs    hard limit (default 300)
#   KVM=1           use KVM instead of TCG
#   TCG_THREAD=single  one host thread for all vCPUs (default multi: MTTCG)
#   QUIET=1         do not echo the serial console, only write the log
#   MEM_NODE_MB=N   memory per NUMA node in MiB (default 512)
#   QMP=path        also serve QMP on this unix socket (for device_add)
#   QEMU_EXTRA=".." extra QEMU arguments
set -euo pipefail
. "$(dirname "$0")/lib.sh"

JOB=${JOB:-workload}
TIMEOUT=${TIMEOUT:-300}
MEM_NODE_MB=${MEM_NODE_MB:-512}
LOG=${LOG:-$LOG_DIR/$JOB.log}
KERNEL=${KERNEL:-$BZIMAGE}
[[ -f $KERNEL ]] || die "no kernel at $KERNEL; run 'make build'"
[[ -f $INITRAMFS ]] || die "no initramfs at $INITRAMFS; run 'make initramfs'"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing; run 'make deps'"

if [[ ${KVM:-0} == 1 ]]; then
	[[ -w /dev/kvm ]] || die "KVM=1 but /dev/kvm is not usable; drop KVM=1 to use TCG"
	accel=(-enable-kvm -cpu host)
	mode=kvm
else
	# Multi-threaded TCG races on cross-modified code: about one boot in
	# ten with page_owner=on dies silently when sched_clock_init_late()
	# patches the __sched_clock_stable key while the other vCPU is in
	# local_clock() (page_owner timestamps every allocation); that vCPU
	# keeps executing the int3 of the patch site after the kernel has
	# retired it, and recurses through die() and printk(). Checker on or
	# off makes no difference. Boots that need page_owner use single.
	TCG_THREAD=${TCG_THREAD:-multi}
	[[ $TCG_THREAD == single || $TCG_THREAD == multi ]] ||
		die "TCG_THREAD=$TCG_THREAD: use single or multi"
	accel=(-accel "tcg,thread=$TCG_THREAD" -cpu max)
	mode="tcg, $TCG_THREAD-threaded"
fi

cmdline="console=ttyS0 panic=-1 pec.job=$JOB${APPEND:+ $APPEND}"
# shellcheck disable=SC2054 # commas are QEMU syntax
qemu=(qemu-system-x86_64 "${accel[@]}"
	-smp 2
	-m $((2 * MEM_NODE_MB))M,slots=4,maxmem=8G
	-object memory-backend-ram,id=m0,size=${MEM_NODE_MB}M
	-numa node,nodeid=0,cpus=0,memdev=m0
	-object memory-backend-ram,id=m1,size=${MEM_NODE_MB}M
	-numa node,nodeid=1,cpus=1,memdev=m1
	-nographic -no-reboot -nodefaults -serial stdio
	-kernel "$KERNEL" -initrd "$INITRAMFS" -append "$cmdline")
[[ -n ${QMP:-} ]] && qemu+=(-qmp "unix:$QMP,server=on,wait=off")
# shellcheck disable=SC2206
[[ -n ${QEMU_EXTRA:-} ]] && qemu+=($QEMU_EXTRA)

mkdir -p "$(dirname "$LOG")"
msg "booting job '$JOB' ($mode, timeout ${TIMEOUT}s): $cmdline"
start=$SECONDS
set +e
if [[ ${QUIET:-0} == 1 ]]; then
	timeout -k 10 "$TIMEOUT" "${qemu[@]}" </dev/null 2>&1 | stdbuf -oL tr -d '\r' >"$LOG"
else
	timeout -k 10 "$TIMEOUT" "${qemu[@]}" </dev/null 2>&1 | tr -d '\r' | tee "$LOG"
fi
rc=${PIPESTATUS[0]}
set -e
elapsed=$((SECONDS - start))

end=$(grep -a -m1 "^PEC-JOB-END $JOB rc=" "$LOG" || true)
if [[ $rc == 124 || $rc == 137 ]]; then
	msg "TIMEOUT after ${TIMEOUT}s (job '$JOB'${end:+, $end}); log: $LOG"
	exit 124
elif [[ -z $end ]]; then
	msg "job '$JOB' did not finish (qemu exit $rc, ${elapsed}s; $(grep -a -m1 -E 'Kernel panic|BUG:' "$LOG" || echo 'no panic line')); log: $LOG"
	exit 1
elif [[ $end != *" rc=0" ]]; then
	msg "job failed: $end (${elapsed}s); log: $LOG"
	exit 1
fi
msg "job ok: $end (${elapsed}s); log: $LOG"
