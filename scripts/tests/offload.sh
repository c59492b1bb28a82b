#!/bin/bash
# offload.sh [FLAVOUR] - live TCP connections move to the NIC and back
# under traffic (issue 4).
#
# Boots the VM with toe-xfer listeners on the peer, runs
# scripts/guest/offload-suite.sh inside (which moves each connection with
# TOE_OFFLOAD in the middle of the transfer), then checks from the peer's
# side that every stream the guest sent arrived intact, that the peer's
# own TCP saw no reset, PAWS reject or SACK reneging, and that the kernel
# log is clean. XFER (default 256M; 64M for the debug flavour) is what the
# guest sends on the two long transfers, PEER_XFER (2 x XFER; 4 x for the
# debug flavour, whose sender is slower) what the peer sends. MOVES
# (1000; 100 for debug) moves happen while MOVE_XFER (256M; 64M) flows
# each way on one more connection.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

FLAVOUR=${1:-base}
OUT=${TOE_RESULTS:-$TOE_CACHE/results}/offload-$FLAVOUR
if [ "$FLAVOUR" = debug ]; then
	XFER=${XFER:-64M}
	PEER_XFER=${PEER_XFER:-256M}
	MOVES=${MOVES:-100}
	MOVE_XFER=${MOVE_XFER:-64M}
fi
XFER=${XFER:-256M}
PEER_XFER=${PEER_XFER:-512M}
MOVES=${MOVES:-1000}
MOVE_XFER=${MOVE_XFER:-256M}
rm -rf "$OUT" && mkdir -p "$(dirname "$OUT")"
TOE_XFER=$(bash "$TOE_ROOT/scripts/build-module.sh" "$FLAVOUR")/tools/toe-xfer

# peer_retrans LOG: the peer's own tcpi_total_retrans, as its toe-xfer
# printed it in LOG (empty if it did not).
peer_retrans() {
	sed -n 's/^toe-xfer: retransmitted \([0-9]*\).*/\1/p' "$1"
}

# listen PORT BYTES SEED FILE [OPTIONS]: a toe-xfer listener on the peer.
listen() {
	echo "$TOE_XFER --listen $1 --bytes $2 --seed $3 ${5:-} |" \
		"sha256sum | cut -d' ' -f1 > $4"
}
rc=0
bash "$TOE_ROOT/scripts/vm-run.sh" --flavour "$FLAVOUR" --out "$OUT" --timeout 2400 \
	--peer "$(listen 5011 "$PEER_XFER" 22 rx1.sha "--fin-last --rate-bins 100")" \
	--peer "$(listen 5012 "$PEER_XFER" 24 rx2.sha --fin-last)" \
	--peer "$(listen 5013 32M 26 rx3.sha --fin-last)" \
	--peer "$(listen 5014 64M 5054 rx4.sha)" \
	--peer "$(listen 5015 64M 5055 rx5.sha)" \
	--peer "$(listen 5016 64M 5056 rx6.sha)" \
	--peer "$(listen 5017 64M 5057 rx7.sha)" \
	--peer "$(listen 5018 "$MOVE_XFER" 52 rx8.sha "--fin-last --rate-bins 100")" \
	--peer "$(listen 5021 4M 71 rq1.sha --fin-last)" \
	--peer "$(listen 5022 4M 72 rq2.sha --fin-last)" \
	--peer "$(listen 5023 4M 73 rq3.sha --fin-last)" \
	--peer "$(listen 5024 4M 74 rq4.sha --fin-last)" \
	--peer "$(listen 5025 4M 75 rq5.sha --fin-last)" \
	--peer "$(listen 5026 4M 76 rq6.sha --fin-last)" \
	--peer "$(listen 5027 4M 77 rq7.sha --fin-last)" \
	--peer "$(listen 5028 4M 82 hc1.sha "--pause-at 1M --resume-file peer-fin")" \
	--peer "$(listen 5029 1M 92 zw1.sha "--fin-last --rx-pause-at 1M --resume-file peer-go")" \
	--peer "$(listen 5030 16M 102 lossy.sha --fin-last)" \
	--peer "bash $TOE_ROOT/scripts/tests/console-requests.sh" \
	--peer "netserver -D -p 12865" \
	--after "nstat -asz > nstat.txt" \
	-- "XFER=$XFER PEER_XFER=$PEER_XFER MOVES=$MOVES MOVE_XFER=$MOVE_XFER sh /tests/offload-suite.sh" \
	>"$OUT.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || { tail -n 20 "$OUT.log"; tail -n 40 "$OUT/console.log"; } >&2
guest_tests "$OUT/console.log" "$FLAVOUR"

check_peer "$OUT" "$FLAVOUR" rx1.sha 21 "$XFER" "IPv4 $XFER out, $PEER_XFER in, moved: the peer receives the guest's stream intact"
check_peer "$OUT" "$FLAVOUR" rx2.sha 23 "$XFER" "IPv6 $XFER out, $PEER_XFER in, moved: the peer receives the guest's stream intact"
check_peer "$OUT" "$FLAVOUR" rx3.sha 25 32M "IPv4 32M, home at shutdown: the peer receives the stream intact"
i=4
for io in read poll epoll-et nonblock; do
	check_peer "$OUT" "$FLAVOUR" rx$i.sha $((5040 + i)) 1M \
		"waiting with $io, moved: the peer receives the guest's stream intact"
	i=$((i + 1))
done
check_peer "$OUT" "$FLAVOUR" rx8.sha 51 "$MOVE_XFER" "$MOVES moves: the peer receives the guest's stream intact"
n=$(peer_retrans "$OUT/peer-8.log")
echo "peer retransmitted ${n:-?} segments over $MOVES moves" \
	"($(awk -v n="${n:-0}" -v m="$MOVES" 'BEGIN { printf "%.3f", n / m }') per move)" |
	tee "$OUT/retrans-per-move.txt" >&2
for i in 1 2 3 4 5 6 7; do
	check_peer "$OUT" "$FLAVOUR" rq$i.sha $((60 + i)) 4M \
		"NIC asks for it back (reason $i): the peer receives the stream intact"
done
check_peer "$OUT" "$FLAVOUR" hc1.sha 81 4M \
	"home after the peer's FIN on the NIC: the peer receives the stream intact"
check_peer "$OUT" "$FLAVOUR" zw1.sha 91 16M \
	"home in a zero window: the peer receives the stream intact"
check_peer "$OUT" "$FLAVOUR" lossy.sha 101 16M \
	"1% loss, dup, reorder, 100 moves: the peer receives the stream intact"
# The faults were on the wire: the peer lost segments and sent them again.
n=$(peer_retrans "$OUT/peer-18.log")
echo "# the lossy transfer: the peer retransmitted ${n:-?} segments" >&2
[ -f "$OUT/faults-set" ] && [ "${n:-0}" -gt 0 ]
log_test $? "[$FLAVOUR] 1% loss, dup, reorder: the peer saw losses and retransmitted"
grep -a '^GUEST_MOVES' "$OUT/console.log" > "$OUT/moves.txt" || true
# The dip around a move as the peer sees it: its receive rate per 100 ms,
# over the transfer moved twice and the one moved MOVES times.
for f in 1 8; do
	sed -n "s/^toe-xfer: receive rate/peer-$f.log: receive rate/p" "$OUT/peer-$f.log"
done | tee "$OUT/rate-dip.txt" >&2

# The peer's own counters: what the wire really did. nstat-clean.txt was
# taken as the faults went on, after every clean test; nstat.txt at the
# end. A lossy wire may make the peer reject a late duplicate (PAWS); it
# must still see no reset and no SACK reneging. A reset is an open
# connection reset (TcpEstabResets) or aborted (TcpExtTCPAbortOn*); the
# peer's RSTs in all (TcpOutRsts) are printed: one answering a segment
# for no socket, say a late copy after both ends closed, resets nothing.
check_nstat() {
	local file=$1 name=$2 rc=1 c
	shift 2
	if [ -s "$file" ]; then
		rc=0
		for c in "$@"; do
			[ "$(nstat_get "$file" "$c")" = 0 ] ||
				{ echo "peer $c = $(nstat_get "$file" "$c") ($name)" >&2; rc=1; }
		done
	fi
	log_test $rc "[$FLAVOUR] peer's nstat, $name"
}
RESETS="TcpEstabResets TcpExtTCPAbortOnData TcpExtTCPAbortOnClose TcpExtTCPAbortOnTimeout"
check_nstat "$OUT/nstat-clean.txt" "clean tests: no reset, PAWS reject or SACK reneging" \
	$RESETS TcpExtPAWSEstab TcpExtTCPSACKReneging
check_nstat "$OUT/nstat.txt" "all tests: no reset or SACK reneging" \
	$RESETS TcpExtTCPSACKReneging
# Reported, not asserted: see Documentation/testing.rst. Per transfer,
# the peer's own tcpi_total_retrans (peer-N.log, in --peer order).
for f in "$OUT"/peer-[0-9]*.log; do
	n=$(peer_retrans "$f")
	[ -z "$n" ] || echo "peer retransmitted $n segments on ${f##*/}"
done | tee "$OUT/peer-retrans.txt" >&2
echo "peer: $(for c in TcpOutSegs TcpRetransSegs TcpExtTCPLossProbes TcpExtTCPTimeouts \
	TcpExtTCPDSACKRecv TcpOutRsts; do printf '%s=%s ' $c "$(nstat_get "$OUT/nstat-clean.txt" $c)"; done)" |
	tee "$OUT/peer-counters.txt" >&2
check_kernel_log "$OUT/console.log" "$FLAVOUR offload"
check_kmemleak "$OUT/console.log" "$FLAVOUR"
exit $TOE_FAILED
