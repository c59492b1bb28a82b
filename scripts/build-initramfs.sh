#!/bin/bash
# build-initramfs.sh FLAVOUR - the test VM's root filesystem as a cpio.
#
# Holds busybox, toe.ko and toe_kunit.ko for FLAVOUR, netperf, ethtool,
# toe-xfer, toectl, toe-preload.so, the guest init and the guest test
# scripts. Cached
# under a hash of all of those; prints the path of the .cpio.gz.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

FLAVOUR=${1:-base}
MODDIR=$(bash "$TOE_ROOT/scripts/build-module.sh" "$FLAVOUR")
KDIR=$(bash "$TOE_ROOT/scripts/build-kernel.sh" "$FLAVOUR")

# iproute2's ip (as /usr/bin/ip: busybox's, first in PATH, cannot move
# a device to another namespace).
BINS=(/bin/busybox /usr/bin/netperf /usr/bin/netserver /usr/sbin/ethtool /usr/bin/ss /usr/bin/nstat
	/bin/ip)
KEY=$(input_hash "$MODDIR/toe.ko" "$MODDIR/toe_kunit.ko" "$MODDIR/tools/toe-xfer" \
	"$MODDIR/tools/toectl" "$MODDIR/tools/toe-preload.so" \
	"$TOE_ROOT/scripts/guest" "$TOE_ROOT/scripts/build-initramfs.sh" \
	"$KDIR/.config" "${BINS[@]}")
OUT=$TOE_CACHE/initramfs-$FLAVOUR-$KEY.cpio.gz
if [ -f "$OUT" ]; then
	echo "$OUT"
	exit 0
fi

log "building initramfs ($FLAVOUR)"
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE"/{bin,sbin,usr/bin,lib/modules,proc,sys,dev,tmp,run,root,host,etc}
install -m 0755 /bin/busybox "$STAGE/bin/busybox"
install -m 0644 "$MODDIR/toe.ko" "$MODDIR/toe_kunit.ko" "$STAGE/lib/modules/"
install -m 0755 "$MODDIR/tools/toe-xfer" "$MODDIR/tools/toectl" "$STAGE/usr/bin/"
install -D -m 0755 "$MODDIR/tools/toe-preload.so" "$STAGE/usr/lib/toe-preload.so"
install -m 0755 "$TOE_ROOT/scripts/guest/init" "$STAGE/init"
cp -r "$TOE_ROOT/scripts/guest" "$STAGE/tests"
rm -f "$STAGE/tests/init"

# Dynamically linked tools come with the libraries they load.
for b in "${BINS[@]:1}"; do
	install -D -m 0755 "$b" "$STAGE/usr/bin/${b##*/}"
	ldd "$b" | awk '/=>/ { print $3 } /^\t\/lib/ { print $1 }' | while read -r lib; do
		[ -f "$lib" ] && install -D -m 0755 "$lib" "$STAGE$lib"
	done
done
# The dynamic loader lives at a fixed path.
install -D -m 0755 "$(readlink -f /lib64/ld-linux-x86-64.so.2)" "$STAGE/lib64/ld-linux-x86-64.so.2"
echo "root:x:0:0:root:/root:/bin/sh" > "$STAGE/etc/passwd"
echo "root:x:0:" > "$STAGE/etc/group"
printf '127.0.0.1 localhost\n198.18.0.1 peer\n198.18.0.2 guest\n' > "$STAGE/etc/hosts"
echo "netperf 12865/tcp" > "$STAGE/etc/services"

(cd "$STAGE" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet --reproducible) | gzip -1 > "$OUT.$$.tmp"
mv "$OUT.$$.tmp" "$OUT"
echo "$OUT"
