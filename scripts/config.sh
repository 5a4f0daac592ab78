#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Generate $OBJ/.config: tinyconfig + scripts/config/$ARCH.config (and
# scripts/config/debug.config with FLAVOUR=debug), then check that every
# option the fragments ask for survived olddefconfig.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
require_tree

if [[ -n ${CONFIG_FRAGMENT:-} ]]; then
	fragments=("$CONFIG_FRAGMENT")
else
	fragments=("$REPO/scripts/config/$ARCH.config")
	if [[ $FLAVOUR != lean ]]; then
		n=${#fragments[@]}
		for f in "$REPO/scripts/config/$FLAVOUR.config" "$REPO/scripts/config/$ARCH-$FLAVOUR.config"; do
			[[ -f $f ]] && fragments+=("$f")
		done
		((${#fragments[@]} > n)) || die "FLAVOUR=$FLAVOUR: no scripts/config/$FLAVOUR.config or scripts/config/$ARCH-$FLAVOUR.config"
	fi
fi
for f in "${fragments[@]}"; do
	[[ -f $f ]] || die "no config fragment $f"
done
mkdir -p "$OBJ"
cfg=$OBJ/.config
mk=(kmake -s)
names=$(printf '%s + ' "${fragments[@]#"$REPO"/}")

msg "configuring (tinyconfig + ${names% + })..."
[[ -f $cfg ]] && cp -p "$cfg" "$cfg.prev"
"${mk[@]}" tinyconfig >/dev/null
(cd "$OBJ" && "$KSRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" "$cfg" "${fragments[@]}" >/dev/null)
"${mk[@]}" olddefconfig >/dev/null

# What the fragments ask for, the last word on each option winning.
wanted=$(awk '/^CONFIG_[A-Za-z0-9_]+=/ { o = $0; sub(/=.*/, "", o); w[o] = $0; next }
	/^# CONFIG_[A-Za-z0-9_]+ is not set$/ { w[$2] = $0 }
	END { for (o in w) print w[o] }' "${fragments[@]}" | sort)
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
done <<<"$wanted"

# Keep the mtime when nothing changed, so kbuild does not resync.
if [[ -f $cfg.prev ]]; then
	cmp -s "$cfg" "$cfg.prev" && touch -r "$cfg.prev" "$cfg"
	rm -f "$cfg.prev"
fi

if ((${#missing[@]})); then
	printf 'error: config options from %s did not survive olddefconfig:\n' "${names% + }" >&2
	printf '    %s\n' "${missing[@]}" >&2
	printf 'Check their dependencies (make O=%s menuconfig, search with /) and fix the fragment or the Kconfig.\n' "$OBJ" >&2
	exit 1
fi
msg "config ok: $cfg"
