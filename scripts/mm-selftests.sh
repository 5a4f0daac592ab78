#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the kernel's own mm selftests (tools/testing/selftests/mm of the
# tree, overlay applied) statically, and pack them with run_vmtests.sh and a
# static bash into build/mm-selftests-$ARCH.cpio.gz, an initramfs piece that
# qemu.sh appends to the initramfs (INITRD_EXTRA) so that they appear as /mm
# in the guest. Rebuilt only when the tree's selftests or headers, this
# script or bash-static changed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
require_tree

SRC=$KSRC/tools/testing/selftests/mm
OUT=$BUILD_DIR/mm-selftests/$ARCH
CPIO=$BUILD_DIR/mm-selftests-$ARCH.cpio.gz
BASH_STATIC=${BASH_STATIC:-/bin/bash-static}
[[ -d $SRC ]] || die "no $SRC; is $KSRC a kernel tree?"
[[ -x $BASH_STATIC ]] || die "$BASH_STATIC missing; run 'make deps' (bash-static)"
case $ARCH in
x86_64) cross=() ;;
arm64) cross=(CROSS_COMPILE=aarch64-linux-gnu-) ;;
*) die "mm selftests: ARCH=$ARCH is not supported" ;;
esac
karch=${ARCH/x86_64/x86}

# The UAPI headers of this tree, for the selftests' KHDR_INCLUDES.
hdr=$BUILD_DIR/mm-selftests/headers-$ARCH
sum=$( (cd "$KSRC" && git ls-files -s -- include/uapi "arch/$karch/include/uapi" tools/testing/selftests/mm \
	tools/testing/selftests/kselftest.h tools/testing/selftests/kselftest_harness.h tools/testing/selftests/lib.mk;
	git diff "$KBASE" -- tools/testing/selftests include/uapi; sha1sum "$REPO/scripts/mm-selftests.sh" "$BASH_STATIC") | sha1sum | cut -c1-40)
if [[ -f $CPIO && $(cat "$CPIO.stamp" 2>/dev/null) == "$sum" ]]; then
	msg "mm selftests up to date: $CPIO"
	exit 0
fi

msg "installing UAPI headers for the mm selftests ($ARCH)..."
rm -rf "$hdr"
make -s -C "$KSRC" ARCH="$karch" "${cross[@]}" O="$hdr.obj" INSTALL_HDR_PATH="$hdr" headers_install >/dev/null

msg "building the mm selftests statically ($ARCH, -j$JOBS; log $OUT.log)..."
rm -rf "$OUT"
mkdir -p "$OUT"
start=$SECONDS
# ARCH as uname -m names it (the Makefile picks the 64-bit-only programs,
# write_to_hugetlbfs among them, by it); -static for every program; the
# 32-bit protection_keys need a multilib
# toolchain, which the Makefile detects and skips. khugepaged.c of this
# tree returns KSFT_SKIP without including kselftest.h, which defines it as
# 4: the same definition on the command line builds it and changes nothing
# for the others.
if ! make -C "$SRC" -j"$JOBS" ARCH="$ARCH" "${cross[@]}" OUTPUT="$OUT" \
	KHDR_INCLUDES="-isystem $hdr/include" EXTRA_CFLAGS=-DKSFT_SKIP=4 \
	LDFLAGS="-static -s" >"$OUT.log" 2>&1; then
	grep -E 'error|Error' "$OUT.log" | head -20 >&2 || true
	die "mm selftests build failed; full log: $OUT.log"
fi
msg "mm selftests built in $((SECONDS - start)) s: $(find "$OUT" -maxdepth 1 -type f -perm -u+x | wc -l) programs"

root=$BUILD_DIR/mm-selftests/root-$ARCH
rm -rf "$root"
mkdir -p "$root/mm" "$root/bin"
find "$OUT" -maxdepth 1 -type f -perm -u+x -exec cp {} "$root/mm/" \;
# run_vmtests.sh and the scripts it calls, from the tree.
for f in run_vmtests.sh charge_reserved_hugetlb.sh hugetlb_reparenting_test.sh \
	write_hugetlb_memory.sh test_vmalloc.sh test_hmm.sh va_high_addr_switch.sh; do
	[[ -f $SRC/$f ]] && install -m 0755 "$SRC/$f" "$root/mm/$f"
done
install -m 0755 "$BASH_STATIC" "$root/bin/bash"
# charge_reserved_hugetlb.sh waits on "pgrep -f", which Debian's busybox
# does not have.
cat >"$root/bin/pgrep" <<'EOF'
#!/bin/sh
# pgrep [-f] PATTERN: the PIDs whose command line contains PATTERN.
[ "$1" = -f ] && shift
for d in /proc/[0-9]*; do
	pid=${d#/proc/}
	[ "$pid" = $$ ] && continue
	cmd=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null) || continue
	case $cmd in *"$1"*) echo "$pid" ;; esac
done
EOF
chmod 0755 "$root/bin/pgrep"
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio -o -H newc -0 --quiet -R 0:0) |
	gzip -6n >"$CPIO.tmp"
mv "$CPIO.tmp" "$CPIO"
printf '%s\n' "$sum" >"$CPIO.stamp"
msg "mm selftests: $CPIO ($(du -h "$CPIO" | cut -f1))"
