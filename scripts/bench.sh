#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: build the benchmark kernels, boot them with the checker off,
# on, with page_owner=on and with both, plus a kernel without the checker
# and the same with DEBUG_VM (and DEBUG_VM with DEBUG_LIST), the debugging
# a reviewer weighs the checker against, interleaved over several rounds,
# then print a table of medians and ratios, write build/bench/results.csv
# and draw build/bench/ratios.png.
#
#   ARCH=x86_64|um|arm64  only this architecture (default: x86_64 and um;
#                    arm64 boots under QEMU's virt machine, TCG; x86_64 boots under
#                    QEMU, TCG unless KVM=1; um runs natively)
#   ROUNDS=N         rounds (default 5); each round boots every configuration
#                    once, in an order rotated by one each round
#   BENCH_MS=N       time per in-kernel measurement in ms (default 200)
#   FAULT_SECS=N     duration of the page-fault workload (default 3)
#   UML_FAULT_SECS=N the same on UML (default 0: off, UML faults measure the
#                    host's ptrace and scheduling, not the allocator)
#   NO_BUILD=1       use the kernels already built
#   SCALE_GIB="2 8 32"  guest sizes (GiB) for the scaling boots: the checker's
#                    initialisation, a scrub and a walk of every record (a
#                    read of stats), x86_64 only, for this tree's record and
#                    for the flags-word record of BENCH_OLD_REF (built the
#                    same way); SCALE_GIB= skips them
#
# Everything lives in build/bench/ (its own worktree of the kernel tree,
# build/bench/linux, so that it never touches build/linux) and
# build/obj/bench-*. The run's logs are in build/bench/runs/<run id>/.
set -euo pipefail
req_arch=${ARCH:-}
unset ARCH
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-5}
BENCH_MS=${BENCH_MS:-200}
FAULT_SECS=${FAULT_SECS:-3}
# UML page faults are ptrace round trips between two host processes: their
# time is host scheduling, not the allocator. Off unless asked for.
UML_FAULT_SECS=${UML_FAULT_SECS:-0}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || die "ROUNDS=$ROUNDS: expected a positive number"
[[ $BENCH_MS =~ ^[1-9][0-9]*$ ]] || die "BENCH_MS=$BENCH_MS: expected a positive number of ms"
[[ $FAULT_SECS =~ ^[0-9]+$ ]] || die "FAULT_SECS=$FAULT_SECS: expected a number of seconds"
[[ $UML_FAULT_SECS =~ ^[0-9]+$ ]] || die "UML_FAULT_SECS=$UML_FAULT_SECS: expected a number of seconds"
case ${req_arch:-all} in
all) ARCHS=(x86_64 um) ;;
x86_64 | x86) ARCHS=(x86_64) ;;
um) ARCHS=(um) ;;
arm64) ARCHS=(arm64) ;;
*) die "ARCH=$req_arch: make bench supports x86_64, um and arm64" ;;
esac

BB=$BUILD_DIR/bench             # results, fragments, initramfs, runs
BT=$BB/linux                    # the benchmark's worktree of the kernel tree
OBJ_BASE=$BUILD_DIR/obj/bench
CONFIGS=(notbuilt off on page_owner on+page_owner debug_vm debug_vm+list)
mkdir -p "$BB"
exec 9>"$BB/.lock"
flock -n 9 || die "another 'make bench' is running ($BB/.lock)"

command_line="make bench${req_arch:+ ARCH=$req_arch}"
[[ $ROUNDS != 5 ]] && command_line+=" ROUNDS=$ROUNDS"
[[ $BENCH_MS != 200 ]] && command_line+=" BENCH_MS=$BENCH_MS"
[[ $FAULT_SECS != 3 ]] && command_line+=" FAULT_SECS=$FAULT_SECS"
[[ $UML_FAULT_SECS != 0 ]] && command_line+=" UML_FAULT_SECS=$UML_FAULT_SECS"
[[ ${KVM:-0} == 1 ]] && command_line+=" KVM=1"
run_id=$(date +%Y%m%d-%H%M%S)
started=$(date -Iseconds)
RUN=$BB/runs/$run_id
start_all=$SECONDS

# --- host dependencies -------------------------------------------------------
"$REPO/scripts/deps.sh"
# The chart needs matplotlib from Debian (python3-matplotlib), which is for
# /usr/bin/python3; the python3 first in PATH may be another one.
PY=
pick_python() {
	local p
	for p in python3 /usr/bin/python3; do
		command -v "$p" >/dev/null && "$p" -c 'import matplotlib' 2>/dev/null && { PY=$p; return 0; }
	done
	return 1
}
if ! pick_python; then
	msg "installing python3-matplotlib (for the chart)"
	sudo=()
	((EUID == 0)) || sudo=(sudo)
	if ! DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends python3-matplotlib >"$BB/apt.log" 2>&1; then
		"${sudo[@]}" apt-get update -q >>"$BB/apt.log" 2>&1 || true
		DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends python3-matplotlib >>"$BB/apt.log" 2>&1 || true
	fi
	pick_python || warn "python3-matplotlib could not be installed (see $BB/apt.log): no chart"
fi
plot=0
[[ -n $PY ]] && plot=1
PY=${PY:-python3}

# --- kernel tree: a worktree with the overlay and the bench's Kconfig entry -----
"$REPO/scripts/tree.sh" >/dev/null
base=$(git -C "$KSRC" rev-parse --verify "$KBASE^{commit}")
if [[ ! -e $BT/.git ]]; then
	msg "creating the benchmark's kernel worktree $BT ($KBASE)"
	git -C "$KSRC" worktree add -q --detach "$BT" "$base"
elif [[ $(git -C "$BT" rev-parse HEAD) != "$base" ]]; then
	git -C "$BT" checkout -q -f --detach "$base"
	rm -rf "$BB/apply-state"
fi
# The worktree is "our tree" for the scripts when BUILD_DIR is build/bench.
benv=(env BUILD_DIR="$BB" KSRC="$BT" KBASE="$base")
"${benv[@]}" FORCE=1 "$REPO/scripts/apply.sh" | grep -v '^    ' || true
python3 "$REPO/scripts/bench/inject-kconfig.py" "$BT"

# --- kernels -------------------------------------------------------------------
# pec: the workbench config (x86_64) or scripts/bench/um.config (UML) + the
# benchmark (the x86_64 config has jump labels; UML has none); nopec: the
# same without the checker; vm: nopec with DEBUG_VM; vmlist: vm with
# DEBUG_LIST, as distro debug kernels carry them.
fragment() { # arch kind -> path of the generated fragment
	local arch=$1 kind=$2 src out=$BB/$1-$2.config
	if [[ $arch == um ]]; then src=$REPO/scripts/bench/um.config; else src=$REPO/scripts/config/$arch.config; fi
	{
		# Not the fault module of make evidence: the kernels compared
		# must differ only in the checker.
		grep -v '^CONFIG_PAGE_EXT_CONSISTENCY_EVIDENCE=' "$src"
		printf '\n# make bench\nCONFIG_PAGE_EXT_CONSISTENCY_BENCH=y\n'
	} | if [[ $kind != pec ]]; then
		sed -E '/_BENCH=/!s/^(CONFIG_PAGE_EXT_CONSISTENCY[A-Z_]*)=y$/# \1 is not set/'
		[[ $kind == vm* ]] && echo CONFIG_DEBUG_VM=y
		[[ $kind == vmlist ]] && echo CONFIG_DEBUG_LIST=y
		true
	else
		cat
	fi >"$out.tmp"
	if cmp -s "$out.tmp" "$out"; then rm "$out.tmp"; else mv "$out.tmp" "$out"; fi
	printf '%s\n' "$out"
}
kernel_image() { # arch kind
	case $1 in
	um) echo "$OBJ_BASE-um-$2/linux" ;;
	arm64) echo "$OBJ_BASE-arm64-$2/arch/arm64/boot/Image.gz" ;;
	*) echo "$OBJ_BASE-x86_64-$2/arch/x86/boot/bzImage" ;;
	esac
}
build_kernel() { # arch kind
	local arch=$1 kind=$2 obj=$OBJ_BASE-$1-$2 target=bzImage t=$SECONDS cross=()
	[[ $arch == um ]] && target=linux
	[[ $arch == arm64 ]] && target=Image.gz cross=(CROSS_COMPILE=aarch64-linux-gnu-)
	mkdir -p "$obj"
	"${benv[@]}" OBJ="$obj" ARCH="$arch" CONFIG_FRAGMENT="$(fragment "$arch" "$kind")" \
		"$REPO/scripts/config.sh" >"$obj/config.log" 2>&1 ||
		{ cat "$obj/config.log" >&2; die "configuring the $arch $kind kernel failed"; }
	msg "building the $arch $kind kernel (${obj#"$REPO"/}, nice -n 10, -j$JOBS)..."
: >"$obj/build.log"
	if ! logged_build "$obj/build.log" "$arch $kind kernel" \
		nice -n 10 make -C "$BT" O="$obj" ARCH="${arch/x86_64/x86}" "${cross[@]}" -j"$JOBS" \
		CC="ccache ${cross[0]:+aarch64-linux-gnu-}gcc" "$target"; then
		grep -E 'error|Error' "$obj/build.log" | head -20 >&2 || true
		die "building the $arch $kind kernel failed; log: $obj/build.log"
	fi
	info "built in $((SECONDS - t)) s"
}
command -v ccache >/dev/null || die "ccache not installed; run 'make deps'"
mkdir -p "$CCACHE_DIR"
for arch in "${ARCHS[@]}"; do
	for kind in pec nopec vm vmlist; do
		if [[ ${NO_BUILD:-0} == 1 ]]; then
			[[ -f $(kernel_image "$arch" "$kind") ]] || die "NO_BUILD=1 but $(kernel_image "$arch" "$kind") is missing"
		else
			build_kernel "$arch" "$kind"
		fi
	done
done

# --- initramfs: the guest's, and for UML the same with an init that powers off --
for arch in "${ARCHS[@]}"; do
	[[ $arch == um ]] && arch=x86_64	# UML runs x86_64 programs
	"${benv[@]}" ARCH=$arch "$REPO/scripts/initramfs.sh" | grep -v '^    ' || true
done
INITRD=$BB/initramfs-x86_64.cpio.gz
UML_INITRD=$BB/uml-initramfs.cpio.gz
if [[ " ${ARCHS[*]} " == *" um "* ]]; then
	d=$BB/uml-init.d
	rm -rf "$d"
	mkdir -p "$d"
	install -m 0755 "$REPO/scripts/bench/uml-init" "$d/init"
	# A second archive appended to the first: its /init replaces the guest's.
	{ cat "$INITRD"; (cd "$d" && echo init | cpio -o -H newc --quiet -R 0:0 | gzip -9n); } >"$UML_INITRD"
fi

# --- the flags-word record, for the scaling boots --------------------------------
# BENCH_OLD_REF: the last commit of this repository with the flags-word
# record (before the dense record replaced it). Its overlay is applied to a
# worktree of its own and built with today's x86_64 fragment.
SCALE_GIB=${SCALE_GIB-2 8 32}
OLD_REF=${BENCH_OLD_REF:-dc6f55162c36b9755b8d5b9be1358a4b11604889}
SCALE=0
[[ -n $SCALE_GIB && " ${ARCHS[*]} " == *" x86_64 "* ]] && SCALE=1
OLD_IMG=$OBJ_BASE-x86_64-old/arch/x86/boot/bzImage
if ((SCALE)) && [[ ${NO_BUILD:-0} != 1 ]]; then
	OR=$BB/old-repo OT=$BB/linux-old
	git -C "$REPO" rev-parse -q --verify "$OLD_REF^{commit}" >/dev/null ||
		die "BENCH_OLD_REF=$OLD_REF is not a commit of $REPO"
	if [[ -e $OR/.git ]]; then
		git -C "$OR" checkout -q -f --detach "$OLD_REF"
	else
		git -C "$REPO" worktree prune
		git -C "$REPO" worktree add -q -f --detach "$OR" "$OLD_REF"
	fi
	if [[ ! -e $OT/.git ]]; then
		git -C "$KSRC" worktree prune
		git -C "$KSRC" worktree add -q --detach "$OT" "$base"
	fi
	msg "the flags-word record (${OLD_REF:0:12}) for the scaling boots"
	env BUILD_DIR="$BB/old" KSRC="$OT" KBASE="$base" FORCE=1 "$OR/scripts/apply.sh" | grep -v '^    ' || true
	obj=$OBJ_BASE-x86_64-old
	mkdir -p "$obj"
	grep -v '^CONFIG_PAGE_EXT_CONSISTENCY_EVIDENCE=' "$REPO/scripts/config/x86_64.config" >"$obj/x86_64.config"
	"${benv[@]}" KSRC="$OT" OBJ="$obj" ARCH=x86_64 CONFIG_FRAGMENT="$obj/x86_64.config" \
		"$REPO/scripts/config.sh" >"$obj/config.log" 2>&1 ||
		{ cat "$obj/config.log" >&2; die "configuring the flags-word kernel failed"; }
	msg "building the flags-word kernel (${obj#"$REPO"/}, nice -n 10, -j$JOBS)..."
: >"$obj/build.log"
	logged_build "$obj/build.log" "flags-word kernel" \
		nice -n 10 make -C "$OT" O="$obj" ARCH=x86 -j"$JOBS" CC="ccache gcc" bzImage ||
		die "building the flags-word kernel failed; log: $obj/build.log"
fi

# --- boots ---------------------------------------------------------------------
config_kind() {
	case $1 in
	notbuilt) echo nopec ;;
	debug_vm) echo vm ;;
	debug_vm+list) echo vmlist ;;
	*) echo pec ;;
	esac
}
config_args() {
	case $1 in
	notbuilt | debug_vm | debug_vm+list) echo "" ;;
	off) echo "page_ext_consistency=off" ;;
	on) echo "page_ext_consistency=on" ;;
	page_owner) echo "page_ext_consistency=off page_owner=on" ;;
	on+page_owner) echo "page_ext_consistency=on page_owner=on" ;;
	esac
}
accel=tcg
[[ ${KVM:-0} == 1 ]] && accel=kvm
mkdir -p "$RUN"
ln -sfn "runs/$run_id" "$BB/latest"
python3 - "$RUN/meta.json" <<PY
import json, os, sys
json.dump(dict(run_id='$run_id', started='$started', command='$command_line',
               repo='$REPO', accel='$accel', rounds=$ROUNDS, bench_ms=$BENCH_MS,
               fault_secs=$FAULT_SECS, scrub_runs=3,
               repo_rev=os.popen('git -C $REPO describe --always --dirty 2>/dev/null').read().strip(),
               host='%d CPUs, %s, load %s at start' % (os.cpu_count(),
                    next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), '?'),
                    open('/proc/loadavg').read().split()[0]),
               notes='x86_64: QEMU $accel, 2 vCPUs, 2 NUMA nodes, 1 GiB, workbench config (JUMP_LABEL); '
                     'arm64: QEMU TCG virt, 2 vCPUs, 2 NUMA nodes, 1 GiB, 4K pages; '
                     'UML: native, 1 CPU, mem=512M, FLATMEM, no jump labels (a static key is a load and a branch)'
                     '%s' % ('' if $UML_FAULT_SECS else ', no page-fault workload (UML_FAULT_SECS=0)')),
          open(sys.argv[1], 'w'), indent=1)
PY

boot() { # arch config round position [try]
	local arch=$1 config=$2 round=$3 pos=$4 try=${5:-1} img args log rc=0 t=$SECONDS fsecs=$FAULT_SECS
	img=$(kernel_image "$arch" "$(config_kind "$config")")
	[[ $arch == um ]] && fsecs=$UML_FAULT_SECS
	args="$(config_args "$config") pec_bench_ms=$BENCH_MS pec.fault_secs=$fsecs"
	args=${args# }
	log=$RUN/${arch}__${config}__r${round}__${pos}.log
	if [[ $arch == um ]]; then
		# UML: console on stdout, printk on stderr; it exits on poweroff.
		# shellcheck disable=SC2086 # $args is a list of kernel parameters
		timeout -k 5 "${BOOT_TIMEOUT:-300}" "$img" mem=512M initrd="$UML_INITRD" \
			con=null con0=null,fd:1 $args pec.job=bench </dev/null >"$log" 2>&1 || rc=$?
		# UML leaves its memory file in TMPDIR only while running; nothing to clean.
	else
		ARCH=$arch KERNEL=$img INITRAMFS=$BB/initramfs-$arch.cpio.gz JOB=bench LOG=$log QUIET=1 TIMEOUT=${BOOT_TIMEOUT:-300} \
			APPEND="$args" "${benv[@]}" "$REPO/scripts/qemu.sh" >/dev/null 2>&1 || rc=$?
	fi
	if grep -aq '^PEC-JOB-END bench rc=0' "$log"; then
		info "$(printf '%-6s %-14s round %d/%d: ok (%ds)' "$arch" "$config" "$round" "$ROUNDS" $((SECONDS - t)))"
	else
		info "$(printf '%-6s %-14s round %d/%d: FAILED (exit %d, %ds): %s' "$arch" "$config" "$round" "$ROUNDS" "$rc" $((SECONDS - t)) \
			"$(grep -a -m1 -E 'PEC-ERROR|PEC-JOB-END|Kernel panic|BUG:' "$log" || echo 'no job end')")"
		# A boot that died without a verdict (QEMU or UML killed or crashed)
		# is retried once; the failed log is kept beside it.
		if ((try == 1)) && ! grep -aqE 'PEC-JOB-END|PEC-ERROR|Kernel panic|BUG:' "$log"; then
			mv "$log" "$log.failed"
			boot "$arch" "$config" "$round" "$pos" 2
		fi
	fi
}

nboots=$((ROUNDS * ${#CONFIGS[@]} * ${#ARCHS[@]}))
msg "run $run_id: $nboots boots (${ARCHS[*]}; ${CONFIGS[*]}; $ROUNDS rounds, rotated); logs in ${RUN#"$REPO"/}"
for ((r = 1; r <= ROUNDS; r++)); do
	for arch in "${ARCHS[@]}"; do
		for ((i = 0; i < ${#CONFIGS[@]}; i++)); do
			c=${CONFIGS[$(((i + r - 1) % ${#CONFIGS[@]}))]}
			boot "$arch" "$c" "$r" "$((i + 1))"
		done
	done
done

# Scaling: one boot per guest size and record, every round.
scale_boot() { # design gib round
	local img=$OLD_IMG log=$RUN/x86_64__scale_$1_$2g__r$3__1.log rc=0 t=$SECONDS
	[[ $1 == this ]] && img=$(kernel_image x86_64 pec)
	KERNEL=$img INITRAMFS=$BB/initramfs-x86_64.cpio.gz JOB=bench-scale LOG=$log QUIET=1 \
		MEM_NODE_MB=$(($2 * 512)) TIMEOUT=${SCALE_TIMEOUT:-900} APPEND="page_ext_consistency=on" \
		"${benv[@]}" "$REPO/scripts/qemu.sh" >/dev/null 2>&1 || rc=$?
	info "$(printf '%-6s scale %-9s %3d GiB round %d/%d: %s (%ds)' x86_64 "$1" "$2" "$3" "$ROUNDS" \
		"$( ((rc == 0)) && echo ok || echo "FAILED (exit $rc)")" $((SECONDS - t)))"
}
if ((SCALE)); then
	for ((r = 1; r <= ROUNDS; r++)); do
		for g in $SCALE_GIB; do
			scale_boot this "$g" "$r"
			scale_boot flagword "$g" "$r"
		done
	done
fi

# --- results ---------------------------------------------------------------------
msg "results (run $run_id, $((SECONDS - start_all)) s in all)"
echo
noplot=()
((plot)) || noplot=(--no-plot)
"$PY" "$REPO/scripts/bench/analyze.py" "$RUN" "$BB" "${noplot[@]}"
cp "$BB/results.csv" "$BB/table.txt" "$RUN/"
[[ -f $BB/ratios.png ]] && ((plot)) && cp "$BB/ratios.png" "$RUN/"
echo
msg "csv: ${BB#"$REPO"/}/results.csv  chart: ${BB#"$REPO"/}/ratios.png  table: ${BB#"$REPO"/}/table.txt"
((plot)) || die "no chart: python3-matplotlib is missing"
