#!/bin/bash
# qtest.sh - QEMU's own kind of device test: qemu-toe-device/tests/
# toe-pci-test.c drives the device's registers and rings directly from
# the host (malformed values included) and checks what it answers;
# toe-offload-test.c drives connection offload, the test being the TCP
# peer on the socket netdev as well as the driver.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

OUT=${TOE_RESULTS:-$TOE_CACHE/results}/qtest.tap
mkdir -p "$(dirname "$OUT")"
rc=0
bash "$TOE_ROOT/scripts/build-qemu.sh" --qtest >/dev/null 2>"$OUT" || rc=$?
n=0
while read -r status num name; do
	n=$((n + 1))
	[ "$status" = ok ]
	log_test $? "qtest ${name#/x86_64/}"
done < <(grep -E '^(ok|not ok) ' "$OUT" | sed 's/^not ok/not_ok/')
[ $n -gt 0 ] || { tail -n 20 "$OUT" >&2; log_test 1 "qtest ran (no TAP results)"; }
[ $rc -eq 0 ] || log_test 1 "qtest binary exited $rc"
exit $TOE_FAILED
