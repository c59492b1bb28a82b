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
# checkpatch_one FILE: its report in $REPORTS/N (N: its place in FILES),
# empty when clean. Two at a time: the machine has two cores.
REPORTS=$(mktemp -d)
trap 'rm -rf "$REPORTS"' EXIT
export KSRC REPORTS
checkpatch_one() {
	local n=$1 f=$2 ignore=FILE_PATH_CHANGES,SPDX_LICENSE_TAG
	# The ULP copies the socket's proto_ops at run time and changes
	# them, as net/tls does: they cannot be const.
	[ "$f" = src/toe_ulp.c ] && ignore+=,CONST_STRUCT
	perl "$KSRC/scripts/checkpatch.pl" --no-tree --quiet --show-types \
		--ignore "$ignore" -f "$f" > "$REPORTS/$n" 2>&1 ||
		echo "checkpatch exited nonzero" >> "$REPORTS/$n"
}
export -f checkpatch_one
for i in "${!FILES[@]}"; do
	printf '%s\0%s\0' "$i" "${FILES[$i]}"
done | xargs -0 -n 2 -P 2 bash -c 'checkpatch_one "$1" "$2"' _
for i in "${!FILES[@]}"; do
	rc=0
	if [ ! -f "$REPORTS/$i" ] || [ -s "$REPORTS/$i" ]; then
		head -n 30 "$REPORTS/$i" >&2 2>/dev/null || echo "${FILES[$i]}: no report" >&2
		rc=1
	fi
	log_test $rc "checkpatch: ${FILES[$i]}"
done
exit $TOE_FAILED
