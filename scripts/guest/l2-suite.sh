#!/bin/sh
# l2-suite.sh - the NIC as an ordinary Ethernet device, from inside the VM.
#
# Run by scripts/tests/l2.sh, which starts the peer side (netserver and
# toe-xfer listeners on ports 5001-5003) in the peer namespace and checks
# what the peer received. Prints one TEST line per check, GUEST_* lines
# with figures for the host, and exits 1 if any check failed.
. /tests/lib.sh

XFER=${XFER:-64M}
DEV=$(toe_dev)
DBG=$(ls -d /sys/kernel/debug/toe/*/ 2>/dev/null | head -n1)

# xfer_check PORT SEED_OUT SEED_IN BYTES NAME: the received stream's hash
# must be the one the peer's generator makes.
xfer_expect() { toe-xfer --gen --bytes "$2" --seed "$1" | sha256sum | cut -d' ' -f1; }

toe_wait_peer
ping -c 3 -W 2 $TOE_PEER_V4 >/dev/null
log_test $? "ping the peer over IPv4 through the NIC"
ping -c 3 -W 2 $TOE_PEER_V6 >/dev/null
log_test $? "ping the peer over IPv6 through the NIC"

# net.toe.mode: off by default, 0..2 accepted, anything else refused with
# EINVAL and a log line that says why.
rc=1
if [ "$(cat /proc/sys/net/toe/mode)" = 0 ]; then
	rc=0
	for v in 1 2 0; do
		echo $v > /proc/sys/net/toe/mode && [ "$(cat /proc/sys/net/toe/mode)" = $v ] || rc=1
	done
	for v in 3 -1 junk; do
		dmesg -c >/dev/null
		err=$(sh -c "echo $v > /proc/sys/net/toe/mode" 2>&1) && rc=1
		case "$err" in *"Invalid argument"*) ;; *) rc=1;; esac
		dmesg | grep -q 'net.toe.mode must be' || rc=1
		[ "$(cat /proc/sys/net/toe/mode)" = 0 ] || rc=1
	done
fi
log_test $rc "net.toe.mode is off by default; 3, -1 and junk get EINVAL and a log line"

# The probe-time self-test already ran one NOP; run more through debugfs.
rc=1
if [ -n "$DBG" ] && echo 100 > "$DBG/nop" && grep -q 'ok' "$DBG/nop"; then
	rc=0
fi
log_test $rc "100 no-op commands round-trip with their DMA payload"

# 64 MiB each way over the kernel stack through the NIC.
want=$(xfer_expect 2 $XFER)
got=$(toe-xfer --connect $TOE_PEER_V4:5001 --bytes $XFER --seed 1 | sha256sum | cut -d' ' -f1)
echo "GUEST_XFER_RX_SHA=$got"
[ "$got" = "$want" ]
log_test $? "$XFER each way: guest receives the peer's stream intact"

# netperf through the L2 path: must complete and report a figure.
for t in TCP_STREAM TCP_RR; do
	out=$(netperf -H $TOE_PEER_V4 -t $t -l 5 -c -P 0 -- \
		-o THROUGHPUT,THROUGHPUT_UNITS,LOCAL_CPU_UTIL,LOCAL_SD 2>&1 | tail -n1)
	echo "GUEST_NETPERF $t $out"
	echo "$out" | awk -F, '{ exit !($1 > 0) }'
	log_test $? "netperf $t completes with a figure"
done

# wait_progress FILE BYTES: until both directions moved BYTES.
wait_progress() {
	local i
	for i in $(seq 300); do
		tail -n1 "$1" 2>/dev/null |
			awk -v b="$2" '{ exit !($1 >= b && $2 >= b) }' && return 0
		sleep 0.1
	done
	return 1
}

# rmmod/insmod while a transfer runs: the kernel's TCP socket outlives the
# NIC's driver; once the NIC is back, the connection carries on intact.
want=$(xfer_expect 4 32M)
rm -f /tmp/p2
(toe-xfer --connect $TOE_PEER_V4:5002 --bytes 32M --seed 3 --progress /tmp/p2 |
	sha256sum | cut -d' ' -f1 > /tmp/rx2) &
xpid=$!
rc=1
if wait_progress /tmp/p2 1048576 && rmmod toe; then
	sleep 1
	toe_load && wait $xpid && [ "$(cat /tmp/rx2)" = "$want" ] && rc=0
fi
log_test $rc "rmmod and insmod while a transfer runs: data intact"
DEV=$(toe_dev)
DBG=$(ls -d /sys/kernel/debug/toe/*/ 2>/dev/null | head -n1)

# A device reset in the middle of a transfer: the link comes back and the
# transfer completes.
want=$(xfer_expect 6 32M)
resets=$(ethtool_stat "$DEV" resets)
rm -f /tmp/p3
(toe-xfer --connect $TOE_PEER_V4:5003 --bytes 32M --seed 5 --progress /tmp/p3 |
	sha256sum | cut -d' ' -f1 > /tmp/rx3) &
xpid=$!
rc=1
if wait_progress /tmp/p3 1048576 && ethtool --reset "$DEV" all >/dev/null; then
	wait $xpid && [ "$(cat /tmp/rx3)" = "$want" ] &&
		[ "$(ethtool_stat "$DEV" resets)" -gt "$resets" ] && rc=0
fi
log_test $rc "device reset during a transfer: link recovers, data intact"

# Malformed commands and descriptors written on purpose: each gets an error
# back from the device, and the NIC still works afterwards.
for kind in bad-opcode bad-payload-addr oversize-payload bad-tx-addr bad-tx-len bad-tail bad-ring-addr; do
	before=$(ethtool_stat "$DEV" dev_errors)
	rc=1
	if [ -n "$DBG" ] && echo $kind > "$DBG/inject" 2>/tmp/inject.err; then
		sleep 0.5
		after=$(ethtool_stat "$DEV" dev_errors)
		[ "${after:-0}" -gt "${before:-0}" ] && toe_wait_peer &&
			ping -c1 -W2 $TOE_PEER_V4 >/dev/null && rc=0
	fi
	[ $rc -eq 0 ] || { cat /tmp/inject.err; cat "$DBG/errors" 2>/dev/null; }
	log_test $rc "malformed $kind is refused with an error; the NIC still works"
done

# insmod/rmmod cycles: under the debug flavour kmemleak checks them.
rc=0
for i in 1 2 3 4 5; do
	rmmod toe && toe_load || { rc=1; break; }
done
toe_wait_peer && ping -c1 -W2 $TOE_PEER_V4 >/dev/null || rc=1
log_test $rc "5 rmmod/insmod cycles leave a working NIC"

toe_kmemleak_scan

exit $TOE_FAILED
