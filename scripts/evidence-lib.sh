# SPDX-License-Identifier: GPL-2.0
# The evidence runs' tool configurations, faults, boot and log reading:
# shared by scripts/evidence.sh (make evidence) and the short form in make
# check (scripts/tests/evidence.sh). Source after lib.sh.
# shellcheck shell=bash

# The faults of mm/page_ext_consistency_evidence.c, in table order.
EV_FAULTS="two-lists order-up buddy-clear buddy-set double-free double-free-tail double-free-order"
EV_FAULTS+=" free-after-reuse freed-mapped"
EV_FAULTS+=" list-bit list-2bit list-word"
EV_FAULTS+=" record-bit record-2bit record-word record-row-zero record-row-flip"
# shellcheck disable=SC2034 # used by scripts/evidence.sh
EV_TOOLS="none Debian memprof_debug DEBUG_VM page_owner page_table_check debug_pagealloc KASAN"
EV_TOOLS+=" checker Debian+checker checker+DEBUG_VM"

# ev_tool_kernel TOOL: the kernel (FLAVOUR) of a tool configuration.
ev_tool_kernel() {
	case $1 in
	none | page_owner | page_table_check | debug_pagealloc | checker) echo evidence ;;
	DEBUG_VM | checker+DEBUG_VM) echo evidence-vm ;;
	KASAN) echo evidence-kasan ;;
	Debian | Debian+checker) echo evidence-debian ;;
	memprof_debug) echo evidence-prof ;;
	*) return 1 ;;
	esac
}

# ev_tool_append TOOL: its boot parameters.
ev_tool_append() {
	case $1 in
	page_owner) echo page_owner=on ;;
	page_table_check) echo page_table_check=on ;;
	debug_pagealloc) echo debug_pagealloc=on ;;
	checker | checker+DEBUG_VM | Debian+checker) echo page_ext_consistency=on ;;
	*) echo ;;
	esac
}

# ev_applies TOOL FAULT: whether the pair runs (the record exists only with
# the checker on).
ev_applies() { [[ $2 != record-* || $1 == *checker* ]]; }

# ev_boot TOOL FAULT MS LOG [KERNEL]: one boot of the evidence job. The
# kernel defaults to the tool's. A crashed boot ends at once (oops=panic),
# and so does a hung one, at its first RCU stall warning (a fault can leave
# a per-CPU list count that a free loop never reaches, with interrupts off).
EV_APPEND="oops=panic panic=-1 sysctl.kernel.panic_on_rcu_stall=1 rcupdate.rcu_cpu_stall_timeout=10"
ev_boot() {
	local tool=$1 fault=$2 ms=$3 log=$4 kernel=${5:-}
	[[ -n $kernel ]] || kernel=$(ev_tool_kernel "$tool")
	# Single-threaded TCG: see TCG_THREAD in scripts/qemu.sh (the checker
	# patches a static key at boot).
	FLAVOUR=$kernel JOB=evidence TIMEOUT=${EV_TIMEOUT:-90} LOG=$log QUIET=1 TCG_THREAD=single \
		APPEND="$(ev_tool_append "$tool") $EV_APPEND pec.fault=$fault pec.ms=$ms" \
		"$REPO/scripts/qemu.sh" >/dev/null 2>&1 || true
}

# ev_parse LOG: read one boot. Sets EV_DETECTED (1, 0, or error), EV_BY (the
# first report after the fault, classified), EV_OPS (allocations and frees
# from the fault to it), EV_MS (its console time after the fault's line),
# EV_SHARED, EV_CLOBBERED (two owners wrote a page before any report) and
# EV_END (time, report, panic, or what went wrong).
ev_parse() {
	local log=$1 res kv
	EV_DETECTED=error EV_BY='' EV_OPS='' EV_MS='' EV_SHARED='' EV_CLOBBERED='' EV_END=''
	# The fault's line may be lost when another CPU's report panics the
	# kernel before it is printed; the result line says the fault ran.
	if ! grep -aqE 'PEC-EVIDENCE (inject|result) fault=' "$log"; then
		EV_END=$(grep -a -m1 -oE 'PEC-EVIDENCE unavailable.*|PEC-ERROR.*' "$log" || echo "no fault injected")
		EV_END=${EV_END//,/;}
		return 0
	fi
	res=$(grep -a -m1 -oE 'PEC-EVIDENCE result .*' "$log" || true)
	if [[ -z $res ]]; then
		EV_END=timeout
	else
		for kv in $res; do
			# shellcheck disable=SC2034 # EV_SHARED: in scripts/evidence.sh's CSV
			case $kv in
			detected=*) EV_DETECTED=${kv#*=} ;;
			ops=*) EV_OPS=${kv#*=} ;;
			ms=*) EV_MS=${kv#*=} ;;
			shared=*) EV_SHARED=${kv#*=} ;;
			clobbered_before=*) EV_CLOBBERED=${kv#*=} ;;
			end=*) EV_END=${kv#*=} ;;
			esac
		done
	fi
	# The first report after the job began (the boot's own lines come
	# before), and its console time after the fault's line.
	local first
	first=$(awk '
		function ts(s) { if (match(s, /^\[ *[0-9]+\.[0-9]+\]/)) { s = substr(s, RSTART + 1, RLENGTH - 2); return s + 0 } return -1 }
		/^PEC-JOB-BEGIN evidence/ { on = 1; t0 = -1; next }
		/PEC-EVIDENCE inject fault=/ { t0 = ts($0); on = 1; next }
		!on { next }
		/PEC-EVIDENCE result / { exit }
		by == "" {
			l = $0; sub(/^\[ *[0-9]+\.[0-9]+\] /, "", l)
			if (match(l, /BUG: page_ext_consistency: [a-z-]+/)) by = "checker:" substr(l, RSTART + 27, RLENGTH - 27)
			else if (l ~ /BUG: Bad page state/) { by = "bad-page"; why = 1 }
			else if (l ~ /BUG: Bad page map/) by = "bad-page-map"
			else if (l ~ /BUG: Bad rss-counter/) by = "bad-rss-counter"
			else if (match(l, /BUG: KASAN: [a-z-]+/)) by = "KASAN:" substr(l, RSTART + 12, RLENGTH - 12)
			else if (match(l, /list_(add|del) (corruption|double add)/)) by = "DEBUG_LIST:" substr(l, RSTART, 8)
			else if (l ~ /kernel BUG at mm\/page_table_check\.c/) by = "page_table_check"
			else if (match(l, /kernel BUG at [^:!]+/)) { f = substr(l, RSTART + 14, RLENGTH - 14); sub(/.*\//, "", f); by = "BUG_ON:" f }
			else if (match(l, /WARNING: CPU: [0-9]+ PID: [0-9]+ at [^: ]+/)) { f = substr(l, RSTART, RLENGTH); sub(/.* at /, "", f); sub(/.*\//, "", f); by = "WARN:" f }
			else if (l ~ /BUG: kernel NULL pointer dereference/) by = "oops:NULL-pointer"
			else if (l ~ /general protection fault/) by = "oops:GPF"
			else if (l ~ /BUG: unable to handle page fault/) by = "oops:page-fault"
			else if (l ~ /^Oops:/) by = "oops"
			else if (l ~ /Kernel panic - not syncing/) by = "panic"
			if (by != "") t1 = ts($0)
			next
		}
		why && match($0, /page dumped because: .*/) { by = by "(" substr($0, RSTART + 21) ")"; why = 0 }
		END { if (by != "") printf "%s\t%s\n", by, t0 < 0 || t1 < t0 ? "" : int((t1 - t0) * 1000 + 0.5) }' "$log")
	if [[ -n $first ]]; then
		EV_BY=${first%$'\t'*}
		EV_BY=${EV_BY//,/;}
		[[ -z ${first##*$'\t'} ]] || EV_MS=${first##*$'\t'}
		# A report, then no result: the kernel hung after it.
		[[ $EV_DETECTED != error ]] || EV_DETECTED=1
	elif [[ $EV_DETECTED == 1 ]]; then
		EV_BY=taint
	fi
}

# ev_cell: the last parsed boot, in words.
ev_cell() {
	local s
	case $EV_DETECTED in
	1) s="found by $EV_BY after ${EV_OPS:-?} ops, $EV_MS ms" ;;
	0) s="not found in $EV_OPS ops" ;;
	*) s="no result: $EV_END" ;;
	esac
	[[ $EV_CLOBBERED == 1 ]] && s+=", two owners wrote a page first"
	[[ $EV_DETECTED != 1 || $EV_END != timeout ]] || s+=", then the kernel hung"
	echo "$s"
}

# ev_table CSV "TOOLS" "FAULTS": the table of a run.
ev_table() {
	python3 "$REPO/scripts/evidence-table.py" "$@"
}
