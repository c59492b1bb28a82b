#!/bin/bash
# kunit.sh [FLAVOUR] - load toe_kunit.ko in the test VM and judge its KTAP
# on the host (scripts/ktap.py): every toe suite must be "ok".
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

FLAVOUR=${1:-base}
OUT=${TOE_RESULTS:-$TOE_CACHE/results}/kunit-$FLAVOUR
rm -rf "$OUT" && mkdir -p "$(dirname "$OUT")"

rc=0
bash "$TOE_ROOT/scripts/vm-run.sh" --flavour "$FLAVOUR" --out "$OUT" -- \
	'dmesg -c >/dev/null; echo TOE_KTAP_BEGIN; insmod /lib/modules/toe_kunit.ko; dmesg' >"$OUT.log" 2>&1 || rc=$?
log_test $rc "[$FLAVOUR] the VM boots, loads toe.ko and toe_kunit.ko"
if [ -f "$OUT/console.log" ]; then
	sed -n '/^TOE_KTAP_BEGIN/,$p' "$OUT/console.log" > "$OUT/ktap.txt"
	python3 "$TOE_ROOT/scripts/ktap.py" "$OUT/ktap.txt" | sed "s/^TEST: /TEST: [$FLAVOUR] /" ||
		TOE_FAILED=1
	check_kernel_log "$OUT/console.log" "$FLAVOUR kunit"
fi
[ $rc -eq 0 ] || tail -n 20 "$OUT.log" >&2
exit $TOE_FAILED
