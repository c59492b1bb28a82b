#!/bin/bash
# offload.sh FLAVOUR [QUESTION...] - live TCP connections move to the NIC
# and back under traffic (issue 4).
#
# scripts/guest/offload-suite.sh in the VM (which moves each connection
# with TOE_OFFLOAD in the middle of the transfer), with toe-xfer
# listeners on the peer. Run alone (offload.sh base), it boots the VM for
# itself (scripts/tests/vm.sh); make check runs it in one boot with other
# suites, asking it the questions vm.sh lists. After the boot it checks from the peer's
# side that every stream the guest sent arrived intact (each peer checks
# its stream as it comes, toe-xfer --expect), that the peer's own TCP saw
# no reset, PAWS reject or SACK reneging, that the wire faults really
# happened (the device's own counters), and that the kernel log is clean.
#
# Sizes (make check / debug / make soak, TOE_SOAK=1):
#   XFER        16M / 4M / 256M   what the guest sends on the two long
#                                 transfers, moved at a quarter, home at
#                                 three quarters: several rings' worth on
#                                 the NIC each way
#   PEER_XFER   2 x XFER (4 x for debug, whose sender is slower): what the
#               peer sends on them, so the connection is busy both ways
#   MOVES       100 / 20 / 1000   moves while MOVE_XFER (16M / 4M / 256M)
#                                 flows each way on one more connection
#   IO_XFER     8M / 4M / 64M     what the peer sends to each way of
#                                 waiting (read, poll, epoll, nonblock)
#   SHUT_XFER   8M / 4M / 32M     home at the sender's shutdown
#   LOSSY_XFER  16M / 4M / 16M, LOSSY_CYCLES 20 / 10 / 50: moves while the
#               device drops, duplicates and reorders 1% of the frames
#   ASK_XFER    4M / 1M / 4M      each way on each of the seven transfers
#                                 the NIC asks back: moved at a quarter,
#                                 asked back paused at half way
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

FLAVOUR=${1:-base}
WHAT=${2:-run}
[ "$WHAT" = run ] && exec bash "$(dirname "$0")/vm.sh" "$FLAVOUR" offload
if [ "${TOE_SOAK:-0}" = 1 ]; then
	if [ "$FLAVOUR" = debug ]; then
		XFER=${XFER:-64M} PEER_XFER=${PEER_XFER:-256M} MOVES=${MOVES:-100}
		MOVE_XFER=${MOVE_XFER:-64M}
	fi
	XFER=${XFER:-256M} PEER_XFER=${PEER_XFER:-512M} MOVES=${MOVES:-1000}
	MOVE_XFER=${MOVE_XFER:-256M} IO_XFER=${IO_XFER:-64M}
	SHUT_XFER=${SHUT_XFER:-32M} LOSSY_XFER=${LOSSY_XFER:-16M}
	LOSSY_CYCLES=${LOSSY_CYCLES:-50}
elif [ "$FLAVOUR" = debug ]; then
	XFER=${XFER:-4M} PEER_XFER=${PEER_XFER:-16M} MOVES=${MOVES:-20}
	MOVE_XFER=${MOVE_XFER:-4M} IO_XFER=${IO_XFER:-4M}
	SHUT_XFER=${SHUT_XFER:-4M} LOSSY_XFER=${LOSSY_XFER:-4M}
	LOSSY_CYCLES=${LOSSY_CYCLES:-10} ASK_XFER=${ASK_XFER:-1M}
fi
XFER=${XFER:-16M}
PEER_XFER=${PEER_XFER:-32M}
MOVES=${MOVES:-100}
MOVE_XFER=${MOVE_XFER:-16M}
IO_XFER=${IO_XFER:-8M}
SHUT_XFER=${SHUT_XFER:-8M}
LOSSY_XFER=${LOSSY_XFER:-16M}
LOSSY_CYCLES=${LOSSY_CYCLES:-20}
ASK_XFER=${ASK_XFER:-4M}
TOE_XFER=$(resolved MODDIR "$FLAVOUR")/tools/toe-xfer || die "module build failed"

# peer_retrans LOG: the peer's own tcpi_total_retrans, as its toe-xfer
# printed it in LOG (empty if it did not).
peer_retrans() {
	sed -n 's/^toe-xfer: retransmitted \([0-9]*\).*/\1/p' "$1" 2>/dev/null
}

# listen PORT BYTES SEED EXPECT_SEED EXPECT_BYTES NAME [OPTIONS]: a toe-xfer
# listener on the peer, checking the guest's stream as it comes; its
# messages in NAME.log.
listen() {
	echo "$TOE_XFER --listen $1 --bytes $2 --seed $3 --expect $4:$5 ${7:-}" \
		"> /dev/null 2> $6.log"
}
# intact NAME WHAT: the peer's NAME.log says the stream came whole.
intact() {
	check "[$FLAVOUR] $2" peer_expected "$OUT/$1.log"
}

case $WHAT in
peers)
	listen 5011 "$PEER_XFER" 22 21 "$XFER" rx1 "--fin-last --rate-bins 100"
	listen 5012 "$PEER_XFER" 24 23 "$XFER" rx2 --fin-last
	listen 5013 "$SHUT_XFER" 26 25 "$SHUT_XFER" rx3 --fin-last
	listen 5014 "$IO_XFER" 5054 5044 1M rx4
	listen 5015 "$IO_XFER" 5055 5045 1M rx5
	listen 5016 "$IO_XFER" 5056 5046 1M rx6
	listen 5017 "$IO_XFER" 5057 5047 1M rx7
	listen 5018 "$MOVE_XFER" 52 51 "$MOVE_XFER" rx8 "--fin-last --rate-bins 100"
	listen 5019 "$MOVE_XFER" 54 53 "$MOVE_XFER" rps --fin-last
	for i in 1 2 3 4 5 6 7; do
		listen $((5020 + i)) "$ASK_XFER" $((70 + i)) $((60 + i)) "$ASK_XFER" rq$i --fin-last
	done
	listen 5028 4M 82 81 4M hc1 "--pause-at 1M --resume-file peer-fin"
	listen 5029 1M 92 91 16M zw1 "--fin-last --rx-pause-at 1M --resume-file peer-go"
	listen 5030 "$LOSSY_XFER" 102 101 "$LOSSY_XFER" lossy --fin-last
	exit 0 ;;
guest)
	echo "XFER=$XFER PEER_XFER=$PEER_XFER MOVES=$MOVES MOVE_XFER=$MOVE_XFER" \
		"IO_XFER=$IO_XFER SHUT_XFER=$SHUT_XFER LOSSY_XFER=$LOSSY_XFER" \
		"LOSSY_CYCLES=$LOSSY_CYCLES ASK_XFER=$ASK_XFER sh /tests/offload-suite.sh"
	exit 0 ;;
devopts) exit 0 ;;
timeout) echo 1800; exit 0 ;;
checks) OUT=$3 ;;
*) die "unknown question '$WHAT' (see scripts/tests/vm.sh)" ;;
esac

plan 23 "offload host checks"
intact rx1 "IPv4 $XFER out, $PEER_XFER in, moved: the peer receives the guest's stream intact"
intact rx2 "IPv6 $XFER out, $PEER_XFER in, moved: the peer receives the guest's stream intact"
intact rx3 "IPv4 $SHUT_XFER, home at shutdown: the peer receives the stream intact"
i=4
for io in read poll epoll-et nonblock; do
	intact rx$i "waiting with $io, moved: the peer receives the guest's stream intact"
	i=$((i + 1))
done
intact rx8 "$MOVES moves: the peer receives the guest's stream intact"
n=$(peer_retrans "$OUT/rx8.log")
echo "peer retransmitted ${n:-?} segments over $MOVES moves" \
	"($(awk -v n="${n:-0}" -v m="$MOVES" 'BEGIN { printf "%.3f", n / m }') per move)" |
	tee "$OUT/retrans-per-move.txt" >&2
intact rps "$MOVES moves, RPS and RFS on: the peer receives the guest's stream intact"
for i in 1 2 3 4 5 6 7; do
	intact rq$i "NIC asks for it back (reason $i): the peer receives the stream intact"
done
intact hc1 "home after the peer's FIN on the NIC: the peer receives the stream intact"
intact zw1 "home in a zero window: the peer receives the stream intact"
intact lossy "1% loss, dup, reorder, $((2 * LOSSY_CYCLES)) moves: the peer receives the stream intact"

# The faults were on the wire: the device's own counters say it dropped,
# duplicated and reordered frames while they were set (console-requests.sh
# read them back when the guest turned the faults off).
counts=$(grep '^counts: ' "$OUT/faults-set" 2>/dev/null | tail -n1)
echo "# the lossy transfer: device fault $counts; the peer retransmitted" \
	"$(peer_retrans "$OUT/lossy.log") segments" >&2
check "[$FLAVOUR] 1% loss, dup, reorder: the device dropped, duplicated and reordered frames" \
	awk '{ exit !($3 > 0 && $5 > 0 && $7 > 0) }' <<<"${counts:-none}"
grep -a '^GUEST_MOVES' "$OUT/offload.console" > "$OUT/moves.txt"
# The dip around a move as the peer sees it: its receive rate per 100 ms,
# over the transfer moved twice and the one moved MOVES times.
for f in rx1 rx8; do
	sed -n "s/^toe-xfer: receive rate/$f.log: receive rate/p" "$OUT/$f.log" 2>/dev/null
done | tee "$OUT/rate-dip.txt" >&2

# The peer's own counters: what the wire really did, from before the
# suite (nstat-offload-begin.txt) to nstat-clean.txt, taken as the faults
# went on, after every clean test, and to the suite's end. A lossy wire may make the peer reject a late duplicate (PAWS); it
# must still see no reset and no SACK reneging. A reset is an open
# connection reset (TcpEstabResets) or aborted (TcpExtTCPAbortOn*); the
# peer's RSTs in all (TcpOutRsts) are printed: one answering a segment
# for no socket, say a late copy after both ends closed, resets nothing.
RESETS="TcpEstabResets TcpExtTCPAbortOnData TcpExtTCPAbortOnClose TcpExtTCPAbortOnTimeout"
B=$OUT/nstat-offload-begin.txt
check "[$FLAVOUR] peer's nstat, clean tests: no reset, PAWS reject or SACK reneging" \
	nstat_zero_delta "$B" "$OUT/nstat-clean.txt" $RESETS TcpExtPAWSEstab TcpExtTCPSACKReneging
check "[$FLAVOUR] peer's nstat, all tests: no reset or SACK reneging" \
	nstat_zero_delta "$B" "$OUT/nstat-offload-end.txt" $RESETS TcpExtTCPSACKReneging
# Reported, not asserted: see Documentation/testing.rst. Per transfer,
# the peer's own tcpi_total_retrans.
for f in rx1 rx2 rx3 rx4 rx5 rx6 rx7 rx8 rq1 rq2 rq3 rq4 rq5 rq6 rq7 hc1 zw1 lossy; do
	n=$(peer_retrans "$OUT/$f.log")
	[ -z "$n" ] || echo "peer retransmitted $n segments on $f.log"
done | tee "$OUT/peer-retrans.txt" >&2
echo "peer, clean tests: $(for c in TcpOutSegs TcpRetransSegs TcpExtTCPLossProbes TcpExtTCPTimeouts \
	TcpExtTCPDSACKRecv TcpOutRsts; do printf '%s=%s ' $c "$(nstat_delta "$B" "$OUT/nstat-clean.txt" $c)"; done)" |
	tee "$OUT/peer-counters.txt" >&2
check_kernel_log "$OUT/offload.console" "$FLAVOUR offload" slice
exit $TOE_FAILED
