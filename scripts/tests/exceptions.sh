#!/bin/bash
# exceptions.sh FLAVOUR [QUESTION...] - the NIC asks for connections back because of
# what happened on the wire: urgent data from the peer, and loss that
# overflows the engine's memory for held out-of-order data (issue 5).
#
# scripts/guest/exceptions-suite.sh in the VM, the NIC's memory budget at
# its smallest (mem-budget=64K). Run alone (exceptions.sh base), it boots
# the VM for itself (scripts/tests/vm.sh); make check runs it in one boot
# with other suites, asking it the questions vm.sh lists. After the boot
# it checks from the peer's side that both streams the guest sent arrived
# intact (toe-xfer --expect), that the peer was let go on both, that the
# device really dropped frames while its faults were set (its own
# counters), and that the peer's own TCP reset nothing.
#
# SIZE (each way per transfer): 4M, 2M for the debug flavour, 8M for
# make soak. The urgent byte goes at 1.5M and the loss starts after 512K,
# so 2M is the least that leaves the NIC a stream to lose segments of.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

FLAVOUR=${1:-base}
WHAT=${2:-run}
[ "$WHAT" = run ] && exec bash "$(dirname "$0")/vm.sh" "$FLAVOUR" exceptions
if [ "${TOE_SOAK:-0}" = 1 ]; then
	SIZE=${SIZE:-8M}
elif [ "$FLAVOUR" = debug ]; then
	SIZE=${SIZE:-2M}
fi
SIZE=${SIZE:-4M}
TOE_XFER=$(resolved MODDIR "$FLAVOUR")/tools/toe-xfer || die "module build failed"

# listener PORT OPTIONS...: the peer's side of one transfer.
listener() {
	local port=$1
	shift
	echo "$TOE_XFER --listen $port --bytes $SIZE --seed $((2000 + port))" \
		"--expect $((1000 + port)):$SIZE --fin-last $* > /dev/null 2> l-$port.log"
}

case $WHAT in
peers)
	listener 5940 --pause-at 1M --resume-file go-urgent --urgent-at 1536K
	listener 5941 --pause-at 512K --resume-file go-reasm
	exit 0 ;;
guest) echo "SIZE=$SIZE sh /tests/exceptions-suite.sh"; exit 0 ;;
devopts) echo "mem-budget=65536"; exit 0 ;;
timeout) echo 600; exit 0 ;;
checks) OUT=$3 ;;
*) die "unknown question '$WHAT' (see scripts/tests/vm.sh)" ;;
esac

plan 6 "exceptions host checks"

for p in 5940 5941; do
	check "[$FLAVOUR] port $p: the peer receives the guest's stream intact" \
		peer_expected "$OUT/l-$p.log"
done
check "[$FLAVOUR] the peer was let go on both" \
	test -f "$OUT/go-urgent" -a -f "$OUT/go-reasm"
# The loss was real: the device's drop counter, read back when the
# guest turned the faults off.
counts=$(grep '^counts: ' "$OUT/faults-set" 2>/dev/null | tail -n1)
echo "# device fault ${counts:-counts: none}" >&2
check "[$FLAVOUR] 1% loss: the device dropped frames" \
	awk '{ exit !($3 > 0) }' <<<"${counts:-none}"
B=$OUT/nstat-exceptions-begin.txt E=$OUT/nstat-exceptions-end.txt
check "[$FLAVOUR] exceptions: peer's nstat: no reset, no PAWS reject, no SACK reneging" \
	nstat_zero_delta "$B" "$E" TcpEstabResets TcpExtTCPAbortOnData \
	TcpExtTCPAbortOnClose TcpExtTCPAbortOnTimeout TcpExtPAWSEstab \
	TcpExtTCPSACKReneging
echo "peer: $(for c in TcpRetransSegs TcpExtTCPTimeouts; do
	printf '%s=%s ' $c "$(nstat_delta "$B" "$E" $c)"; done)" >&2
check_kernel_log "$OUT/exceptions.console" "$FLAVOUR exceptions" slice
exit $TOE_FAILED
