#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build build/initramfs-$ARCH.cpio.gz: busybox-static, scripts/guest/init as
# /init, scripts/guest/*.c as static /bin/<name>, scripts/guest/jobs/* as
# /jobs/*. Rebuilt only when one of those inputs changed.
#
# arm64: busybox from Debian's arm64 busybox-static package (apt-get
# download, unpacked with dpkg-deb: the same busybox as on x86_64), and the
# guest programs built with the cross compiler.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

GUEST=$REPO/scripts/guest
HOST_BUSYBOX=/bin/busybox
case $ARCH in
x86_64) BUSYBOX=${BUSYBOX:-$HOST_BUSYBOX} GUEST_CC=gcc ;;
arm64)
	BUSYBOX=${BUSYBOX:-$BUILD_DIR/busybox-arm64/bin/busybox} GUEST_CC=aarch64-linux-gnu-gcc
	if [[ ! -x $BUSYBOX ]]; then
		msg "fetching Debian's arm64 busybox-static..."
		d=$BUILD_DIR/busybox-arm64
		rm -rf "$d" && mkdir -p "$d/deb"
		(cd "$d/deb" && apt-get download -q busybox-static:arm64 >/dev/null) ||
			die "cannot download busybox-static:arm64; run 'make deps' (adds the arm64 architecture)"
		dpkg-deb -x "$d"/deb/busybox-static_*_arm64.deb "$d"
	fi
	;;
*) die "ARCH=$ARCH: no initramfs for it" ;;
esac
command -v "$GUEST_CC" >/dev/null || die "$GUEST_CC not installed; run 'make deps'"
# The applets of the host's busybox, which is the same Debian busybox. grep
# reads all of the list: with -q it could exit early and, under pipefail,
# fail the check with busybox's SIGPIPE.
[[ -x $BUSYBOX && -x $HOST_BUSYBOX ]] && "$HOST_BUSYBOX" --list 2>/dev/null | grep -x sh >/dev/null ||
	die "$BUSYBOX or $HOST_BUSYBOX is not a static busybox; run 'make deps' (busybox-static)"
[[ -f $GUEST/init ]] || die "missing $GUEST/init"

# The kselftest, from the kernel tree with the overlay applied.
SELFTEST=$KSRC/tools/testing/selftests/mm/page_ext_consistency_test.c

inputs() {
	printf '%s\n' "$BUSYBOX" "$REPO/scripts/initramfs.sh" "$GUEST/init" "$GUEST/lib.sh"
	[[ -f $SELFTEST ]] && printf '%s\n' "$SELFTEST" "$KSRC/tools/testing/selftests/kselftest_harness.h"
	find "$GUEST" -maxdepth 1 -name '*.c' | sort
	[[ -d $GUEST/jobs ]] && find "$GUEST/jobs" -maxdepth 1 -type f | sort
}
stamp=$INITRAMFS.stamp
sum=$(inputs | while IFS= read -r f; do printf '%s ' "${f#"$REPO"/}"; sha1sum <"$f"; done | sha1sum | cut -c1-40)
if [[ -f $INITRAMFS && -f $stamp && $(cat "$stamp") == "$sum" ]]; then
	msg "initramfs up to date: $INITRAMFS"
	exit 0
fi

msg "building initramfs..."
root=$BUILD_DIR/initramfs-$ARCH
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,jobs,etc,root,usr/bin,usr/sbin}
cp "$BUSYBOX" "$root/bin/busybox"
for applet in $("$HOST_BUSYBOX" --list); do
	[[ -e $root/bin/$applet ]] || ln -s busybox "$root/bin/$applet"
done
install -m 0755 "$GUEST/init" "$root/init"
install -D -m 0644 "$GUEST/lib.sh" "$root/lib/pec.sh"
mknod -m 0600 "$root/dev/console" c 5 1 2>/dev/null ||
	warn "cannot mknod /dev/console (not root?); early console output may be lost"
mknod -m 0666 "$root/dev/null" c 1 3 2>/dev/null || true

shopt -s nullglob
for src in "$GUEST"/*.c; do
	name=$(basename "$src" .c)
	info "cc $name"
	"$GUEST_CC" -static -O2 -Wall -o "$root/bin/$name" "$src" ||
		die "cannot compile guest program ${src#"$REPO"/} with $GUEST_CC (needs its static libc: make deps)"
done
if [[ -f $SELFTEST ]]; then
	info "cc page_ext_consistency_test (kselftest)"
	"$GUEST_CC" -static -O2 -Wall -o "$root/bin/page_ext_consistency_test" "$SELFTEST" ||
		die "cannot compile the kselftest ${SELFTEST#"$KSRC"/}"
else
	warn "no kselftest in $KSRC (run 'make apply'); jobs that need it will fail"
fi
for job in "$GUEST"/jobs/*; do
	[[ -f $job ]] && install -m 0755 "$job" "$root/jobs/$(basename "$job")"
done

(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio -o -H newc -0 --quiet -R 0:0) |
	gzip -9n >"$INITRAMFS.tmp"
mv "$INITRAMFS.tmp" "$INITRAMFS"
printf '%s\n' "$sum" >"$stamp"
msg "initramfs: $INITRAMFS ($(du -h "$INITRAMFS" | cut -f1), jobs: $(ls "$root/jobs" | tr '\n' ' '))"
