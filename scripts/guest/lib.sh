# Shared by the guest jobs: . /lib/pec.sh
PEC=/sys/kernel/debug/page_ext_consistency
MEM=/sys/devices/system/memory

# pec_stat KEY: one value from the stats file.
pec_stat() { awk -v k="$1:" '$1 == k { print $2 }' "$PEC/stats"; }

# pec_print_stats: the stats block the host reads.
pec_print_stats() {
	echo PEC-STATS-BEGIN
	cat "$PEC/stats"
	echo PEC-STATS-END
}

# pec_require: fail the job unless the checker is on.
pec_require() {
	[ -r "$PEC/stats" ] && return 0
	echo "PEC-ERROR: $PEC/stats missing: is the checker enabled (page_ext_consistency=on)?"
	exit 1
}

# pec_tracked: pages with a valid record, i.e. tracked memory.
pec_tracked() {
	awk '/^pages_(free|allocated):/ { s += $2 } END { print s }' "$PEC/stats"
}

# pec_movable_blocks: online memory blocks that can go offline (ZONE_MOVABLE).
pec_movable_blocks() {
	for b in "$MEM"/memory[0-9]*; do
		[ "$(cat "$b/state")" = online ] || continue
		[ "$(cat "$b/valid_zones")" = Movable ] && echo "$b"
	done
}

# pec_now: seconds since boot.
pec_now() { cut -d. -f1 /proc/uptime; }
