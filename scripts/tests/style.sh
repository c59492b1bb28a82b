#!/bin/bash
# style.sh - kernel code must be checkpatch clean (kernel style).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

bash "$TOE_ROOT/scripts/build-kernel.sh" base >/dev/null || die "no kernel source"
KSRC=$(ls -d "$TOE_CACHE"/src/linux-source-6.1-*/ | head -n1)
cd "$TOE_ROOT" || die "no $TOE_ROOT"
FILES=()
for f in include/toe_hw.h include/uapi/*.h src/*.[ch] kunit/*.[ch] \
	qemu-toe-device/engine/*.[ch] qemu-toe-device/engine/tests/*.[ch] tools/toectl.c tools/toe-preload.c; do
	[ -f "$f" ] && FILES+=("$f")
done
plan ${#FILES[@]} "one per file"
for f in "${FILES[@]}"; do
	ignore=FILE_PATH_CHANGES,SPDX_LICENSE_TAG
	# The ULP copies the socket's proto_ops at run time and changes
	# them, as net/tls does: they cannot be const.
	[ "$f" = src/toe_ulp.c ] && ignore+=,CONST_STRUCT
	out=$(perl "$KSRC/scripts/checkpatch.pl" --no-tree --quiet --show-types \
		--ignore "$ignore" -f "$f" 2>&1) && rc=0 || rc=1
	[ -z "$out" ] || { echo "$out" | head -n 30 >&2; rc=1; }
	log_test $rc "checkpatch: $f"
done
exit $TOE_FAILED
