#!/bin/bash
# l2.sh [FLAVOUR] - the NIC as an ordinary Ethernet device (issue 2).
#
# Boots the VM with netserver and three toe-xfer listeners on the peer,
# runs scripts/guest/l2-suite.sh inside, then checks from the peer's side
# that every stream the guest sent arrived intact, and that the kernel
# log has no oops, KASAN, lockdep or kmemleak report.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

FLAVOUR=${1:-base}
OUT=${TOE_RESULTS:-$TOE_CACHE/results}/l2-$FLAVOUR
XFER=${XFER:-64M}
rm -rf "$OUT" && mkdir -p "$(dirname "$OUT")"
TOE_XFER=$(bash "$TOE_ROOT/scripts/build-module.sh" "$FLAVOUR")/tools/toe-xfer

rc=0
bash "$TOE_ROOT/scripts/vm-run.sh" --flavour "$FLAVOUR" --out "$OUT" --timeout 2400 \
	--peer "netserver -D -p 12865" \
	--peer "$TOE_XFER --listen 5001 --bytes $XFER --seed 2 | sha256sum | cut -d' ' -f1 > rx1.sha" \
	--peer "$TOE_XFER --listen 5002 --bytes 32M --seed 4 | sha256sum | cut -d' ' -f1 > rx2.sha" \
	--peer "$TOE_XFER --listen 5003 --bytes 32M --seed 6 | sha256sum | cut -d' ' -f1 > rx3.sha" \
	--after "nstat -asz > nstat.txt" \
	-- "XFER=$XFER sh /tests/l2-suite.sh" >"$OUT.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || { tail -n 20 "$OUT.log"; tail -n 40 "$OUT/console.log"; } >&2
guest_tests "$OUT/console.log" "$FLAVOUR"

check_peer "$OUT" "$FLAVOUR" rx1.sha 1 "$XFER" "$XFER each way: peer receives the guest's stream intact"
check_peer "$OUT" "$FLAVOUR" rx2.sha 3 32M "rmmod/insmod mid-transfer: peer receives the stream intact"
check_peer "$OUT" "$FLAVOUR" rx3.sha 5 32M "device reset mid-transfer: peer receives the stream intact"
# The peer's own counters: what the wire really did.
rc=1
if [ -s "$OUT/nstat.txt" ]; then
	rc=0
	for c in TcpExtPAWSEstab TcpExtTCPSACKReneging; do
		[ "$(nstat_get "$OUT/nstat.txt" $c)" = 0 ] || { echo "peer $c = $(nstat_get "$OUT/nstat.txt" $c)" >&2; rc=1; }
	done
fi
log_test $rc "[$FLAVOUR] peer's nstat: no PAWS rejects, no SACK reneging"
echo "peer: $(for c in TcpOutSegs TcpRetransSegs TcpEstabResets TcpOutRsts; do
	printf '%s=%s ' $c "$(nstat_get "$OUT/nstat.txt" $c)"; done)" > "$OUT/peer-counters.txt"
check_kernel_log "$OUT/console.log" "$FLAVOUR l2"
check_kmemleak "$OUT/console.log" "$FLAVOUR"
grep -a '^GUEST_NETPERF' "$OUT/console.log" > "$OUT/netperf.txt" || true
exit $TOE_FAILED
