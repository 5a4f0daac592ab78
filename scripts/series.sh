#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make series: export the overlay as an upstream patch series (git
# format-patch, with a cover letter) against the base tree.
#
# The cut (which overlay file goes into which patch) is scripts/series/cut;
# the subjects and commit messages are scripts/series/<patch>.txt and the
# cover letter template scripts/series/00-cover.txt. The patches are built as
# commits in a separate worktree of the kernel tree (build/series/linux, reset
# to the base on every run; build/linux is not touched), then exported.
#
# Author, Signed-off-by and the MAINTAINERS M: line are the git identity of
# this repository (git config user.name / user.email). Only the test group
# may pass a placeholder instead, in PEC_SERIES_TEST_IDENTITY="Name <addr>".
#
#   OUT=dir             output directory (default build/series/out)
#   SUBJECT_PREFIX=...  format-patch subject prefix (default PATCH)
#   SERIES_CUT=file     another cut definition (messages are read next to it)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
require_tree

CUT=${SERIES_CUT:-$REPO/scripts/series/cut}
[[ -f $CUT ]] || die "no cut definition $CUT"
SERIES_DIR=$(cd "$(dirname "$CUT")" && pwd)
WT=${SERIES_TREE:-$BUILD_DIR/series/linux}
OUT=${OUT:-$BUILD_DIR/series/out}
PREFIX=${SUBJECT_PREFIX:-PATCH}

# --- identity -----------------------------------------------------------------
if [[ -n ${PEC_SERIES_TEST_IDENTITY:-} ]]; then
	[[ $PEC_SERIES_TEST_IDENTITY =~ ^([^\<\>]+)\ \<([^\<\> ]+@[^\<\> ]+)\>$ ]] ||
		die "PEC_SERIES_TEST_IDENTITY must look like 'Name <addr@example.invalid>'"
	NAME=${BASH_REMATCH[1]} EMAIL=${BASH_REMATCH[2]}
	warn "using the placeholder test identity '$NAME <$EMAIL>' (PEC_SERIES_TEST_IDENTITY): this series is for testing, do not send it"
else
	NAME=$(git -C "$REPO" config user.name || true)
	EMAIL=$(git -C "$REPO" config user.email || true)
	if [[ -z $NAME || -z $EMAIL ]]; then
		die "git user.name and user.email are not set for $REPO. They become the author, the Signed-off-by and the MAINTAINERS M: line of the series, so set your own:
    git -C $REPO config user.name 'Your Name'
    git -C $REPO config user.email you@example.org"
	fi
fi
IDENT="$NAME <$EMAIL>"
G=(git -C "$WT" -c "user.name=$NAME" -c "user.email=$EMAIL" -c core.hooksPath=/dev/null)

# check_transforms K: the words w[K..] of cut line $where are a sequence of
# transforms, each with its fixed number of arguments.
check_transforms() {
	local k=$1 nargs
	while ((k < ${#w[@]})); do
		case ${w[k]} in
		minus-kconfig | minus-ifdef | minus-include | minus-lines-with) nargs=1 ;;
		minus-ifdef-include) nargs=2 ;;
		stage)
			nargs=1
			[[ -f $SERIES_DIR/${w[k + 1]:-} ]] || die "$where: no stage file $SERIES_DIR/${w[k + 1]:-}"
			;;
		*) die "$where: unknown transform '${w[k]}'" ;;
		esac
		((k + nargs < ${#w[@]})) || die "$where: '${w[k]}' needs $nargs argument(s)"
		k=$((k + nargs + 1))
	done
}

# --- parse the cut -------------------------------------------------------------
# Entries: E_SEC (patch index), E_PAT (path or glob), E_XF (transform, or "").
# MAINTAINERS F: operations: M_SEC, M_OP (+/-), M_PAT.
SECS=() E_SEC=() E_PAT=() E_XF=() M_SEC=() M_OP=() M_PAT=() ENTRY=() X_PAT=()
declare -A W_XF=() # workbench PATH: transforms applied wherever PATH is in the series
lineno=0
while IFS= read -r line || [[ -n $line ]]; do
	lineno=$((lineno + 1))
	[[ $line =~ ^[[:space:]]*(#|$) ]] && continue
	read -r -a w <<<"$line"
	where="${CUT#"$REPO"/}:$lineno"
	case ${w[0]} in
	patch)
		((${#w[@]} == 2)) || die "$where: expected 'patch NAME'"
		[[ -f $SERIES_DIR/${w[1]}.txt ]] || die "$where: no commit message $SERIES_DIR/${w[1]}.txt"
		SECS+=("${w[1]}")
		;;
	maintainers-entry)
		ENTRY+=("${w[*]:1}")
		;;
	exclude)
		((${#w[@]} == 2)) || die "$where: expected 'exclude PATH'"
		X_PAT+=("${w[1]}")
		;;
	maintainers)
		((${#SECS[@]})) || die "$where: 'maintainers' before the first 'patch'"
		case "${w[1]:-} ${#w[@]}" in
		"F: 3") M_OP+=(+) ;;
		"-F: 3") M_OP+=(-) ;;
		*) die "$where: expected 'maintainers F: PATTERN' or 'maintainers -F: PATTERN'" ;;
		esac
		M_SEC+=($((${#SECS[@]} - 1)))
		M_PAT+=("${w[2]}")
		;;
	workbench)
		((${#w[@]} >= 3)) || die "$where: expected 'workbench PATH TRANSFORM...'"
		check_transforms 2
		[[ ${w[1]} != *[*?[]* ]] || die "$where: workbench needs a single file, not a glob"
		W_XF[${w[1]}]=${w[*]:2}
		;;
	*)
		((${#SECS[@]})) || die "$where: file '${w[0]}' before the first 'patch'"
		xf=${w[*]:1}
		check_transforms 1
		[[ -z $xf || ${w[0]} != *[*?[]* ]] || die "$where: a transform needs a single file, not a glob"
		E_SEC+=($((${#SECS[@]} - 1)))
		E_PAT+=("${w[0]}")
		E_XF+=("$xf")
		;;
	esac
done <"$CUT"
((${#SECS[@]})) || die "$CUT defines no patches"
((${#M_PAT[@]} == 0 || ${#ENTRY[@]} >= 1)) || die "$CUT: 'maintainers F:' lines but no 'maintainers-entry NAME'"

# --- assign every overlay file -------------------------------------------------
mapfile -t OVERLAY < <(overlay_files)
((${#OVERLAY[@]})) || die "the overlay is empty"
declare -A full_sec=()
E_FILES=() # per entry, the matched files (newline-separated)
errors=()
for i in "${!E_PAT[@]}"; do
	pat=${E_PAT[i]} matched=()
	for f in "${OVERLAY[@]}"; do
		# shellcheck disable=SC2053 # pattern match on purpose
		[[ $f == $pat ]] && matched+=("$f")
	done
	((${#matched[@]})) || errors+=("'$pat' (patch ${SECS[E_SEC[i]]}) matches no overlay file")
	E_FILES[i]=$(printf '%s\n' "${matched[@]}")
	for f in "${matched[@]}"; do
		if [[ -n ${E_XF[i]} ]]; then
			continue
		elif [[ -n ${full_sec[$f]:-} ]]; then
			errors+=("$f is in patch ${SECS[full_sec[$f]]} and in patch ${SECS[E_SEC[i]]}")
		else
			full_sec[$f]=${E_SEC[i]}
		fi
	done
done
declare -A excluded=()
for pat in "${X_PAT[@]}"; do
	n=0
	for f in "${OVERLAY[@]}"; do
		# shellcheck disable=SC2053 # pattern match on purpose
		if [[ $f == $pat ]]; then
			n=$((n + 1))
			excluded[$f]=1
			[[ -z ${full_sec[$f]:-} ]] || errors+=("$f is excluded and in patch ${SECS[full_sec[$f]]}")
		fi
	done
	((n)) || errors+=("'exclude $pat' matches no overlay file")
done
for f in "${OVERLAY[@]}"; do
	[[ -n ${full_sec[$f]:-} || -n ${excluded[$f]:-} ]] || errors+=("$f is in no patch; add it to ${CUT#"$REPO"/}")
done
for f in "${!W_XF[@]}"; do
	[[ -n ${full_sec[$f]:-} ]] || errors+=("'workbench $f' names no overlay file of the series")
done
for i in "${!E_PAT[@]}"; do
	[[ -n ${E_XF[i]} ]] || continue
	f=${E_PAT[i]}
	if [[ -z ${full_sec[$f]:-} || ${full_sec[$f]} -le ${E_SEC[i]} ]]; then
		errors+=("$f is added minus a part in patch ${SECS[E_SEC[i]]}, but no later patch adds all of it")
	fi
done
if ((${#errors[@]})); then
	printf 'error: the cut %s does not match the overlay:\n' "${CUT#"$REPO"/}" >&2
	printf '    %s\n' "${errors[@]}" >&2
	exit 1
fi

# --- the worktree ----------------------------------------------------------------
base_sha=$(git -C "$KSRC" rev-parse --verify "$KBASE^{commit}")
mk_val() { git -C "$KSRC" show "$base_sha:Makefile" | awk -v k="$1" '$1 == k && $2 == "=" && !n++ { print $3 }'; }
VERSION_STR=$(mk_val VERSION).$(mk_val PATCHLEVEL)
[[ $(mk_val SUBLEVEL) =~ ^[1-9] ]] && VERSION_STR+=.$(mk_val SUBLEVEL)
VERSION_STR+=$(mk_val EXTRAVERSION)
BASE_LINE="Based on Linux $VERSION_STR"
base_subject=$(git -C "$KSRC" log -1 --format=%s "$base_sha")
[[ $base_subject =~ \((Debian linux-source[^\)]*)\) ]] && BASE_LINE+=" (${BASH_REMATCH[1]})"
BASE_LINE+=". The base-commit below is the local import of that tree, not an upstream commit."

msg "preparing $WT at $KBASE (Linux $VERSION_STR)..."
clean_worktree "$WT" "$base_sha"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/pec-series.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# Kernel path of an overlay file.
kpath() { if [[ $1 == *.patch ]]; then printf '%s\n' "${1%.patch}"; else printf '%s\n' "$1"; fi; }

# series_content OVERLAY_FILE: full_content minus the file's workbench-only
# parts (a 'workbench' line of the cut): the file as the series has it.
series_content() {
	local f=$1 t out src
	src=$(full_content "$f")
	if [[ -z ${W_XF[$f]:-} ]]; then
		printf '%s\n' "$src"
		return
	fi
	t=$(kpath "$f")
	out=$scratch/series/$t
	if [[ ! -e $out ]]; then
		local xf
		mkdir -p "$(dirname "$out")"
		read -r -a xf <<<"${W_XF[$f]}"
		transforms "$src" "$out" "${xf[@]}"
	fi
	printf '%s\n' "$out"
}

# full_content OVERLAY_FILE: path of the complete kernel file in $scratch.
full_content() {
	local f=$1 t out
	t=$(kpath "$f")
	out=$scratch/full/$t
	if [[ ! -e $out ]]; then
		mkdir -p "$(dirname "$out")"
		if [[ $f != *.patch ]]; then
			cp "$REPO/$f" "$out"
		else
			local touched
			touched=$(awk '/^\+\+\+ / { f = $2; sub(/^b\//, "", f); print f }' "$REPO/$f" | sort -u)
			[[ $touched == "$t" ]] || die "$f must change exactly $t (it changes: ${touched//$'\n'/ })"
			git -C "$KSRC" show "$base_sha:$t" >"$out" 2>/dev/null || : >"$out"
			patch -s -f -p1 --no-backup-if-mismatch -d "$scratch/full" <"$REPO/$f" >"$scratch/patch.log" 2>&1 ||
				die "$f does not apply to $KBASE: $(cat "$scratch/patch.log")"
		fi
	fi
	printf '%s\n' "$out"
}

# transforms IN OUT XF...: OUT = IN minus the parts named by a sequence of
# transforms (each: its name, then its arguments).
transforms() {
	local in=$1 out=$2 nargs
	shift 2
	cp "$in" "$scratch/xf.in"
	while (($#)); do
		case $1 in
		minus-ifdef-include) nargs=2 ;;
		*) nargs=1 ;;
		esac
		transform "$scratch/xf.in" "$scratch/xf.out" "${@:1:nargs + 1}"
		mv "$scratch/xf.out" "$scratch/xf.in"
		shift $((nargs + 1))
	done
	mv "$scratch/xf.in" "$out"
}

# transform IN OUT XF...: OUT = IN minus the part named by the transform.
transform() {
	local in=$1 out=$2 kind=$3 n
	case $kind in
	minus-ifdef)
		# Every "#ifdef SYMBOL" block, through its own #endif (an #else
		# part goes with it), and a blank line left doubled by it.
		awk -v a="#ifdef $4" '
			skip == 0 && $0 == a { skip = 1; next }
			skip > 0 {
				if ($0 ~ /^#[ \t]*if/) skip++
				else if ($0 ~ /^#[ \t]*endif/) skip--
				if (skip == 0) dropped = 1
				next
			}
			dropped && $0 == "" && prev == "" { dropped = 0; next }
			{ dropped = 0; prev = $0; print }' "$in" >"$out"
		;;
	minus-include)
		awk -v a="#include <$4>" '$0 != a' "$in" >"$out"
		;;
	minus-lines-with)
		awk -v a="$4" 'index($0, a) == 0' "$in" >"$out"
		;;
	stage)
		# The base file with an earlier state's diff applied instead.
		local t
		t=$(awk '/^\+\+\+ / { f = $2; sub(/^b\//, "", f); print f; exit }' "$SERIES_DIR/$4")
		rm -rf "$scratch/stage"
		mkdir -p "$(dirname "$scratch/stage/$t")"
		git -C "$KSRC" show "$base_sha:$t" >"$scratch/stage/$t"
		patch -s -f -p1 --no-backup-if-mismatch -d "$scratch/stage" <"$SERIES_DIR/$4" >"$scratch/patch.log" 2>&1 ||
			die "stage $4 does not apply to $KBASE: $(cat "$scratch/patch.log")"
		cp "$scratch/stage/$t" "$out"
		;;
	minus-kconfig)
		n=$(grep -cx "config $4" "$in" || true)
		((n == 1)) || die "minus-kconfig $4: $n 'config $4' lines in $(basename "$in") (want 1)"
		awk -v sym="$4" '
			$0 == "config " sym { skip = 1; next }
			skip && /^(config|menuconfig|choice|endchoice|menu|endmenu|if|endif|source|comment)([ \t]|$)/ { skip = 0 }
			!skip { print }' "$in" >"$out"
		;;
	minus-ifdef-include)
		awk -v a="#ifdef $4" -v b="#include \"$5\"" '
			{ l[NR] = $0 }
			END {
				for (i = 1; i <= NR; i++)
					if (l[i] == a && l[i + 1] == b && l[i + 2] ~ /^#endif/) { n++; at = i }
				if (n != 1) exit 1
				from = (at > 1 && l[at - 1] == "") ? at - 1 : at
				for (i = 1; i <= NR; i++) if (i < from || i > at + 2) print l[i]
			}' "$in" >"$out" ||
			die "minus-ifdef-include: no single '#ifdef $4 / #include \"$5\" / #endif' in $(basename "$in")"
		;;
	esac
	cmp -s "$in" "$out" && die "$kind ${*:4} removed nothing from $(basename "$in")"
	return 0
}

# maintainers_file F_PATTERNS...: MAINTAINERS of the base with our entry added.
maintainers_file() {
	local entry=$scratch/entry f
	{
		printf '%s\n' "${ENTRY[0]}"
		printf 'M:\t%s\n' "$IDENT"
		for f in "${ENTRY[@]:1}"; do printf '%s\t%s\n' "${f%% *}" "${f#* }"; done
		printf '%s\n' "$@" | LC_ALL=C sort -u | sed 's/^/F:\t/'
	} >"$entry"
	git -C "$KSRC" show "$base_sha:MAINTAINERS" | LC_ALL=C awk -v name="${ENTRY[0]}" -v entry="$entry" '
		function key(s) { s = toupper(s); if (s == "THE REST") s = "ZZZZZZ"; return s }
		{ l[NR] = $0 }
		END {
			for (i = 1; i <= NR; i++) {
				if (l[i] == name) { print "MAINTAINERS already has " name > "/dev/stderr"; exit 1 }
				if (!done && i > 1 && l[i - 1] == "" && l[i] != "" && l[i + 1] ~ /^[A-Z]:\t/ &&
				    key(l[i]) > key(name)) {
					while ((getline e < entry) > 0) print e
					print ""
					done = 1
				}
				print l[i]
			}
			if (!done) exit 1
		}' >"$scratch/MAINTAINERS" || die "could not place '${ENTRY[0]}' in MAINTAINERS"
	cp "$scratch/MAINTAINERS" "$WT/MAINTAINERS"
}

# --- one commit per patch --------------------------------------------------------------
DATE=$(git -C "$REPO" log -1 --format=%aD 2>/dev/null || date -R)
export GIT_AUTHOR_DATE=$DATE GIT_COMMITTER_DATE=$DATE
F_PATS=()
for s in "${!SECS[@]}"; do
	name=${SECS[s]}
	for i in "${!E_PAT[@]}"; do
		((E_SEC[i] == s)) || continue
		while IFS= read -r f; do
			[[ -n $f ]] || continue
			src=$(series_content "$f")
			t=$(kpath "$f")
			if [[ -n ${E_XF[i]} ]]; then
				read -r -a xf <<<"${E_XF[i]}"
				transforms "$src" "$scratch/xf" "${xf[@]}"
				src=$scratch/xf
			fi
			mkdir -p "$(dirname "$WT/$t")"
			cp "$src" "$WT/$t"
			if [[ $f != *.patch ]]; then
				if [[ -x $REPO/$f ]]; then chmod 755 "$WT/$t"; else chmod 644 "$WT/$t"; fi
			fi
			git -C "$WT" add -- "$t"
		done <<<"${E_FILES[i]}"
	done
	m_changed=0
	for j in "${!M_PAT[@]}"; do
		((M_SEC[j] == s)) || continue
		m_changed=1
		if [[ ${M_OP[j]} == + ]]; then
			F_PATS+=("${M_PAT[j]}")
		else
			keep=()
			found=0
			for p in "${F_PATS[@]}"; do
				if [[ $p == "${M_PAT[j]}" ]]; then found=1; else keep+=("$p"); fi
			done
			((found)) || die "patch $name drops MAINTAINERS F: ${M_PAT[j]}, which no earlier patch added"
			F_PATS=("${keep[@]}")
		fi
	done
	if ((m_changed)); then
		((${#F_PATS[@]})) || die "patch $name leaves the MAINTAINERS entry without F: lines"
		maintainers_file "${F_PATS[@]}"
		git -C "$WT" add -- MAINTAINERS
	fi
	git -C "$WT" diff --cached --quiet && die "patch $name changes nothing"

	msgf=$SERIES_DIR/$name.txt
	subject=$(head -n1 "$msgf")
	[[ -n $subject && -z $(sed -n 2p "$msgf") ]] || die "$msgf: want a subject line, then a blank line"
	{ cat "$msgf"; printf '\nSigned-off-by: %s\n' "$IDENT"; } >"$scratch/msg"
	"${G[@]}" commit -q --no-verify --cleanup=whitespace -F "$scratch/msg"
	info "$(printf '%02d' $((s + 1))) $subject ($(git -C "$WT" diff --shortstat HEAD~1 | sed 's/^ //'))"
done

# The complete series must be the complete overlay: build/linux's state.
for f in "${OVERLAY[@]}"; do
	[[ -z ${excluded[$f]:-} ]] || continue
	cmp -s "$(series_content "$f")" "$WT/$(kpath "$f")" || die "after the last patch, $(kpath "$f") differs from the overlay"
done

# --- recipients (get_maintainer.pl, offline) ---------------------------------------
msg "finding recipients with scripts/get_maintainer.pl..."
mkdir -p "$scratch/pass1"
git -C "$WT" format-patch -q -o "$scratch/pass1" "$base_sha..HEAD"
mapfile -t who < <(cd "$WT" && ./scripts/get_maintainer.pl --no-git --no-git-fallback --no-rolestats \
	"$scratch"/pass1/*.patch)
TO=() CC=()
for w in "${who[@]}"; do
	[[ -n $w ]] || continue
	if [[ $w == *"<"* ]]; then
		[[ $w == *"<$EMAIL>"* ]] || CC+=("$w")
	else
		TO+=("$w")
	fi
done
((${#TO[@]})) || die "get_maintainer.pl found no mailing list for the series"
# The entry's own list (linux-mm) first.
for e in "${ENTRY[@]:1}"; do
	[[ $e == "L: "* ]] || continue
	lists=("${e#L: }")
	for w in "${TO[@]}"; do [[ $w == "${e#L: }" ]] || lists+=("$w"); done
	TO=("${lists[@]}")
done

# --- export ------------------------------------------------------------------------
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -f "$OUT"/[0-9][0-9][0-9][0-9]-*.patch
args=(--cover-letter --base="$base_sha" --subject-prefix="$PREFIX" -o "$OUT")
for w in "${TO[@]}"; do args+=(--to="$w"); done
for w in "${CC[@]}"; do args+=(--cc="$w"); done
"${G[@]}" -c format.signOff=false format-patch -q "${args[@]}" "$base_sha..HEAD"

# --- cover letter ------------------------------------------------------------------
cover=$OUT/0000-cover-letter.patch
[[ -f $cover ]] || die "git format-patch wrote no cover letter"
tmpl=$SERIES_DIR/00-cover.txt
[[ -f $tmpl ]] || die "no cover letter template $tmpl"
cover_subject=$(head -n1 "$tmpl")

# doc_section TITLE: the body of the documentation's section TITLE, to the
# next heading, minus directives; fails if there is no such section.
doc=$WT/Documentation/mm/page_ext_consistency.rst
doc_section() {
	[[ -f $doc ]] || return 1
	awk -v t="$1" '{ l[NR] = $0 }
		END {
			for (i = 1; i <= NR; i++) if (l[i] == t && l[i + 1] ~ /^(-+|=+)$/) { s = i + 2; break }
			if (!s) exit 1
			for (i = s; i <= NR; i++) {
				if (l[i] != "" && l[i + 1] ~ /^(=+|-+)$/) break
				print l[i]
			}
		}' "$doc" | sed -e '/^\.\. /d' -e 's/``//g' | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
}

# The measured overhead section of the documentation, if it has numbers.
numbers=$scratch/numbers
if doc_section "Measured overhead" >"$scratch/measured" &&
	grep -q '^=' "$scratch/measured" && ! grep -q 'TODO' "$scratch/measured"; then
	{
		echo "Measured overhead (make bench; from Documentation/mm/page_ext_consistency.rst):"
		cat "$scratch/measured"
	} >"$numbers"
else
	warn "Documentation/mm/page_ext_consistency.rst has no measured overhead numbers yet; the cover letter says so"
	printf '%s\n' "Measured overhead: not in this posting yet (no numbers from the" \
		"benchmark in Documentation/mm/page_ext_consistency.rst)." >"$numbers"
fi

# What each debugging tool found, from the same section of the documentation.
evidence=$scratch/evidence
if doc_section "The evidence table" >"$scratch/ev" && grep -q '^  fault ' "$scratch/ev"; then
	{
		echo "What each debugging tool found (make evidence; from"
		echo "Documentation/mm/page_ext_consistency.rst):"
		cat "$scratch/ev"
	} >"$evidence"
else
	warn "Documentation/mm/page_ext_consistency.rst has no evidence table yet; the cover letter says so"
	echo "What each debugging tool found: not in this posting yet." >"$evidence"
fi

printf '%s\n' "$BASE_LINE" | fold -s -w 72 | sed 's/ *$//' >"$scratch/base"
sed -e '1d' -e '/^#/d' "$tmpl" | sed -e '/./,$!d' | awk -v nf="$numbers" -v ef="$evidence" -v bf="$scratch/base" '
	$0 == "@NUMBERS@" { while ((getline l < nf) > 0) print l; next }
	$0 == "@EVIDENCE@" { while ((getline l < ef) > 0) print l; next }
	$0 == "@BASE@" { while ((getline l < bf) > 0) print l; next }
	{ print }' >"$scratch/blurb"
grep -q '@[A-Z]*@' "$scratch/blurb" && die "unknown placeholder in $tmpl: $(grep -o '@[A-Z]*@' "$scratch/blurb" | head -n1)"
awk -v subj="$cover_subject" -v bf="$scratch/blurb" '
	BEGIN { gsub(/&/, "\\\\&", subj) }
	/\*\*\* SUBJECT HERE \*\*\*/ { sub(/\*\*\* SUBJECT HERE \*\*\*/, subj) }
	$0 == "*** BLURB HERE ***" { while ((getline l < bf) > 0) print l; next }
	{ print }' "$cover" >"$scratch/cover"
grep -q '\*\*\* \(SUBJECT\|BLURB\) HERE' "$scratch/cover" && die "could not fill in the cover letter"
cp "$scratch/cover" "$cover"

n=$(git -C "$WT" rev-list --count "$base_sha..HEAD")
msg "series: $n patches + cover letter in $OUT (base: Linux $VERSION_STR)"
for p in "$OUT"/[0-9][0-9][0-9][0-9]-*.patch; do info "$(basename "$p")"; done
info "From: $IDENT"
info "To: $(printf '%s, ' "${TO[@]}" | sed 's/, $//')"
((${#CC[@]})) && info "Cc: $(printf '%s, ' "${CC[@]}" | sed 's/, $//')"
info "check: T=series make check (checkpatch and a build after each patch)"
info "send:  git send-email $OUT/*.patch"
