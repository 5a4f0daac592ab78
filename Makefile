# SPDX-License-Identifier: GPL-2.0
# Workbench for the page_ext consistency checker. 'make help' lists targets.
#
# Variables passed through to the scripts:
#   KSRC=/path/to/linux  use your own kernel git tree (baseline KBASE, default HEAD)
#   KBASE=ref            baseline the overlay applies to
#   KVER=version         make rebase: the Debian linux-source-6.12 to move onto
#   KVM=1                boot with KVM instead of TCG
#   TCG_THREAD=single    one host thread for all vCPUs (default: multi-threaded)
#   W=1                  kernel build with extra warnings
#   JOBS=N               parallel build jobs (default: nproc)
#   T="group ..."        make check: run only these test groups
#   FULL=1               make check: the long form (arm64 64K pages, the longest mm selftests)
#   FLAVOUR=debug        the debug kernel (default lean: make run, make bench)
#   FORCE=1              make apply: overwrite edits made in the tree

export ARCH KSRC KBASE KVER KVM TCG_THREAD W JOBS T FULL FORCE APPEND JOB TIMEOUT FLAVOUR EVIDENCE_MS EVIDENCE_TOOLS EVIDENCE_FAULTS

S := scripts

.PHONY: help deps tree apply build initramfs run demo check sync-back rebase rebase-continue rebase-abort series bench evidence clean distclean

help:
	@echo "page_ext consistency checker workbench"
	@echo ""
	@echo "  make run        build, boot under QEMU with the checker on, print stats and a verdict"
	@echo "  make demo       a real report: a bad free caught in warn mode (page_owner=on), read"
	@echo "                  line by line, then the same in panic mode"
	@echo "  make check      all tests (checkpatch, QEMU boots, KUnit); ends with 'N passed, N failed, N skipped'"
	@echo "  make deps       install host packages (Debian 12; no-op when present)"
	@echo "  make tree       unpack linux-source-6.12 into build/linux (git, tag pec-base); the"
	@echo "                  version the overlay is tested on: scripts/linux-source.version"
	@echo "  make apply      apply the overlay (new files + *.patch) to the kernel tree"
	@echo "  make build      apply + configure + build bzImage into build/obj/x86_64 (ccache;"
	@echo "                  FLAVOUR=debug: the debug kernel, build/obj/x86_64-debug)"
	@echo "  make initramfs  build build/initramfs-<arch>.cpio.gz (busybox, scripts/guest)"
	@echo "  make sync-back  copy edits made in the kernel tree back into the overlay"
	@echo "  make rebase KVER=<debian version>"
	@echo "                  move the overlay onto another linux-source-6.12 (three-way, git rebase);"
	@echo "                  on a conflict: edit, git add, make rebase-continue (or rebase-abort)"
	@echo "  make series     export the upstream patch series to build/series/out (OUT=dir)"
	@echo "  make bench      benchmarks: checker off/on/page_owner/not built, x86_64 (QEMU) and UML;"
	@echo "                  table + build/bench/results.csv + ratios.png (ARCH=x86_64|um ROUNDS=N)"
	@echo "  make evidence   the same allocator faults against DEBUG_VM, Debian's production options,"
	@echo "                  allocation profiling, page_owner, page_table_check, debug_pagealloc,"
	@echo "                  KASAN and the checker, one boot each: a table +"
	@echo "                  build/evidence/latest/results.csv (EVIDENCE_MS=N EVIDENCE_TOOLS= EVIDENCE_FAULTS=)"
	@echo "  make clean      remove build outputs (keeps the kernel tree and ccache)"
	@echo "  make distclean  remove build/ entirely (kernel tree, objects, logs)"
	@echo ""
	@echo "  Variables: KSRC=<your tree> KBASE=<ref> FLAVOUR=lean|debug KVM=1 TCG_THREAD=single W=1"
	@echo "             JOBS=N T=\"<groups>\" FORCE=1"

deps:
	@$(S)/deps.sh

tree:
	@$(S)/tree.sh

apply: tree
	@$(S)/apply.sh

build:
	@$(S)/build.sh

initramfs:
	@$(S)/initramfs.sh

run:
	@$(S)/run.sh

demo:
	@$(S)/demo.sh

check:
	@$(S)/check.sh

sync-back:
	@$(S)/sync-back.sh

rebase:
	@$(S)/rebase.sh start

rebase-continue:
	@$(S)/rebase.sh continue

rebase-abort:
	@$(S)/rebase.sh abort

series:
	@$(S)/series.sh

bench:
	@$(S)/bench.sh

evidence:
	@$(S)/evidence.sh

clean:
	rm -rf build/obj build/logs build/initramfs-* build/mm-selftests*

distclean:
	rm -rf build
