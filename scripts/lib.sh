# lib.sh - shared helpers for toe's scripts. Sourced, never run.
#
# TOE_CACHE is where builds are cached, outside the checkout, keyed by a
# hash of everything that goes into them.

TOE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOE_CACHE=${TOE_CACHE:-/var/cache/toe}
export TOE_ROOT TOE_CACHE

log() { echo "${0##*/}: $*" >&2; }
die() { echo "${0##*/}: error: $*" >&2; exit 1; }

# input_hash FILE_OR_DIR... : a short hash of the named inputs' contents
# and paths, stable across checkouts.
input_hash() {
	local f
	for f in "$@"; do
		if [ -d "$f" ]; then
			(cd "$f" && find . -type f ! -name '*.o' -print0 | LC_ALL=C sort -z |
				xargs -0 sha256sum)
		elif [ -f "$f" ]; then
			echo "$(sha256sum < "$f") ${f#"$TOE_ROOT"/}"
		else
			echo "$f"
		fi
	done | sha256sum | cut -c1-16
}

pkg_version() { dpkg-query -W -f='${Version}' "$1"; }

# kernel_dir FLAVOUR : the cached build directory of that guest kernel.
kernel_dir() {
	local flavour=$1 frags=("$TOE_ROOT/scripts/kconfig/guest.config")
	[ "$flavour" = debug ] && frags+=("$TOE_ROOT/scripts/kconfig/debug.config")
	echo "$TOE_CACHE/kernel-$flavour-$(input_hash "linux-source-6.1=$(pkg_version linux-source-6.1)" \
		"${frags[@]}" "$TOE_ROOT/scripts/build-kernel.sh")"
}

# The TCP engine's host builds (unit tests, interop harness, fuzz target)
# live in the cache, in a directory keyed by the engine's sources and the
# hardware header: a fresh checkout of the same sources reuses them
# without make looking at a single timestamp.
ENGINE_SRC=$TOE_ROOT/qemu-toe-device/engine
engine_key() {
	{
		(cd "$ENGINE_SRC" && find . -path './build*' -prune -o -type f -print0 |
			LC_ALL=C sort -z | xargs -0 sha256sum)
		sha256sum < "$TOE_ROOT/include/toe_hw.h"
		clang --version 2>/dev/null | head -n1
		cc --version | head -n1
	} | sha256sum | cut -c1-16
}
ENGINE_O=$TOE_CACHE/engine-$(engine_key)

# engine_make NAME MAKE-ARGS...: make -C the engine with O=$ENGINE_O (the
# Makefile adds -san or -fuzz itself), once per NAME and key: a stamp
# says it was built.
engine_make() {
	local name=$1
	shift
	[ -f "$ENGINE_O.ok-$name" ] && return 0
	make -C "$ENGINE_SRC" O="$ENGINE_O" "$@" && touch "$ENGINE_O.ok-$name"
}

# resolved KIND FLAVOUR: a build that check.sh resolved once for the run
# (TOE_KDIR_base, TOE_MODDIR_debug, TOE_INITRD_base, ...), or, when run on
# its own, the build script's answer.
resolved() {
	local var=TOE_$1_$2
	if [ -n "${!var:-}" ]; then
		echo "${!var}"
		return 0
	fi
	case $1 in
	KDIR) bash "$TOE_ROOT/scripts/build-kernel.sh" "$2" ;;
	MODDIR) bash "$TOE_ROOT/scripts/build-module.sh" "$2" ;;
	INITRD) bash "$TOE_ROOT/scripts/build-initramfs.sh" "$2" ;;
	*) die "resolved: unknown kind $1" ;;
	esac
}
