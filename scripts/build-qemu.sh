#!/bin/bash
# build-qemu.sh [--qtest] - build QEMU (x86_64-softmmu) with the toe-pci
# device from Debian's QEMU source and qemu-toe-device/.
#
# Inputs: Debian's qemu source package (fetched with `apt-get source qemu`
# into $TOE_CACHE/src if not there), qemu-toe-device/ and include/toe_hw.h.
#
# The build tree $TOE_CACHE/qemu-build-KEY is kept between runs; KEY hashes
# the Debian source version, the configure options and the integration
# layout. Each run re-syncs the device files (rsync -c, so unchanged files
# keep their mtimes) and runs ninja, so only what changed is rebuilt and a
# run with nothing changed is a ninja no-op.
#
# Output (stdout, one line): the absolute path of qemu-system-x86_64, or
# with --qtest, of the directory of the toe-pci qtest binaries (each
# tests/*-test.c) after they have passed (their TAP output goes to stderr). Everything else goes to stderr.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

QTEST=0
for arg in "$@"; do
	case "$arg" in
	--qtest) QTEST=1 ;;
	-h|--help) sed -n '2,17s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown argument '$arg' (try --help)" ;;
	esac
done

DEVICE_DIR=$TOE_ROOT/qemu-toe-device
HW_HEADER=$TOE_ROOT/include/toe_hw.h
# Bump when the way the device is wired into the tree changes.
LAYOUT=1
CONFIGURE_OPTS=(
	--target-list=x86_64-softmmu
	--without-default-features
	--with-git-submodules=ignore
	--enable-tcg --enable-kvm --enable-slirp
	--enable-vhost-kernel --enable-vhost-net
	--enable-trace-backends=log
	--audio-drv-list=
	--disable-docs --disable-tools --disable-guest-agent
	--disable-werror --disable-install-blobs
	--disable-gtk --disable-sdl --disable-vnc --disable-spice --disable-opengl
	# Debian's firmware packages, so no -L is needed (it still works).
	--firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu
)

[ -d "$DEVICE_DIR" ] || die "missing $DEVICE_DIR"
[ -f "$HW_HEADER" ] || die "missing $HW_HEADER"

# --- Debian's QEMU source -------------------------------------------------
# (Nothing, and no failure, when the cache has no source yet: under
# set -e and pipefail a failing find would end the script silently.)
find_src() {
	[ -d "$TOE_CACHE/src" ] || return 0
	find "$TOE_CACHE/src" -maxdepth 1 -type d -name 'qemu-*' |
		sort -V | tail -n1
}
SRC=$(find_src)
if [ -z "$SRC" ] || [ ! -f "$SRC/debian/changelog" ]; then
	log "fetching Debian's qemu source (apt-get source qemu)"
	mkdir -p "$TOE_CACHE/src"
	(cd "$TOE_CACHE/src" && apt-get source -qq qemu >&2) ||
		die "apt-get source qemu failed (deb-src enabled? run scripts/install-deps.sh)"
	SRC=$(find_src)
	[ -n "$SRC" ] || die "no qemu-* directory after apt-get source"
fi
VER=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -S Version)

KEY=$(input_hash "qemu=$VER" "configure=${CONFIGURE_OPTS[*]}" "layout=$LAYOUT")
DIR=$TOE_CACHE/qemu-build-$KEY
TREE=$DIR/src
BUILD=$DIR/build
mkdir -p "$DIR"

# --- a private copy of the source with the device wired in ---------------
if [ ! -f "$TREE/.toe-copied" ]; then
	log "copying qemu $VER source to $TREE"
	rm -rf "$TREE" "$BUILD"
	mkdir -p "$TREE"
	cp -a "$SRC/." "$TREE/"
	touch "$TREE/.toe-copied"
fi

# Idempotent edits: each line is added once, and checked.
grep -qxF "subdir('toe')" "$TREE/hw/net/meson.build" ||
	printf "\nsubdir('toe')\n" >> "$TREE/hw/net/meson.build"
grep -qxF "source toe/Kconfig" "$TREE/hw/net/Kconfig" ||
	printf "\nsource toe/Kconfig\n" >> "$TREE/hw/net/Kconfig"
grep -qF "'hw/net/toe'," "$TREE/meson.build" ||
	sed -i "s|^    'hw/net',\$|&\n    'hw/net/toe',|" "$TREE/meson.build"
grep -qF "'hw/net/toe'," "$TREE/meson.build" ||
	die "could not add hw/net/toe to trace_events_subdirs"

# Device files: rsync -c rewrites only files whose content changed.
mkdir -p "$TREE/hw/net/toe"
rsync -rc --delete --exclude=toe_hw.h --exclude=tests/ --exclude='*.o' \
	--exclude='build*/' --exclude=Makefile \
	"$DEVICE_DIR/" "$TREE/hw/net/toe/"
rsync -c "$HW_HEADER" "$TREE/hw/net/toe/toe_hw.h"
# The engine includes "toe_hw.h" from its own directory in QEMU's tree.
rsync -c "$HW_HEADER" "$TREE/hw/net/toe/engine/toe_hw.h"

# The qtests: every tests/*-test.c is one binary; tests/*.h they share.
QTESTS=()
for src in "$DEVICE_DIR"/tests/*-test.c; do
	[ -f "$src" ] || continue
	name=$(basename "$src" .c)
	QTESTS+=("$name")
	grep -qF "'$name'" "$TREE/tests/qtest/meson.build" ||
		sed -i "s|^qtests_x86_64 = qtests_i386.*|& + ['$name']|" \
			"$TREE/tests/qtest/meson.build"
	grep -qF "'$name'" "$TREE/tests/qtest/meson.build" ||
		die "could not add $name to tests/qtest/meson.build"
done
[ ${#QTESTS[@]} -gt 0 ] || [ "$QTEST" = 0 ] ||
	die "--qtest: no $DEVICE_DIR/tests/*-test.c"
rsync -c "$DEVICE_DIR"/tests/*.[ch] "$TREE/tests/qtest/"

# --- configure once, then ninja -----------------------------------------
if [ ! -f "$BUILD/build.ninja" ]; then
	log "configuring in $BUILD"
	mkdir -p "$BUILD"
	(cd "$BUILD" && "$TREE/configure" "${CONFIGURE_OPTS[@]}") >"$DIR/configure.log" 2>&1 ||
		{ tail -30 "$DIR/configure.log" >&2; rm -f "$BUILD/build.ninja";
		  die "configure failed (log: $DIR/configure.log)"; }
fi

targets=(qemu-system-x86_64)
if [ "$QTEST" = 1 ]; then
	for name in "${QTESTS[@]}"; do
		targets+=("tests/qtest/$name")
	done
fi
log "ninja ${targets[*]} in $BUILD"
ninja -C "$BUILD" -j"$(nproc)" "${targets[@]}" >"$DIR/build.log" 2>&1 ||
	{ grep -E -B2 -A12 'error|FAILED' "$DIR/build.log" | tail -60 >&2;
	  die "build failed (log: $DIR/build.log)"; }
grep -E 'warning:' "$DIR/build.log" | grep -F 'hw/net/toe/' >&2 || true

QEMU=$BUILD/qemu-system-x86_64
[ -x "$QEMU" ] || die "no $QEMU after build"

# Run from the build tree, QEMU looks for --firmwarepath under
# $BUILD/qemu-bundle; point those at Debian's firmware packages so no -L
# is needed (the prefix is /usr/local, so meson never writes there).
for fw in /usr/share/qemu /usr/share/seabios /usr/lib/ipxe/qemu; do
	[ -d "$fw" ] || continue
	mkdir -p "$BUILD/qemu-bundle$(dirname "$fw")"
	ln -sfn "$fw" "$BUILD/qemu-bundle$fw"
done

if [ "$QTEST" = 1 ]; then
	rc=0
	for name in "${QTESTS[@]}"; do
		log "running $name"
		QTEST_QEMU_BINARY=$QEMU "$BUILD/tests/qtest/$name" --tap -k >&2 ||
			rc=1
	done
	[ $rc -eq 0 ] || die "a qtest failed"
	echo "$BUILD/tests/qtest"
else
	echo "$QEMU"
fi
