#!/bin/bash
# exceptions.sh [FLAVOUR] - the NIC asks for connections back because of
# what happened on the wire: urgent data from the peer, and loss that
# overflows the engine's memory for held out-of-order data (issue 5).
#
# Boots the VM with the NIC's memory budget at its smallest
# (mem-budget=64K), runs scripts/guest/exceptions-suite.sh inside, then
# checks from the peer's side that both streams the guest sent arrived
# intact (toe-xfer --expect), that the peer did send its urgent byte, and
# that the peer's own TCP reset nothing. SIZE (each way per transfer) is
# 8M, 2M for the debug flavour.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

FLAVOUR=${1:-base}
OUT=${TOE_RESULTS:-$TOE_CACHE/results}/exceptions-$FLAVOUR
[ "$FLAVOUR" = debug ] && SIZE=${SIZE:-2M}
SIZE=${SIZE:-8M}
rm -rf "$OUT" && mkdir -p "$(dirname "$OUT")"
TOE_XFER=$(bash "$TOE_ROOT/scripts/build-module.sh" "$FLAVOUR")/tools/toe-xfer

# listener PORT OPTIONS...: the peer's side of one transfer.
listener() {
	local port=$1
	shift
	echo "$TOE_XFER --listen $port --bytes $SIZE --seed $((2000 + port))" \
		"--expect $((1000 + port)):$SIZE --fin-last $* > /dev/null 2> l-$port.log"
}
rc=0
bash "$TOE_ROOT/scripts/vm-run.sh" --flavour "$FLAVOUR" --out "$OUT" --timeout 1200 \
	--device-opts mem-budget=65536 \
	--peer "$(listener 5940 --pause-at 1M --resume-file go-urgent --urgent-at 1536K)" \
	--peer "$(listener 5941 --pause-at 512K --resume-file go-reasm)" \
	--peer "bash $TOE_ROOT/scripts/tests/console-requests.sh" \
	--after "nstat -asz > nstat.txt" \
	-- "SIZE=$SIZE sh /tests/exceptions-suite.sh" \
	>"$OUT.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || { tail -n 20 "$OUT.log"; tail -n 40 "$OUT/console.log"; } >&2
guest_tests "$OUT/console.log" "$FLAVOUR"

for p in 5940 5941; do
	grep -q "^toe-xfer: received seed .* every one as expected" "$OUT/l-$p.log"
	log_test $? "[$FLAVOUR] port $p: the peer receives the guest's stream intact"
done
[ -f "$OUT/go-urgent" ] && [ -f "$OUT/go-reasm" ] && [ -f "$OUT/faults-set" ]
log_test $? "[$FLAVOUR] the peer was let go on both, and the faults were set"

rc=1
if [ -s "$OUT/nstat.txt" ]; then
	rc=0
	for c in TcpEstabResets TcpExtTCPAbortOnData TcpExtTCPAbortOnClose \
		TcpExtTCPAbortOnTimeout TcpExtPAWSEstab TcpExtTCPSACKReneging; do
		[ "$(nstat_get "$OUT/nstat.txt" $c)" = 0 ] ||
			{ echo "peer $c = $(nstat_get "$OUT/nstat.txt" $c)" >&2; rc=1; }
	done
fi
log_test $rc "[$FLAVOUR] peer's nstat: no reset, no PAWS reject, no SACK reneging"
echo "peer: $(for c in TcpRetransSegs TcpExtTCPTimeouts; do
	printf '%s=%s ' $c "$(nstat_get "$OUT/nstat.txt" $c)"; done)" >&2
check_kernel_log "$OUT/console.log" "$FLAVOUR exceptions"
check_kmemleak "$OUT/console.log" "$FLAVOUR"
