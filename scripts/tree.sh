#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prepare the kernel tree: build/linux from Debian's linux-source-6.12 tarball
# (a git repo with baseline tag pec-base), or validate a user tree in KSRC.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if ((!OWN_TREE)); then
	git -C "$KSRC" rev-parse --git-dir >/dev/null 2>&1 ||
		die "KSRC=$KSRC is not a git tree (the overlay is applied against a git baseline)"
	[[ -f $KSRC/Makefile && -d $KSRC/mm ]] || die "KSRC=$KSRC does not look like a kernel tree"
	require_tree
	msg "using kernel tree $KSRC (baseline $KBASE = $(git -C "$KSRC" rev-parse --short "$KBASE"))"
	exit 0
fi

if git -C "$KSRC" rev-parse --verify -q "refs/tags/$KBASE" >/dev/null 2>&1; then
	msg "kernel tree $KSRC ready (baseline $KBASE)"
	exit 0
fi
[[ -e $KSRC ]] && die "$KSRC exists but has no tag $KBASE; remove it ('make distclean') and retry"
[[ -f $LINUX_TARBALL ]] || die "$LINUX_TARBALL missing; run 'make deps' (installs linux-source-6.12)"

msg "unpacking $(basename "$LINUX_TARBALL") into $KSRC..."
tmp=$BUILD_DIR/linux.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
tar -xf "$LINUX_TARBALL" -C "$tmp"
top=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d | head -n1)
[[ -n $top && -f $top/Makefile ]] || die "unexpected tarball layout in $LINUX_TARBALL"

# Debian's .gitignore ignores everything at the top level; drop that block.
python3 - "$top/.gitignore" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split('\n')
marker = '# Debian packaging: ignore everything at the top level'
cut = [i for i, l in enumerate(lines) if l.startswith(marker)]
if not cut:
    sys.exit('tree.sh: Debian block not found in .gitignore; check the tarball')
lines = lines[:cut[0]]
while lines and lines[-1] == '':
    lines.pop()
open(p, 'w').write('\n'.join(lines) + '\n')
PY
mv "$top" "$KSRC"
rm -rf "$tmp"

version=$(make -s -C "$KSRC" kernelversion)
msg "creating git baseline (Linux $version, tag $KBASE)..."
g=(git -C "$KSRC" -c user.name=base -c user.email=base@localhost -c init.defaultBranch=master)
"${g[@]}" init -q
"${g[@]}" add -A
"${g[@]}" commit -q -m "Linux $version (Debian linux-source-6.12)"
"${g[@]}" tag "$KBASE"
msg "kernel tree $KSRC ready (baseline $KBASE)"
