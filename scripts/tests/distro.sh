# SPDX-License-Identifier: GPL-2.0
# Debian's own amd64 kernel config (linux-config-6.12) with
# CONFIG_PAGE_EXT_CONSISTENCY=y: the checker, mm/page_alloc.o and
# mm/page_ext.o must compile there without a warning, and the checker also
# with W=1. Only those objects are built (build/obj/distro-amd64). And the
# checker in make debug.config.
# shellcheck shell=bash

DISTRO_CONFIG=/usr/src/linux-config-6.12/config.amd64_none_amd64.xz
DISTRO_OBJECTS=(mm/page_ext_consistency.o mm/page_alloc.o mm/page_ext.o)

# make debug.config, the kernel's own way to turn on debugging options for
# developers and test farms: a defconfig merged with it has the checker built
# in, off until page_ext_consistency=on (not ENFORCED), like page_owner.
test_debug_config() {
	local n=debug-config obj=$BUILD_DIR/obj/debug-config log=$LOG_DIR/check-debug-config.log why=() line sym
	mkdir -p "$obj" "$LOG_DIR"
	if ! make -C "$KSRC" O="$obj" ARCH=x86 x86_64_defconfig debug.config >"$log" 2>&1; then
		fail "$n" "make x86_64_defconfig debug.config failed (log: ${log#"$REPO"/})"
		return 0
	fi
	for line in CONFIG_PAGE_EXTENSION=y CONFIG_PAGE_EXT_CONSISTENCY=y CONFIG_PAGE_OWNER=y \
		'# CONFIG_PAGE_EXT_CONSISTENCY_ENFORCED is not set'; do
		grep -qxF -- "$line" "$obj/.config" && continue
		sym=${line#\# }
		sym=${sym%%[= ]*}
		why+=("want '$line', got '$(grep -E "^(# )?$sym[= ]" "$obj/.config" || echo 'not present')'")
	done
	if ((${#why[@]})); then
		fail "$n" "$(printf '%s; ' "${why[@]}")config: ${obj#"$REPO"/}/.config"
	else
		pass "$n"
	fi
}

group_distro() {
	# obj and mk are seen by distro_object() too.
	local n=distro-amd64 obj=$BUILD_DIR/obj/distro-amd64 log o mk
	if [[ ! -f $DISTRO_CONFIG ]]; then
		fail "$n" "$DISTRO_CONFIG missing (package linux-config-6.12; run 'make deps')"
		return 0
	fi
	"$REPO/scripts/tree.sh" >/dev/null && "$REPO/scripts/apply.sh" >/dev/null ||
		{ fail "$n" "cannot prepare the kernel tree (make apply)"; return 0; }
	test_debug_config
	mkdir -p "$obj" "$LOG_DIR"
	log=$LOG_DIR/check-distro-amd64.log
	mk=(make -C "$KSRC" O="$obj" ARCH=x86 -j"$JOBS" CC="ccache gcc")
	xzcat "$DISTRO_CONFIG" >"$obj/.config.debian"
	if ! cmp -s "$obj/.config.debian" "$obj/.config.base" 2>/dev/null; then
		cp "$obj/.config.debian" "$obj/.config.base"
		cp "$obj/.config.debian" "$obj/.config"
		# Module signing and trusted keys point into Debian's packaging tree.
		"$KSRC/scripts/config" --file "$obj/.config" -e PAGE_EXT_CONSISTENCY \
			--set-str SYSTEM_TRUSTED_KEYS "" --set-str MODULE_SIG_KEY "" \
			--set-str SYSTEM_REVOCATION_KEYS ""
	fi
	msg "Debian amd64 config: make prepare and ${DISTRO_OBJECTS[*]} (log ${log#"$REPO"/})..."
	if ! "${mk[@]}" olddefconfig >"$log" 2>&1; then
		fail "$n" "olddefconfig failed (log: ${log#"$REPO"/})"
		return 0
	fi
	if ! grep -qx 'CONFIG_PAGE_EXT_CONSISTENCY=y' "$obj/.config"; then
		fail "$n" "CONFIG_PAGE_EXT_CONSISTENCY=y did not survive olddefconfig (log: ${log#"$REPO"/})"
		return 0
	fi
	if ! logged_build "$log" "Debian config: make prepare" "${mk[@]}" prepare; then
		fail "$n" "make prepare failed: $(grep -a -m1 'error:' "$log" || tail -n1 "$log") (log: ${log#"$REPO"/})"
		return 0
	fi
	# One object at a time, rebuilt every time, so that each one's warnings,
	# from its own file or from the headers it includes, are its own.
	for o in "${DISTRO_OBJECTS[@]}"; do
		distro_object "$n:$o" "$o"
	done
	distro_object "$n:W=1:mm/page_ext_consistency.o" mm/page_ext_consistency.o W=1
}

# distro_object NAME OBJECT [MAKE ARGS]: build OBJECT alone; pass if no warning.
distro_object() {
	local name=$1 o=$2 olog=$LOG_DIR/check-distro-amd64-${2//\//_}${3:+-$3}.log w
	shift 2
	rm -f "$obj/$o"
	: >"$olog"
	if ! logged_build "$olog" "Debian config: $o" "${mk[@]}" "$@" "$o"; then
		fail "$name" "build failed: $(grep -a -m1 'error:' "$olog" || tail -n1 "$olog") (log: ${olog#"$REPO"/})"
		return 0
	fi
	w=$(grep -a -m1 -E '\.[ch]:[0-9]+:[0-9]+: warning:' "$olog" || true)
	if [[ -n $w ]]; then
		fail "$name" "$w (log: ${olog#"$REPO"/})"
	else
		pass "$name"
	fi
}
