#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make evidence: the same allocator-state faults against each of the kernel's
# debugging tools, one boot per (tool, fault), and a table of who found what.
#
# Five kernels (FLAVOUR=evidence, evidence-vm, evidence-kasan,
# evidence-debian, evidence-prof: the lean kernel with page_table_check and
# debug_pagealloc built in but off, plus DEBUG_VM and DEBUG_LIST, or KASAN,
# or Debian's production INIT_ON_ALLOC_DEFAULT_ON and DEBUG_LIST, or memory
# allocation profiling's debug mode) and eleven tool configurations:
#   none, Debian, memprof_debug, DEBUG_VM, page_owner, page_table_check,
#   debug_pagealloc, KASAN, checker, Debian+checker, checker+DEBUG_VM
# Each boot runs the guest job "evidence": mm/page_ext_consistency_evidence.c
# corrupts the allocator once and then allocates and frees for EVIDENCE_MS.
# Every boot has oops=panic, so a crash ends it with a result line too.
#
#   EVIDENCE_MS=N          workload time after the fault (default 3000)
#   EVIDENCE_TOOLS="..."   tool configurations to run (default: all eleven)
#   EVIDENCE_FAULTS="..."  faults to run (default: all)
#   EVIDENCE_DIR=dir       output (default build/evidence): run-<id>/ with a log
#                          per boot, results.csv and table.txt
#
# The record faults (record-*) exist only with the checker on: they run in
# the three checker configurations, and are "n/a" elsewhere.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$REPO/scripts/evidence-lib.sh"

[[ $ARCH == x86_64 ]] || die "make evidence runs on x86_64 (ARCH=$ARCH)"
EVIDENCE_MS=${EVIDENCE_MS:-3000}
[[ $EVIDENCE_MS =~ ^[1-9][0-9]*$ ]] || die "EVIDENCE_MS=$EVIDENCE_MS: expected a positive number of ms"
read -r -a tools <<<"${EVIDENCE_TOOLS:-$EV_TOOLS}"
read -r -a faults <<<"${EVIDENCE_FAULTS:-$EV_FAULTS}"
for t in "${tools[@]}"; do ev_tool_kernel "$t" >/dev/null || die "unknown tool configuration '$t' (have: $EV_TOOLS)"; done
for f in "${faults[@]}"; do [[ " $EV_FAULTS " == *" $f "* ]] || die "unknown fault '$f' (have: $EV_FAULTS)"; done

"$REPO/scripts/deps.sh"
"$REPO/scripts/initramfs.sh"
declare -A built=()
for t in "${tools[@]}"; do
	k=$(ev_tool_kernel "$t")
	[[ -n ${built[$k]:-} ]] && continue
	msg "the kernel of $t: FLAVOUR=$k"
	FLAVOUR=$k "$REPO/scripts/build.sh"
	built[$k]=1
done

RUN_ID=$(date -u +%Y%m%d-%H%M%S)
OUTD=${EVIDENCE_DIR:-$BUILD_DIR/evidence}/run-$RUN_ID
mkdir -p "$OUTD"
CSV=$OUTD/results.csv
echo "run,tool,fault,detected,by,ops,ms,shared,clobbered_before,end" >"$CSV"

total=0
for t in "${tools[@]}"; do
	for f in "${faults[@]}"; do
		ev_applies "$t" "$f" && total=$((total + 1))
	done
done
msg "run $RUN_ID: ${#tools[@]} tool configurations x ${#faults[@]} faults, $total boots, ${EVIDENCE_MS} ms of workload each"
n=0
for t in "${tools[@]}"; do
	for f in "${faults[@]}"; do
		if ! ev_applies "$t" "$f"; then
			echo "$RUN_ID,$t,$f,n/a,,,,,," >>"$CSV"
			continue
		fi
		n=$((n + 1))
		log=$OUTD/$t--$f.log
		ev_boot "$t" "$f" "$EVIDENCE_MS" "$log"
		ev_parse "$log"
		echo "$RUN_ID,$t,$f,$EV_DETECTED,$EV_BY,$EV_OPS,$EV_MS,$EV_SHARED,$EV_CLOBBERED,$EV_END" >>"$CSV"
		info "[$n/$total] $t $f: $(ev_cell)"
	done
done

ev_table "$CSV" "${tools[*]}" "${faults[*]}" | tee "$OUTD/table.txt"
ln -sfn "run-$RUN_ID" "$(dirname "$OUTD")/latest"
msg "table: ${OUTD#"$REPO"/}/table.txt, CSV: ${CSV#"$REPO"/}, logs: ${OUTD#"$REPO"/}/"
