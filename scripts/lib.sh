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
