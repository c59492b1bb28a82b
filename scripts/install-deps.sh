#!/bin/bash
# install-deps.sh - install everything toe needs on Debian 12, from Debian only.
#
# Idempotent: enables the deb-src and non-free components (QEMU's source
# package and netperf live there), then installs the build and test tools.
# Nothing is fetched from anywhere but Debian's archive.
set -euo pipefail

SOURCES=/etc/apt/sources.list.d/debian.sources
STAMP_DIR=${TOE_CACHE:-/var/cache/toe}
PKGS=(
	# guest kernel and module
	build-essential bc bison flex libelf-dev libssl-dev cpio kmod ccache
	python3 python3-docutils rsync linux-source-6.1 xz-utils
	# QEMU 7.2 from source (the subset the x86_64 softmmu target needs)
	dpkg-dev ninja-build meson pkg-config libglib2.0-dev libpixman-1-dev
	libslirp-dev zlib1g-dev libfdt-dev
	# firmware for the guest, reused from Debian's packages
	seabios qemu-system-data
	# the test VM's userspace and the peer's tools
	busybox-static netperf iproute2 nftables tcpdump ethtool
	# engine tests
	clang libclang-rt-14-dev
)

log() { echo "install-deps: $*"; }

[ "$(id -u)" -eq 0 ] || { echo "install-deps: must run as root" >&2; exit 1; }

if [ -f "$SOURCES" ]; then
	if ! grep -q '^Types:.*deb-src' "$SOURCES" || ! grep -q 'non-free' "$SOURCES"; then
		log "enabling deb-src and contrib/non-free in $SOURCES"
		cp -n "$SOURCES" "$SOURCES.toe-orig" || true
		sed -i -e 's/^Types: deb$/Types: deb deb-src/' \
		       -e 's/^Components: main$/Components: main contrib non-free non-free-firmware/' \
		       "$SOURCES"
	fi
elif [ -f /etc/apt/sources.list ]; then
	if ! grep -q '^deb-src' /etc/apt/sources.list; then
		log "adding deb-src lines to /etc/apt/sources.list"
		sed -n 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list >> /etc/apt/sources.list
	fi
	sed -i -E '/^deb(-src)? /{/non-free/!s/ main( |$)/ main contrib non-free non-free-firmware\1/}' \
		/etc/apt/sources.list
fi

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "apt-get update"
	apt-get update -qq
	log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
else
	log "all packages present"
fi

mkdir -p "$STAMP_DIR"
log "done"
