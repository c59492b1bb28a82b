#!/bin/bash
# qtest.sh - QEMU's own kind of device test: qemu-toe-device/tests/
# toe-pci-test.c drives the device's registers and rings directly from
# the host (malformed values included) and checks what it answers;
# toe-offload-test.c drives connection offload, the test being the TCP
# peer on the socket netdev as well as the driver.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

OUT=${TOE_RESULTS:-$TOE_CACHE/results}/qtest.tap
mkdir -p "$(dirname "$OUT")"
rc=0
bash "$TOE_ROOT/scripts/build-qemu.sh" --qtest >/dev/null 2>"$OUT" || rc=$?
# Each qtest binary prints its TAP plan ("1..N") first: their sum is ours.
plan "$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$OUT" | awk '{ n += $1 } END { print n + 0 }')" \
	"qtest cases"
plan 1 "the qtest run"
n=0
while read -r status num name; do
	n=$((n + 1))
	[ "$status" = ok ]
	log_test $? "qtest ${name#/x86_64/}"
done < <(grep -E '^(ok|not ok) ' "$OUT" | sed 's/^not ok/not_ok/')
[ $rc -eq 0 ] && [ $n -gt 0 ]
ok=$?
[ $ok -eq 0 ] || tail -n 20 "$OUT" >&2
log_test $ok "qtest: the binaries ran ($n results) and exited 0 ($rc)"
exit $TOE_FAILED
