# SPDX-License-Identifier: GPL-2.0
# The short form of make evidence: the lean kernel (which carries the fault
# module, CONFIG_PAGE_EXT_CONSISTENCY_EVIDENCE) with the checker on, one boot
# per fault, so that the documentation's claims about what the checker finds
# cannot rot. Each boot must report the class the table in
# Documentation/mm/page_ext_consistency.rst gives; the faults that leave the
# allocator's state consistent must not make the checker report at all.
# The free-list pointer faults and two-lists are not here: what they do next
# depends on what the bad pointer lands on (make evidence records it).
# shellcheck shell=bash

. "$REPO/scripts/evidence-lib.sh"

# fault -> the checker's class it must report (an extended regex of
# classes), or "none". A free page whose record reads ALLOCATED is a double
# allocation when it is handed out, or an allocated buddy when a free meets
# it first. free-after-reuse is "none" because its second free meets a page
# that is allocated (to its new owner): the record agrees with the
# allocator, and the checker cannot tell the two owners apart.
EV_EXPECT=(
	order-up=double-alloc
	buddy-set=buddy-allocated
	double-free=bad-free
	double-free-tail=bad-free
	double-free-order=bad-free
	record-bit=corrupt-record
	record-2bit='double-alloc|buddy-allocated'
	record-word=corrupt-record
	record-row-zero=corrupt-record
	record-row-flip=corrupt-record
	buddy-clear=none
	freed-mapped=none
	free-after-reuse=none
)

test_evidence_fault() {
	local fault=$1 want=$2 n=evidence:$1 log=$LOG_DIR/check-evidence-$1.log
	ev_boot checker "$fault" "${EVIDENCE_MS:-2000}" "$log" lean
	ev_parse "$log"
	if [[ $EV_DETECTED == error ]]; then
		fail "$n" "no result: $EV_END (log: ${log#"$REPO"/})"
	elif [[ $want == none ]]; then
		# Up to the result line: after it, the exiting process's unmap
		# of a page freed under it may free someone else's page, which
		# the checker rightly reports.
		if [[ $EV_BY == checker:* ]]; then
			fail "$n" "the checker reported a fault that leaves the record consistent: $EV_BY (log: ${log#"$REPO"/})"
		else
			pass "$n"
			info "$(ev_cell)"
		fi
	elif [[ $EV_DETECTED == 1 && $EV_BY =~ ^checker:($want)$ ]]; then
		pass "$n"
		info "$(ev_cell)"
	else
		fail "$n" "want a checker report of class $want, got: $(ev_cell) (log: ${log#"$REPO"/})"
	fi
}

group_evidence() {
	local e
	use_flavour lean
	"$REPO/scripts/build.sh"
	"$REPO/scripts/initramfs.sh"
	mkdir -p "$LOG_DIR"
	for e in "${EV_EXPECT[@]}"; do
		test_evidence_fault "${e%%=*}" "${e#*=}"
	done
}
