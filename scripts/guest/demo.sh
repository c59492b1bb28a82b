#!/bin/sh
# demo.sh - the main job's guest side: one TCP connection through the toe
# NIC with traffic both ways, moved to the NIC's TCP engine a quarter of
# the way in and home again at three quarters, with a line of live figures
# every second, then the checksums compared.
. /tests/lib.sh

BYTES=${BYTES:-512M}
DEV=$(toe_dev)
toe_wait_peer || { echo "demo: the peer does not answer"; exit 1; }
echo "demo: $DEV is up: $(cat /sys/class/net/$DEV/address), guest $TOE_GUEST_V4 -> peer $TOE_PEER_V4"
n=$(toe-xfer --gen --bytes $BYTES --seed 0 | wc -c)
echo "demo: $BYTES each way over one TCP connection; to the NIC at $((n / 4)) bytes sent, home at $((n * 3 / 4))"
rm -f /tmp/progress
(toe-xfer --connect $TOE_PEER_V4:5001 --bytes $BYTES --seed 1 --progress /tmp/progress \
	--offload-at $((n / 4)) --upload-at $((n * 3 / 4)) 2>/tmp/xfer.err |
	sha256sum | cut -d' ' -f1 > /tmp/rx.sha) &
xpid=$!
# cwnd and srtt come from ss: on the NIC, the tcp_sock is kept as a
# shadow of the engine's connection, so they are the engine's.
# l2_txpkt/l2_rxpkt count the NIC's L2 path (the kernel's frames); on the
# NIC the engine's segments do not go through it.
printf '%5s %5s %5s %12s %12s %10s %10s %10s %10s %6s %8s\n' time where conn \
	sent received tx_Mbit/s rx_Mbit/s l2_txpkt l2_rxpkt cwnd srtt_ms
t=0 last_s=0 last_r=0
while kill -0 $xpid 2>/dev/null; do
	sleep 1
	t=$((t + 1))
	set -- $(tail -n1 /tmp/progress 2>/dev/null) 0 0 - -
	s=$1 r=$2 where=$3 conn=$4
	info=$(ss -tin dst $TOE_PEER_V4 2>/dev/null | tr ' ' '\n')
	cwnd=$(echo "$info" | sed -n 's/^cwnd://p' | head -n1)
	rtt=$(echo "$info" | sed -n 's/^rtt:\([0-9.]*\).*/\1/p' | head -n1)
	printf '%4ss %5s %5s %12s %12s %10s %10s %10s %10s %6s %8s\n' $t $where $conn \
		$s $r $(( (s - last_s) * 8 / 1000000 )) $(( (r - last_r) * 8 / 1000000 )) \
		"$(ethtool_stat $DEV tx_packets)" "$(ethtool_stat $DEV rx_packets)" \
		"${cwnd:--}" "${rtt:--}"
	last_s=$s last_r=$r
done
wait $xpid
cat /tmp/xfer.err
echo "demo: NIC moves: $(ethtool -S $DEV | grep -E ' (offloads|uploads):' | tr -s ' \n' ' ')"
rc=0
# The move itself, from the socket's own TOE_INFO (toe-xfer prints it):
# a stream that arrived whole on the kernel's TCP alone proves nothing.
info=$(grep -a '^toe-xfer: toe ' /tmp/xfer.err | tail -n1)
field() { echo "$info" | sed -n "s/.* $1 \([0-9]*\).*/\1/p"; }
if [ "$(field offloads)" = 1 ] && [ "$(field uploads)" = 1 ] &&
   [ "$(field nic_sent)" -gt 0 ] 2>/dev/null; then
	echo "demo: the connection moved to the NIC and home: TOE_INFO offloads 1," \
		"uploads 1, $(field nic_sent) bytes sent by the NIC"
else
	echo "demo: FAILED: the connection did not move to the NIC and home" \
		"(TOE_INFO: ${info:-none}; last refusal $(field refusal), see Documentation/driver.rst)"
	dmesg | grep -a 'toe' | tail -n 5
	rc=1
fi
want=$(toe-xfer --gen --bytes $BYTES --seed 2 | sha256sum | cut -d' ' -f1)
got=$(cat /tmp/rx.sha)
echo "demo: received sha256 $got"
echo "demo: expected sha256 $want"
if [ "$got" = "$want" ]; then
	echo "demo: guest received the peer's stream intact"
else
	echo "demo: FAILED: the stream the guest received differs"
	rc=1
fi
exit $rc
