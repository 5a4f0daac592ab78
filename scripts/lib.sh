# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the page_ext consistency workbench. Source, do not run.
# shellcheck shell=bash

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO/build}
ARCH=${ARCH:-x86_64}
# The kernel's name for the architecture, the cross compiler, the image
# that make builds and QEMU boots, and the guest's console.
case $ARCH in
x86_64) KARCH=x86 CROSS_COMPILE= KIMAGE_TARGET=bzImage CONSOLE=ttyS0 ;;
arm64) KARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- KIMAGE_TARGET=Image.gz CONSOLE=ttyAMA0 ;;
um) KARCH=um CROSS_COMPILE= KIMAGE_TARGET=linux CONSOLE= ;;
*) echo "error: ARCH=$ARCH: the workbench supports x86_64 and arm64 (and um for make bench)" >&2; exit 1 ;;
esac
# FLAVOUR=lean: tinyconfig + scripts/config/$ARCH.config (make run, make bench);
# any other flavour adds scripts/config/$FLAVOUR.config and/or
# scripts/config/$ARCH-$FLAVOUR.config: debug (the x86_64 kernel of make
# check), 64k (arm64 with 64K pages).
FLAVOUR=${FLAVOUR:-lean}
case $FLAVOUR in
lean) OBJ_NAME=$ARCH ;;
*) OBJ_NAME=$ARCH-$FLAVOUR ;;
esac

# Directories and top-level files of the repo that are overlaid on the kernel tree.
OVERLAY_ROOTS=(Documentation include kernel mm tools)

# Kernel tree: ours (build/linux, baseline tag pec-base) unless KSRC is set.
# (KSRC pointing at build/linux, e.g. exported by a parent script, is ours too.)
# realpath -m: build/linux need not exist yet (a fresh clone before make tree).
if [[ -n "${KSRC:-}" && "$(realpath -m "$KSRC")" != "$(realpath -m "$BUILD_DIR/linux")" ]]; then
	KSRC=$(cd "$KSRC" 2>/dev/null && pwd) || { echo "error: KSRC=$KSRC does not exist" >&2; exit 1; }
	KBASE=${KBASE:-HEAD}
	OWN_TREE=0
else
	KSRC=$BUILD_DIR/linux
	KBASE=${KBASE:-pec-base}
	OWN_TREE=1
fi
if ((OWN_TREE)); then
	OBJ=${OBJ:-$BUILD_DIR/obj/$OBJ_NAME}
	KUNIT_OBJ=${KUNIT_OBJ:-$BUILD_DIR/obj/kunit-um}
else
	# One object dir per user tree: never mix two source trees in one O=.
	tree_id=$(basename "$KSRC")-$(printf '%s' "$KSRC" | sha1sum | cut -c1-8)
	OBJ=${OBJ:-$BUILD_DIR/obj/$OBJ_NAME-$tree_id}
	KUNIT_OBJ=${KUNIT_OBJ:-$BUILD_DIR/obj/kunit-um-$tree_id}
fi
LOG_DIR=${LOG_DIR:-$BUILD_DIR/logs}
INITRAMFS=${INITRAMFS:-$BUILD_DIR/initramfs-$ARCH.cpio.gz}
if [[ $ARCH == um ]]; then KIMAGE=$OBJ/linux; else KIMAGE=$OBJ/arch/$KARCH/boot/$KIMAGE_TARGET; fi
# The Debian package the kernel tree comes from, and the version of it that
# the overlay is tested on (the pin: scripts/linux-source.version, which
# make rebase rewrites). LINUX_TARBALL is the installed package's tarball.
LINUX_PKG=linux-source-6.12
PIN_FILE=$REPO/scripts/linux-source.version
LINUX_TARBALL=${LINUX_TARBALL:-/usr/src/$LINUX_PKG.tar.xz}
JOBS=${JOBS:-$(nproc)}
# Outside the repo so that fresh clones (CI) on the same machine share it.
export CCACHE_DIR=${CCACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/page_ext_consistency/ccache}

# use_flavour FLAVOUR [ARCH]: switch the paths above (OBJ, KIMAGE, ...) to
# that kernel; for scripts and test groups that work on one kernel.
use_flavour() {
	export FLAVOUR=$1 ARCH=${2:-$ARCH}
	unset OBJ KUNIT_OBJ KIMAGE INITRAMFS
	# shellcheck source=scripts/lib.sh
	. "$REPO/scripts/lib.sh"
}

# kmake ARGS...: make in the kernel tree for $ARCH, with ccache.
kmake() {
	make -C "$KSRC" O="$OBJ" ARCH="$KARCH" ${CROSS_COMPILE:+CROSS_COMPILE=$CROSS_COMPILE} \
		CC="ccache ${CROSS_COMPILE}gcc" "$@"
}

# logged_build LOG WHAT CMD...: run a kernel build (CMD) with its output
# appended to LOG and print a line every PROGRESS_SECS (30) seconds: the time so far and
# kbuild's lines so far, against the count of the largest earlier build
# logged to LOG (kept in LOG.objects). Returns CMD's exit status.
logged_build() {
	local log=$1 what=$2 pid start=$SECONDS next n steps of='' rc=0 every=${PROGRESS_SECS:-30}
	shift 2
	[[ -s $log.objects ]] && of=$(<"$log.objects")
	"$@" >>"$log" 2>&1 &
	pid=$!
	next=$((SECONDS + every))
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		((SECONDS >= next)) || continue
		next=$((SECONDS + every))
		n=$(build_objects "$log")
		# kunit.py keeps kbuild's lines to itself: then only the time.
		steps=
		((n == 0)) || steps=", $n${of:+ of about $of} build steps"
		info "$what: $((SECONDS - start)) s$steps (log: ${log#"$REPO"/})"
	done
	wait "$pid" || rc=$?
	n=$(build_objects "$log")
	((rc != 0 || n <= ${of:-0})) || printf '%s\n' "$n" >"$log.objects"
	return "$rc"
}
# build_shown: scripts/build.sh for the current ARCH and FLAVOUR inside a
# test group, its progress lines (==> and the indented ones) shown as they
# come, its whole output in BUILD_OUT. Returns build.sh's exit status.
build_shown() {
	local f rc
	f=$(mktemp "${TMPDIR:-/tmp}/pec-build.XXXXXX")
	{
		rc=0
		"$REPO/scripts/build.sh" 2>&1 || rc=$?
		echo "$rc" >"$f.rc"
	} | tee "$f" |
		grep --line-buffered -E '^(==> |    [^ ])' || true
	BUILD_OUT=$(<"$f")
	rc=$(<"$f.rc")
	rm -f "$f" "$f.rc"
	return "$rc"
}
# build_objects LOG: kbuild's short lines ("  CC      mm/page_alloc.o") in LOG.
build_objects() { grep -cE '^  [A-Z0-9_]+( \[M\])? +[^ ]' "$1" || true; }

msg() { printf '==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# All overlay files (tracked + untracked-not-ignored), repo-relative, one per line.
overlay_files() {
	local roots=() r
	for r in "${OVERLAY_ROOTS[@]}"; do
		[[ -e $REPO/$r ]] && roots+=("$r")
	done
	{
		if ((${#roots[@]})); then
			git -C "$REPO" ls-files -co --exclude-standard -- "${roots[@]}"
		fi
		git -C "$REPO" ls-files -co --exclude-standard -- ':(glob)*.patch'
	} | while IFS= read -r f; do [[ -f $REPO/$f ]] && printf '%s\n' "$f"; done | sort -u
}

# Overlay .patch files (repo-relative) and the kernel file each one modifies.
overlay_patches() { overlay_files | grep '\.patch$' || true; }
overlay_new_files() { overlay_files | grep -v '\.patch$' || true; }
patch_target() { printf '%s\n' "${1%.patch}"; }

# True when the overlay has no files at all (nothing written yet).
overlay_empty() { [[ -z "$(overlay_files)" ]]; }

# clean_worktree DIR REV: DIR as a clean, detached worktree of $KSRC at REV,
# reusing it when it already is one (an interrupted git am is aborted).
clean_worktree() {
	local dir=$1 rev=$2
	if [[ -e $dir/.git ]] && [[ "$(git -C "$dir" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)" == "$(git -C "$KSRC" rev-parse --path-format=absolute --git-common-dir)" ]]; then
		git -C "$dir" am --abort >/dev/null 2>&1 || true
		git -C "$dir" checkout -q --detach "$rev" &&
			git -C "$dir" reset -q --hard "$rev" &&
			git -C "$dir" clean -q -fdx
	else
		rm -rf "$dir"
		git -C "$KSRC" worktree prune
		mkdir -p "$(dirname "$dir")"
		git -C "$KSRC" worktree add -q --detach "$dir" "$rev"
	fi
}

# --- the Debian kernel source ---------------------------------------------------
# pinned_version: the tested Debian version of $LINUX_PKG.
pinned_version() {
	local v
	v=$(grep -v '^#' "$PIN_FILE" 2>/dev/null | awk 'NF { print $1; exit }')
	[[ -n $v ]] || die "no version in ${PIN_FILE#"$REPO"/}"
	printf '%s\n' "$v"
}
# installed_version: the installed version of $LINUX_PKG (empty if none).
installed_version() {
	dpkg-query -W -f='${Status} ${Version}\n' "$LINUX_PKG" 2>/dev/null |
		awk '$3 == "installed" { print $4 }'
}
# archive_versions: every version of $LINUX_PKG the package lists offer.
archive_versions() {
	apt-cache madison "$LINUX_PKG" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); if ($2 != "") print $2 }' | sort -u
}
# newest_version V...: the highest of the Debian versions given.
newest_version() {
	local v best=
	for v; do
		if [[ -z $best ]] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
	done
	printf '%s\n' "$best"
}
# fetch_linux_source VERSION: download that version of $LINUX_PKG into
# build/debian (apt-get download: the installed package is not touched) and
# print the path of its source tarball.
fetch_linux_source() {
	local v=$1 dir=$BUILD_DIR/debian deb
	mkdir -p "$dir"
	deb=$dir/${LINUX_PKG}_${v//:/%3a}_all.deb
	if [[ ! -s $deb ]]; then
		info "downloading $LINUX_PKG $v (apt-get download, into ${dir#"$REPO"/})" >&2
		(cd "$dir" && apt-get download -q "$LINUX_PKG=$v" >/dev/null 2>&1) ||
			die "apt-get download $LINUX_PKG=$v failed: is that version in the archive? (apt-cache policy $LINUX_PKG)"
	fi
	if [[ ! -s $dir/$v/usr/src/$LINUX_PKG.tar.xz ]]; then
		rm -rf "$dir/$v"
		dpkg-deb -x "$deb" "$dir/$v" || die "dpkg-deb -x $deb failed"
	fi
	printf '%s\n' "$dir/$v/usr/src/$LINUX_PKG.tar.xz"
}
# tree_version [REV]: the Debian version that commit REV ($KBASE) of $KSRC
# was unpacked from, read from its subject (empty if it does not say).
tree_version() {
	git -C "$KSRC" log -1 --format=%s "${1:-$KBASE}" -- 2>/dev/null |
		sed -nE "s/.*\(Debian $LINUX_PKG ([^ )]+)\)\$/\1/p"
}

# unpack_linux_source TARBALL VERSION DIR [TAG]: the tarball's tree as a
# git commit in DIR, tagged TAG ($KBASE). A new DIR becomes a new repository; an
# existing one (a tree of another version, already reset to its baseline)
# gets the new version as a commit on top of the old, with only the files
# that differ rewritten. So incremental builds stay valid, and the old
# version's blobs stay in the repository for three-way merges.
unpack_linux_source() {
	local tarball=$1 version=$2 dir=$3 tag=${4:-$KBASE} tmp top
	local g=(git -C "$dir" -c user.name=base -c user.email=base@localhost -c init.defaultBranch=master)
	mkdir -p "$BUILD_DIR"
	tmp=$(mktemp -d "$BUILD_DIR/unpack.XXXXXX")
	msg "unpacking $LINUX_PKG $version into ${dir#"$REPO"/}..."
	# -m: every file gets the time of unpacking, newer than any object
	# that an older tree left in build/obj.
	tar -xmf "$tarball" -C "$tmp"
	top=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d | head -n1)
	[[ -n $top && -f $top/Makefile ]] || die "unexpected tarball layout in $tarball"
	# Debian's .gitignore ignores everything at the top level; drop that block.
	python3 - "$top/.gitignore" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split('\n')
marker = '# Debian packaging: ignore everything at the top level'
cut = [i for i, l in enumerate(lines) if l.startswith(marker)]
if not cut:
    sys.exit('the Debian block was not found in .gitignore; check the tarball')
lines = lines[:cut[0]]
while lines and lines[-1] == '':
    lines.pop()
open(p, 'w').write('\n'.join(lines) + '\n')
PY
	if [[ -e $dir/.git ]]; then
		rsync -rlp --checksum --delete --exclude=/.git "$top/" "$dir/"
		rm -rf "$tmp"
	else
		mkdir -p "$(dirname "$dir")"
		mv "$top" "$dir"
		rm -rf "$tmp"
		"${g[@]}" init -q
	fi
	local kv
	kv=$(make -s -C "$dir" kernelversion)
	info "committing Linux $kv ($LINUX_PKG $version)..."
	"${g[@]}" add -A
	"${g[@]}" commit -q --allow-empty -m "Linux $kv (Debian $LINUX_PKG $version)"
	"${g[@]}" tag -f "$tag" >/dev/null
}

# three_way_patch PATCH THEIRS OUT: apply the one-file git diff PATCH to
# the file THEIRS by a three-way merge: the diff's own preimage (the blob on
# its "index" line, looked up in $KSRC's repository) with the diff applied,
# merged with THEIRS against that preimage. OUT gets the result. Returns 0
# for a clean merge, 1 for conflicts (OUT has the conflict markers), 2 when
# the preimage is not in the repository.
three_way_patch() {
	local p=$1 theirs=$2 out=$3 pre d rc=0
	pre=$(awk '/^index / { sub(/\.\..*/, "", $2); print $2; exit }' "$p")
	[[ -n $pre ]] && git -C "$KSRC" cat-file -e "$pre^{blob}" 2>/dev/null || return 2
	d=$(mktemp -d "${TMPDIR:-/tmp}/pec-3way.XXXXXX")
	git -C "$KSRC" cat-file blob "$pre" >"$d/base"
	cp "$d/base" "$d/ours"
	if ! patch -s -f --no-backup-if-mismatch -r - "$d/ours" <"$p" >/dev/null 2>&1; then
		rm -rf "$d"
		return 2
	fi
	[[ -e $theirs ]] && cp "$theirs" "$d/theirs" || : >"$d/theirs"
	git merge-file -q -L overlay -L "tested baseline" -L "this tree" "$d/ours" "$d/base" "$d/theirs" || rc=1
	cp "$d/ours" "$out"
	rm -rf "$d"
	return "$rc"
}

# die_rebase_needed PATCH PATCH_OUTPUT: the error for an overlay diff that
# neither applies nor merges: the file and the hunks that failed (from the
# output of patch(1)), the tested and the found version, and what to run.
die_rebase_needed() {
	local p=$1 out=$2 hunks found
	hunks=$(awk -v p="$REPO/$p" '
		/^Hunk #[0-9]+ FAILED at / {
			n = $2; sub(/#/, "", n); at = $5; sub(/\.$/, "", at); k = 0
			while ((getline l < p) > 0)
				if (l ~ /^@@ / && ++k == n) break
			close(p)
			printf "    hunk #%d, at line %s: %s\n", n, at, l
		}' <<<"$out")
	found=$(tree_version)
	die "overlay $p does not apply to $(patch_target "$p") of $KSRC, not even with a three-way merge:
${hunks:-$out}
  The overlay is tested on $LINUX_PKG $(pinned_version) (${PIN_FILE#"$REPO"/});
  this tree is ${found:+$LINUX_PKG }${found:-$KBASE = $(git -C "$KSRC" rev-parse --short "$KBASE")}.
  To rebase the overlay onto it: make rebase KVER=${found:-<debian version>}"
}

# refuse_unsynced_edits WHY: stop if a file of $KSRC differs both from the
# baseline and from what the last apply installed (an edit not synced back).
refuse_unsynced_edits() {
	local state path sha edits=()
	declare -A applied=()
	state=$(apply_state_file)
	if [[ -f $state ]]; then
		while read -r sha path; do [[ -n $path ]] && applied[$path]=$sha; done <"$state"
	fi
	while IFS= read -r path; do
		sha=absent
		[[ -e $KSRC/$path ]] && sha=$(git -C "$KSRC" hash-object --no-filters -- "$path")
		[[ ${applied[$path]:-} == "$sha" ]] || edits+=("$path")
	done < <(git -C "$KSRC" status --porcelain -uall --no-renames | cut -c4-)
	((${#edits[@]} == 0)) ||
		die "$1, but these files of $KSRC have edits that are not in the overlay: ${edits[*]}; run 'make sync-back' to keep them (or 'make distclean' to drop the tree)"
}

# move_tree REV: reset $KSRC (ours) to REV, a baseline commit, with the
# overlay's files dropped (make apply puts them back).
move_tree() {
	git -C "$KSRC" reset -q --hard "$1"
	git -C "$KSRC" clean -q -fd
	git -C "$KSRC" tag -f "$KBASE" "$1" >/dev/null
	rm -f "$(apply_state_file)"
}

# apply_state_file: where apply.sh keeps the hash of every file it installed
# in $KSRC (what tells its own writes from hand edits).
apply_state_file() { printf '%s\n' "$BUILD_DIR/apply-state/$(printf '%s' "$KSRC" | sha1sum | cut -c1-12)"; }

require_tree() {
	git -C "$KSRC" rev-parse --verify -q "$KBASE^{commit}" >/dev/null ||
		die "kernel tree $KSRC has no baseline '$KBASE' (run 'make tree', or set KSRC/KBASE)"
}

# --- serial log helpers (LOGFILE = the log to read) ---------------------------
# log_has REGEX: the log has a line matching the extended regex.
log_has() { grep -aqE -- "$1" "$LOGFILE"; }
# log_line_no REGEX: line number of the first match (empty if none).
log_line_no() { grep -anE -m1 -- "$1" "$LOGFILE" | cut -d: -f1; }
# log_job_rc JOB: the rc from "PEC-JOB-END JOB rc=N" (empty if the job did not end).
log_job_rc() { grep -a -m1 "^PEC-JOB-END $1 rc=" "$LOGFILE" | sed 's/.* rc=//'; }
# kunit_py_results LOG: "STATUS<TAB>case" for each case of a kunit.py run
# (STATUS: PASSED, FAILED, SKIPPED, CRASHED); the parameters of a
# parametrized case are folded into the case ("===== [PASSED] test_x =====").
kunit_py_results() {
	sed -n '/Starting KUnit Kernel/,$p' "$1" | sed -E 's/^\[[0-9:]+\] //' | awk '
		/^=+ \[[A-Z]+\] .* =+$/ {
			st = $2; gsub(/[][]/, "", st); nm = $0
			sub(/^=+ \[[A-Z]+\] /, "", nm); sub(/ =+$/, "", nm)
			inparam = 0
			if (nm != suite) printf "%s\t%s\n", st, nm
			next
		}
		/^=+ .* \([0-9]+ subtests\) =+$/ { suite = $2; next }
		/^=+ [^ []+ +=+$/ { inparam = 1; next }
		/^\[(PASSED|FAILED|SKIPPED|CRASHED)\] / {
			if (inparam) next
			st = $1; gsub(/[][]/, "", st); nm = $0; sub(/^\[[A-Z]+\] /, "", nm)
			printf "%s\t%s\n", st, nm
		}'
}
# report_kunit_py NAME LOG RC BUILD_DIR: in a test group, one line per case
# of a kunit.py run, then one for the run itself (RC: kunit.py's exit code;
# skip reasons come from the raw KTAP that kunit.py keeps in
# BUILD_DIR/test.log).
report_kunit_py() {
	local n=$1 log=$2 rc=$3 raw=$4/test.log status name why
	while IFS=$'\t' read -r status name; do
		case $status in
		PASSED) pass "$n:$name" ;;
		SKIPPED)
			why=$(grep -a -m1 -E "^\[[ 0-9.]+\] +ok [0-9]+ ${name//[^A-Za-z0-9_]/.} # SKIP" "$raw" 2>/dev/null | sed 's/.*# SKIP *//' || true)
			skip "$n:$name" "${why:-see ${raw#"$REPO"/}}"
			;;
		*) fail "$n:$name" "$status (log: ${log#"$REPO"/})" ;;
		esac
	done < <(kunit_py_results "$log")
	if ((rc == 0)); then
		pass "$n"
	else
		fail "$n" "kunit.py exited $rc: $(grep -a -m1 -E 'Testing complete|ERROR|error:|Error' "$log" || tail -n1 "$log") (log: ${log#"$REPO"/})"
	fi
}
# pec_stats: the "key: value" lines printed between PEC-STATS-BEGIN and -END.
pec_stats() {
	sed -n '/^PEC-STATS-BEGIN/,/^PEC-STATS-END/p' "$LOGFILE" | grep -aE '^[A-Za-z0-9_]+: ' || true
}
# log_kv PREFIX KEY: KEY=value from the first log line starting with PREFIX.
log_kv() {
	grep -a -m1 "^$1 " "$LOGFILE" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }'
}
# pec_stat KEY: one value from the stats block (empty if absent).
pec_stat() { pec_stats | awk -v k="$1:" '$1 == k { print $2; exit }'; }
