#!/bin/bash
# build-kernel.sh FLAVOUR - build the guest kernel (flavour: base or debug)
# from Debian's linux-source-6.1 with toe's config fragments.
#
# Output: prints the build directory ($TOE_CACHE/kernel-FLAVOUR-HASH),
# holding arch/x86/boot/bzImage and everything needed to build modules.
# A directory with a .done stamp is reused as it is.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

FLAVOUR=${1:-base}
case "$FLAVOUR" in base|debug) ;; *) die "unknown flavour '$FLAVOUR' (base or debug)";; esac

OUT=$(kernel_dir "$FLAVOUR")
if [ -f "$OUT/.done" ]; then
	echo "$OUT"
	exit 0
fi

VER=$(pkg_version linux-source-6.1)
SRC=$TOE_CACHE/src/linux-source-6.1-$VER
if [ ! -f "$SRC/.done" ]; then
	log "extracting linux-source-6.1 $VER"
	rm -rf "$SRC" && mkdir -p "$SRC"
	tar -xaf /usr/src/linux-source-6.1.tar.xz -C "$SRC" --strip-components=1
	touch "$SRC/.done"
fi

log "building $FLAVOUR kernel in $OUT"
rm -rf "$OUT" && mkdir -p "$OUT"
frags=("$TOE_ROOT/scripts/kconfig/guest.config")
[ "$FLAVOUR" = debug ] && frags+=("$TOE_ROOT/scripts/kconfig/debug.config")
make -s -C "$SRC" O="$OUT" x86_64_defconfig >/dev/null
(cd "$OUT" && "$SRC/scripts/kconfig/merge_config.sh" -m -O "$OUT" .config "${frags[@]}" >/dev/null)
make -s -C "$SRC" O="$OUT" olddefconfig >/dev/null
# Every fragment line must have survived olddefconfig: a silently dropped
# option is a guest that lacks what the tests assume. Later fragments
# override earlier ones, as merge_config.sh does.
declare -A want=()
for f in "${frags[@]}"; do
	while IFS= read -r line; do
		case "$line" in CONFIG_*=*) want[${line%%=*}]=${line#*=};; esac
	done < "$f"
done
for opt in "${!want[@]}"; do
	if [ "${want[$opt]}" = n ]; then
		! grep -q "^$opt=" "$OUT/.config" || die "$opt still set (wanted off)"
	else
		grep -qxF "$opt=${want[$opt]}" "$OUT/.config" || die "$opt=${want[$opt]} did not take"
	fi
done
# ccache under the cache directory: a kernel whose key changed (a config
# line, this script) rebuilds mostly from it. Kbuild runs no other compiler.
export CCACHE_DIR=$TOE_CACHE/ccache CCACHE_MAXSIZE=4G CCACHE_BASEDIR=$SRC
make -s -C "$SRC" O="$OUT" CC="ccache gcc" -j"$(nproc)" bzImage modules >"$OUT/build.log" 2>&1 ||
	{ tail -40 "$OUT/build.log" >&2; die "kernel build failed (log: $OUT/build.log)"; }
touch "$OUT/.done"
echo "$OUT"
