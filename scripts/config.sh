#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Generate $OBJ/.config: tinyconfig + scripts/config/$ARCH.config, then check
# that every option the fragment asks for survived olddefconfig.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
require_tree

FRAGMENT=${CONFIG_FRAGMENT:-$REPO/scripts/config/$ARCH.config}
[[ -f $FRAGMENT ]] || die "no config fragment $FRAGMENT"
mkdir -p "$OBJ"
cfg=$OBJ/.config
mk=(make -s -C "$KSRC" O="$OBJ" ARCH="${ARCH/x86_64/x86}")

msg "configuring (tinyconfig + ${FRAGMENT#"$REPO"/})..."
[[ -f $cfg ]] && cp -p "$cfg" "$cfg.prev"
"${mk[@]}" tinyconfig >/dev/null
(cd "$OBJ" && "$KSRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" "$cfg" "$FRAGMENT" >/dev/null)
"${mk[@]}" olddefconfig >/dev/null

missing=()
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		grep -qxF -- "$line" "$cfg" || missing+=("$line (got: $(grep -E "^(# )?${line%%=*}[= ]" "$cfg" || echo 'not present'))")
		;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		grep -q "^$opt=" "$cfg" && missing+=("$line (got: $(grep "^$opt=" "$cfg"))")
		;;
	esac
done <"$FRAGMENT"

# Keep the mtime when nothing changed, so kbuild does not resync.
if [[ -f $cfg.prev ]]; then
	cmp -s "$cfg" "$cfg.prev" && touch -r "$cfg.prev" "$cfg"
	rm -f "$cfg.prev"
fi

if ((${#missing[@]})); then
	printf 'error: config options from %s did not survive olddefconfig:\n' "${FRAGMENT#"$REPO"/}" >&2
	printf '    %s\n' "${missing[@]}" >&2
	printf 'Check their dependencies (make O=%s menuconfig, search with /) and fix the fragment or the Kconfig.\n' "$OBJ" >&2
	exit 1
fi
msg "config ok: $cfg"
