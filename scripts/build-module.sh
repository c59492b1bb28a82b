#!/bin/bash
# build-module.sh FLAVOUR - build toe.ko and toe_kunit.ko against the guest
# kernel of that flavour (base or debug), and the guest's test tools.
#
# Each flavour builds in its own copy of the sources under $TOE_CACHE so
# the two never share objects. rsync -c leaves unchanged files alone and
# writes changed ones with the current time (--no-times: not the source's,
# which may be older than objects built from another checkout), so make
# rebuilds exactly what changed. Prints the directory holding the .ko
# files, tools/toe-xfer, tools/toectl and tools/toe-preload.so.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

FLAVOUR=${1:-base}
KDIR=$(bash "$TOE_ROOT/scripts/build-kernel.sh" "$FLAVOUR")
OUT=$TOE_CACHE/module-$FLAVOUR

mkdir -p "$OUT"
rsync -a -c --no-times --delete --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
	--exclude='*.mod*' --exclude='modules.order' --exclude='Module.symvers' \
	--exclude='toe-xfer' --exclude='toectl' --exclude='*.so' \
	"$TOE_ROOT/Kbuild" "$TOE_ROOT/Kconfig" "$TOE_ROOT/include" "$TOE_ROOT/src" \
	"$TOE_ROOT/kunit" "$TOE_ROOT/tools" "$OUT/"
log "building module ($FLAVOUR) in $OUT"
make -s -C "$KDIR" M="$OUT" W=1 modules >"$OUT/build.log" 2>&1 ||
	{ cat "$OUT/build.log" >&2; die "module build failed"; }
if grep -q 'warning:' "$OUT/build.log"; then
	cat "$OUT/build.log" >&2
	die "module build has warnings"
fi
make -s -C "$OUT/tools" >/dev/null ||
	die "tools build failed"
echo "$OUT"
