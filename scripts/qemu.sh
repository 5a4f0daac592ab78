#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot the built kernel + initramfs of $ARCH under QEMU (2 CPUs, 2 NUMA
# nodes; x86_64: the pc machine with memory hotplug slots, arm64: virt with
# GICv3) and run one guest job. Exit 0 iff the serial log has
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
#   MAXMEM_MB=N     the memory hotplug limit, boot memory included (x86_64,
#                   and arm64 with UEFI=1; default: boot memory + 8 GiB)
#   SMP=1           one vCPU (node 1 keeps its memory, without a CPU)
#   UEFI=1          arm64: boot through UEFI firmware (qemu-efi-aarch64), so
#                   that the kernel uses ACPI, which memory hotplug needs
#   QMP=path        also serve QMP on this unix socket (for device_add)
#   QEMU_EXTRA=".." extra QEMU arguments
#   INITRD_EXTRA="a.cpio.gz ..."  initramfs pieces appended to the initramfs
#                   (the kernel unpacks concatenated archives in order)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

JOB=${JOB:-workload}
TIMEOUT=${TIMEOUT:-300}
MEM_NODE_MB=${MEM_NODE_MB:-512}
SMP=${SMP:-2}
[[ $SMP == 1 || $SMP == 2 ]] || die "SMP=$SMP: use 1 or 2"
LOG=${LOG:-$LOG_DIR/$JOB.log}
KERNEL=${KERNEL:-$KIMAGE}
[[ -f $KERNEL ]] || die "no kernel at $KERNEL; run 'make build${ARCH:+ ARCH=$ARCH}'"
[[ -f $INITRAMFS ]] || die "no initramfs at $INITRAMFS; run 'make initramfs${ARCH:+ ARCH=$ARCH}'"
case $ARCH in
x86_64)
	qemu_bin=qemu-system-x86_64
	machine=(-m $((2 * MEM_NODE_MB))M,slots=4,maxmem=${MAXMEM_MB:-$((2 * MEM_NODE_MB + 8192))}M)
	# No LA57: with 5-level paging, 6.12's KASAN takes the direct map for
	# a wild address while identify_cpu() has the boot CPU's feature
	# bits cleared (KASAN_SHADOW_START follows X86_FEATURE_LA57), and an
	# interrupt in that window gets a false KASAN report (seen once in
	# about 30 debug-kernel boots).
	tcg_cpu=max,la57=off
	;;
arm64)
	qemu_bin=qemu-system-aarch64
	machine=(-machine virt,gic-version=3 -m $((2 * MEM_NODE_MB))M)
	# Memory hotplug on virt needs ACPI, i.e. UEFI firmware, which boots
	# the uncompressed Image through its EFI stub.
	if [[ ${UEFI:-0} == 1 ]]; then
		fw=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd
		[[ -f $fw ]] || die "UEFI=1 needs $fw; run 'make deps' (qemu-efi-aarch64)"
		machine=(-machine virt,gic-version=3 -m $((2 * MEM_NODE_MB))M,slots=4,maxmem=${MAXMEM_MB:-$((2 * MEM_NODE_MB + 8192))}M -bios "$fw")
		[[ $KERNEL == */Image.gz ]] && KERNEL=${KERNEL%.gz}
	fi
	# pauth-impdef: QEMU's own pointer authentication, much faster
	# under TCG than the architected algorithm.
	tcg_cpu=max,pauth-impdef=on
	;;
*) die "ARCH=$ARCH cannot be booted under QEMU here" ;;
esac
command -v "$qemu_bin" >/dev/null || die "$qemu_bin missing; run 'make deps'"

if [[ ${KVM:-0} == 1 ]]; then
	[[ $ARCH == x86_64 ]] || die "KVM=1 needs an x86_64 guest on this x86_64 host"
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
	# off makes no difference. Boots that need page_owner use single, and
	# so do the debug kernel's injection boots: one of them died the same
	# way in make check without page_owner (KASAN and lockdep also call
	# local_clock() often).
	TCG_THREAD=${TCG_THREAD:-multi}
	[[ $TCG_THREAD == single || $TCG_THREAD == multi ]] ||
		die "TCG_THREAD=$TCG_THREAD: use single or multi"
	accel=(-accel "tcg,thread=$TCG_THREAD" -cpu "$tcg_cpu")
	mode="tcg, $TCG_THREAD-threaded"
fi

initrd=$INITRAMFS
if [[ -n ${INITRD_EXTRA:-} ]]; then
	initrd=$(mktemp "${TMPDIR:-/tmp}/pec-initrd.XXXXXX")
	trap 'rm -f "$initrd"' EXIT
	# shellcheck disable=SC2086 # a list of files
	cat "$INITRAMFS" $INITRD_EXTRA >"$initrd"
fi

node1=node,nodeid=1,memdev=m1
if ((SMP == 2)); then node1+=,cpus=1; fi

cmdline="console=$CONSOLE panic=-1 pec.job=$JOB${APPEND:+ $APPEND}"
# shellcheck disable=SC2054 # commas are QEMU syntax
qemu=("$qemu_bin" "${accel[@]}" "${machine[@]}"
	-smp "$SMP"
	-object memory-backend-ram,id=m0,size=${MEM_NODE_MB}M
	-numa node,nodeid=0,cpus=0,memdev=m0
	-object memory-backend-ram,id=m1,size=${MEM_NODE_MB}M
	-numa "$node1"
	-nographic -no-reboot -nodefaults -serial stdio
	-kernel "$KERNEL" -initrd "$initrd" -append "$cmdline")
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
