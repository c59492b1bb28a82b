#!/bin/bash
# demo.sh - the main job: boot the test VM with the toe NIC, move data both
# ways over one TCP connection through it, move that connection to the
# NIC's TCP engine and back under traffic (scripts/guest/demo.sh) with live
# figures, and compare SHA-256 on both ends.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BYTES=${BYTES:-512M}
OUT=$TOE_CACHE/results/demo
rm -rf "$OUT" && mkdir -p "$OUT"
TOE_XFER=$(bash "$TOE_ROOT/scripts/build-module.sh" base)/tools/toe-xfer

rc=0
bash "$TOE_ROOT/scripts/vm-run.sh" --live --out "$OUT" \
	--peer "$TOE_XFER --listen 5001 --bytes $BYTES --seed 2 --fin-last | sha256sum | cut -d' ' -f1 > rx.sha" \
	-- "BYTES=$BYTES sh /tests/demo.sh" || rc=$?
want=$("$TOE_XFER" --gen --bytes "$BYTES" --seed 1 | sha256sum | cut -d' ' -f1)
got=$(cat "$OUT/rx.sha" 2>/dev/null || echo none)
echo "demo: peer received sha256 $got"
echo "demo: expected sha256      $want"
if [ $rc -eq 0 ] && [ "$got" = "$want" ]; then
	echo "demo: the connection moved to the NIC and home; both ends received intact streams"
	exit 0
fi
[ "$got" = "$want" ] || echo "demo: FAILED: the peer's stream differs"
case $rc in
0) ;;
124) echo "demo: FAILED: the guest timed out" ;;
125) echo "demo: FAILED: the guest ended without a status" ;;
*) echo "demo: FAILED: the guest says why above (status $rc)" ;;
esac
echo "demo: logs in $OUT"
exit 1
