#!/bin/bash
# failover.sh [FLAVOUR] - connections on the NIC come home without it
# (issue 5): a device reset, then a device that stops answering (its hang
# property, set over QMP), each in the middle of N transfers on the NIC;
# then an upload asked for while the device hangs.
#
# Boots the VM with N toe-xfer listeners per round on the peer, runs
# scripts/guest/failover-suite.sh inside, then checks from the peer's side
# that every stream the guest sent arrived intact (toe-xfer --expect), and
# that the peer's own TCP reset nothing. N is 50, SIZE (each way per
# transfer) 2M; the debug flavour, whose kernel is many times slower under
# TCG with KASAN, lockdep and kmemleak, runs N=10 with 1M.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

FLAVOUR=${1:-base}
OUT=${TOE_RESULTS:-$TOE_CACHE/results}/failover-$FLAVOUR
if [ "$FLAVOUR" = debug ]; then
	N=${N:-10}
	SIZE=${SIZE:-1M}
fi
N=${N:-50}
SIZE=${SIZE:-2M}
rm -rf "$OUT" && mkdir -p "$(dirname "$OUT")"
TOE_XFER=$(bash "$TOE_ROOT/scripts/build-module.sh" "$FLAVOUR")/tools/toe-xfer

# listeners ROUND BASE [COUNT]: the peer's side of a round (COUNT, by
# default N, transfers), one log per transfer.
listeners() {
	echo "for i in \$(seq 0 $((${3:-$N} - 1))); do p=\$(($2 + i));" \
		"$TOE_XFER --listen \$p --bytes $SIZE --seed \$((2000 + p))" \
		"--expect \$((1000 + p)):$SIZE --pause-at 512K --resume-file go-$1" \
		"> /dev/null 2> $1-\$i.log & done; wait"
}
rc=0
bash "$TOE_ROOT/scripts/vm-run.sh" --flavour "$FLAVOUR" --out "$OUT" --timeout 1200 \
	--peer "$(listeners reset 5200)" \
	--peer "$(listeners hang 5300)" \
	--peer "$(listeners up 5400 1)" \
	--peer "bash $TOE_ROOT/scripts/tests/console-requests.sh" \
	--after "nstat -asz > nstat.txt" \
	-- "N=$N SIZE=$SIZE sh /tests/failover-suite.sh" \
	>"$OUT.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || { tail -n 20 "$OUT.log"; tail -n 40 "$OUT/console.log"; } >&2
guest_tests "$OUT/console.log" "$FLAVOUR"

for round in reset hang; do
	ok=0
	for i in $(seq 0 $((N - 1))); do
		grep -q "^toe-xfer: received seed .* every one as expected" \
			"$OUT/$round-$i.log" 2>/dev/null && ok=$((ok + 1))
	done
	[ $ok = "$N" ]
	log_test $? "[$FLAVOUR] $round: the peer receives all $N of the guest's streams intact ($ok)"
done
grep -q "^toe-xfer: received seed .* every one as expected" "$OUT/up-0.log"
log_test $? "[$FLAVOUR] upload while the device hangs: the peer receives the stream intact"
[ -s "$OUT/hang-set" ]
log_test $? "[$FLAVOUR] hang: the device was made to stop answering"

# The peer's own counters. A failover loses what the NIC held out of
# order, which the peer may have seen SACKed: counted and printed, as are
# the peer's retransmissions; no connection may have been reset.
rc=1
if [ -s "$OUT/nstat.txt" ]; then
	rc=0
	for c in TcpEstabResets TcpExtTCPAbortOnData TcpExtTCPAbortOnClose \
		TcpExtTCPAbortOnTimeout; do
		[ "$(nstat_get "$OUT/nstat.txt" $c)" = 0 ] ||
			{ echo "peer $c = $(nstat_get "$OUT/nstat.txt" $c)" >&2; rc=1; }
	done
fi
log_test $rc "[$FLAVOUR] peer's nstat: no connection reset"
echo "peer: $(for c in TcpRetransSegs TcpExtTCPTimeouts TcpExtPAWSEstab \
	TcpExtTCPSACKReneging TcpOutRsts; do
	printf '%s=%s ' $c "$(nstat_get "$OUT/nstat.txt" $c)"; done)" |
	tee "$OUT/peer-counters.txt" >&2
check_kernel_log "$OUT/console.log" "$FLAVOUR failover"
check_kmemleak "$OUT/console.log" "$FLAVOUR"
exit $TOE_FAILED
