#!/bin/bash
# failover.sh FLAVOUR [QUESTION...] - connections on the NIC come home without it
# (issue 5): a device reset, then a device that stops answering (its hang
# property, set over QMP), each in the middle of N transfers on the NIC;
# then an upload asked for while the device hangs.
#
# scripts/guest/failover-suite.sh in the VM, with N toe-xfer listeners per
# round on the peer. Run alone (failover.sh base), it boots the VM for
# itself (scripts/tests/vm.sh); make check runs it in one boot with other
# suites, asking it the questions vm.sh lists. After the boot it checks from the peer's side
# that every stream the guest sent arrived intact (toe-xfer --expect), and
# that the peer's own TCP reset nothing.
#
# Sizes (make check / debug / make soak, TOE_SOAK=1): N 8 / 4 / 50
# connections per round, SIZE 1M / 1M / 2M each way per transfer. N above
# one is what makes a failover walk many connections at once; the soak
# run's 50 is what found the ordering bugs of issue 5.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

FLAVOUR=${1:-base}
WHAT=${2:-run}
[ "$WHAT" = run ] && exec bash "$(dirname "$0")/vm.sh" "$FLAVOUR" failover
if [ "${TOE_SOAK:-0}" = 1 ]; then
	[ "$FLAVOUR" = debug ] && N=${N:-10}
	N=${N:-50} SIZE=${SIZE:-2M}
elif [ "$FLAVOUR" = debug ]; then
	N=${N:-4}
fi
N=${N:-8}
SIZE=${SIZE:-1M}
TOE_XFER=$(resolved MODDIR "$FLAVOUR")/tools/toe-xfer || die "module build failed"

# listeners ROUND BASE [COUNT [BYTES]]: the peer's side of a round (COUNT,
# by default N, transfers of BYTES, by default SIZE).
listeners() {
	paused_listeners "$1" "$2" "${3:-$N}" "${4:-$SIZE}"
}

case $WHAT in
peers)
	listeners reset 5200
	listeners hang 5300
	listeners up 5400 1
	listeners down 5410 1
	listeners mem 5420 1 8M
	exit 0 ;;
guest) echo "N=$N SIZE=$SIZE sh /tests/failover-suite.sh"; exit 0 ;;
devopts) exit 0 ;;
timeout) echo 900; exit 0 ;;
checks) OUT=$3 ;;
*) die "unknown question '$WHAT' (see scripts/tests/vm.sh)" ;;
esac

plan 8 "failover host checks"

round_intact "$FLAVOUR" "$OUT" reset "$N"
round_intact "$FLAVOUR" "$OUT" hang "$N"
check "[$FLAVOUR] upload while the device hangs: the peer receives the stream intact" \
	peer_expected "$OUT/up-0.log"
check "[$FLAVOUR] link down and up: the peer receives the stream intact" \
	peer_expected "$OUT/down-0.log"
check "[$FLAVOUR] upload under memory pressure: the peer receives the stream intact" \
	peer_expected "$OUT/mem-0.log"
# The device said it hangs (the property read back over QMP), twice: once
# for the round, once for the upload.
check "[$FLAVOUR] hang: the device was made to stop answering (read back)" \
	test "$(grep -c '^hang: true$' "$OUT/hang-set" 2>/dev/null)" -ge 2

# The peer's own counters. A failover loses what the NIC held out of
# order, which the peer may have seen SACKed: counted and printed, as are
# the peer's retransmissions; no connection may have been reset.
B=$OUT/nstat-failover-begin.txt E=$OUT/nstat-failover-end.txt
check_no_reset "$FLAVOUR" "$OUT" failover
echo "peer: $(for c in TcpRetransSegs TcpExtTCPTimeouts TcpExtPAWSEstab \
	TcpExtTCPSACKReneging TcpOutRsts; do
	printf '%s=%s ' $c "$(nstat_delta "$B" "$E" $c)"; done)" |
	tee "$OUT/failover-peer-counters.txt" >&2
check_kernel_log "$OUT/failover.console" "$FLAVOUR failover" slice
exit $TOE_FAILED
