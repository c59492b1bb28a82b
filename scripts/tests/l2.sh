#!/bin/bash
# l2.sh FLAVOUR [QUESTION...] - the NIC as an ordinary Ethernet device
# (issue 2): scripts/guest/l2-suite.sh in the VM, with three toe-xfer
# listeners on the peer.
#
# Run alone (l2.sh base), it boots the VM for itself (scripts/tests/vm.sh);
# make check runs it in one boot with other suites, asking it the
# questions vm.sh lists. After the boot it checks from the peer's side
# that every stream the guest sent arrived intact (the peers compare as
# they receive), that the peer's own TCP saw no PAWS reject or SACK
# reneging while the suite ran, and that the suite's part of the kernel
# log has no oops, KASAN, lockdep or stall report (kmemleak: vm.sh, once
# a boot).
#
# Sizes (make check / debug / make soak, TOE_SOAK=1):
#   XFER       16M / 8M / 64M: one stream each way through the L2 path,
#              many full rings and NAPI polls
#   SIDE_XFER  8M / 4M / 32M: the transfers that rmmod and a reset
#              interrupt after 1 MiB; what is left must cross them
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

FLAVOUR=${1:-base}
WHAT=${2:-run}
[ "$WHAT" = run ] && exec bash "$(dirname "$0")/vm.sh" "$FLAVOUR" l2
if [ "${TOE_SOAK:-0}" = 1 ]; then
	XFER=${XFER:-64M} SIDE_XFER=${SIDE_XFER:-32M} NETPERF_SECS=5
elif [ "$FLAVOUR" = debug ]; then
	XFER=${XFER:-8M} SIDE_XFER=${SIDE_XFER:-4M} NETPERF_SECS=2
fi
XFER=${XFER:-16M}
SIDE_XFER=${SIDE_XFER:-8M}
NETPERF_SECS=${NETPERF_SECS:-2}
TOE_XFER=$(resolved MODDIR "$FLAVOUR")/tools/toe-xfer || die "module build failed"

case $WHAT in
peers)
	for i in 1 2 3; do
		bytes=$SIDE_XFER
		[ $i = 1 ] && bytes=$XFER
		echo "$TOE_XFER --listen $((5000 + i)) --bytes $bytes --seed $((2 * i))" \
			"--expect $((2 * i - 1)):$bytes > /dev/null 2> l2-rx$i.log"
	done ;;
guest)
	echo "XFER=$XFER SIDE_XFER=$SIDE_XFER NETPERF_SECS=$NETPERF_SECS sh /tests/l2-suite.sh" ;;
devopts) ;;
timeout) echo 600 ;;
checks)
	OUT=$3
	plan 5 "l2 host checks"
	check "[$FLAVOUR] $XFER each way: peer receives the guest's stream intact" \
		peer_expected "$OUT/l2-rx1.log"
	check "[$FLAVOUR] rmmod/insmod mid-transfer: peer receives the stream intact" \
		peer_expected "$OUT/l2-rx2.log"
	check "[$FLAVOUR] device reset mid-transfer: peer receives the stream intact" \
		peer_expected "$OUT/l2-rx3.log"
	# The peer's own counters: what the wire really did.
	check "[$FLAVOUR] l2: peer's nstat: no PAWS rejects, no SACK reneging" \
		nstat_zero_delta "$OUT/nstat-l2-begin.txt" "$OUT/nstat-l2-end.txt" \
		TcpExtPAWSEstab TcpExtTCPSACKReneging
	echo "peer: $(for c in TcpOutSegs TcpRetransSegs TcpEstabResets TcpOutRsts; do
		printf '%s=%s ' $c "$(nstat_delta "$OUT/nstat-l2-begin.txt" \
			"$OUT/nstat-l2-end.txt" $c)"; done)" > "$OUT/l2-peer-counters.txt"
	check_kernel_log "$OUT/l2.console" "$FLAVOUR l2" slice
	grep -a '^GUEST_NETPERF' "$OUT/l2.console" > "$OUT/l2-netperf.txt" ;;
*) die "unknown question '$WHAT' (see scripts/tests/vm.sh)" ;;
esac
exit $TOE_FAILED
