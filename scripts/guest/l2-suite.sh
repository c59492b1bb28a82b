#!/bin/sh
# l2-suite.sh - the NIC as an ordinary Ethernet device, from inside the VM.
#
# Run by scripts/tests/l2.sh, which starts the peer side (netserver and
# toe-xfer listeners on ports 5001-5003) in the peer namespace and checks
# what the peer received. Prints one TEST line per check, GUEST_* lines
# with figures for the host, and exits 1 if any check failed.
. /tests/lib.sh

XFER=${XFER:-64M}
# The transfers that rmmod/insmod and a reset interrupt: each is stopped
# after 1 MiB each way, so a few MiB more keep it busy across the event.
SIDE_XFER=${SIDE_XFER:-32M}
NETPERF_SECS=${NETPERF_SECS:-5}
toe_plan 19
DEV=$(toe_dev)
DBG=$(ls -d /sys/kernel/debug/toe/*/ 2>/dev/null | head -n1)

# intact ERR SEED: toe-xfer --expect found the peer's stream for SEED
# intact (it compares as the bytes come: no hash on the guest's vCPUs).
intact() {
	grep -q "^toe-xfer: received seed $2's .* every one as expected" "$1"
}

toe_wait_peer
ping -c 3 -W 2 $TOE_PEER_V4 >/dev/null
log_test $? "ping the peer over IPv4 through the NIC"
ping -c 3 -W 2 $TOE_PEER_V6 >/dev/null
log_test $? "ping the peer over IPv6 through the NIC"

# net.toe.mode: explicit (1) by default, 0..2 accepted, anything else
# refused with EINVAL and a log line that says why; the same for each
# knob of the policy at its bounds.
rc=1
if [ "$(cat /proc/sys/net/toe/mode)" = 1 ]; then
	rc=0
	for v in 0 2 1; do
		echo $v > /proc/sys/net/toe/mode && [ "$(cat /proc/sys/net/toe/mode)" = $v ] || rc=1
	done
	for v in 3 -1 junk; do
		dmesg -c >/dev/null
		err=$(sh -c "echo $v > /proc/sys/net/toe/mode" 2>&1) && rc=1
		case "$err" in *"Invalid argument"*) ;; *) rc=1;; esac
		dmesg | grep -q 'net.toe.mode must be between 0 and 2' || rc=1
		[ "$(cat /proc/sys/net/toe/mode)" = 1 ] || rc=1
	done
fi
log_test $rc "net.toe.mode is explicit by default; 3, -1 and junk get EINVAL and a log line"

# knob NAME DEFAULT MAX: the default, the bounds, and a refusal that says why.
knob() {
	local f=/proc/sys/net/toe/$1 err
	[ "$(cat $f)" = "$2" ] || { echo "# $1 is $(cat $f), not $2"; return 1; }
	echo "$3" > $f && [ "$(cat $f)" = "$3" ] || return 1
	dmesg -c >/dev/null
	err=$(sh -c "echo $(($3 + 1)) > $f" 2>&1) && return 1
	case "$err" in *"Invalid argument"*) ;; *) return 1;; esac
	dmesg | grep -q "net.toe.$1 must be between 0 and $3" || return 1
	[ "$(cat $f)" = "$3" ] || return 1
	echo "$2" > $f
}
rc=0
knob auto_bytes 131072 1099511627776 || rc=1
knob max_srtt_us 0 60000000 || rc=1
knob max_conns 0 65536 || rc=1
knob idle_ms 0 86400000 || rc=1
knob evict_idle_ms 1000 86400000 || rc=1
knob nic_request 0 1 || rc=1
knob user_offload 0 1 || rc=1
log_test $rc "policy knobs: defaults, bounds, EINVAL and a log line past them"

# The lists: read back normalized; a rule that cannot be read leaves the
# list as it was, with EINVAL and a log line naming the rule.
rc=0
f=/proc/sys/net/toe/exclude
[ -z "$(cat $f)" ] || rc=1
echo "lport=22, raddr=198.18.0.77/24" > $f || rc=1
[ "$(cat $f)" = "lport=22 raddr=198.18.0.0/24" ] || rc=1
dmesg -c >/dev/null
err=$(sh -c "echo 'lport=22 rport=99999' > $f" 2>&1) && rc=1
case "$err" in *"Invalid argument"*) ;; *) rc=1;; esac
dmesg | grep -q "cannot read rule 'rport=99999'" || rc=1
[ "$(cat $f)" = "lport=22 raddr=198.18.0.0/24" ] || rc=1
echo > $f && [ -z "$(cat $f)" ] || rc=1
log_test $rc "net.toe.exclude: normalized; a bad rule gets EINVAL, a log line, no change"

# The probe-time self-test already ran one NOP; run more through debugfs.
rc=1
if [ -n "$DBG" ] && echo 100 > "$DBG/nop" && grep -q 'ok' "$DBG/nop"; then
	rc=0
fi
log_test $rc "100 no-op commands round-trip with their DMA payload"

# 64 MiB each way over the kernel stack through the NIC.
toe-xfer --connect $TOE_PEER_V4:5001 --bytes $XFER --seed 1 --expect 2:$XFER \
	> /dev/null 2> /tmp/rx1.err
sed 's/^/# /' /tmp/rx1.err
intact /tmp/rx1.err 2
log_test $? "$XFER each way: guest receives the peer's stream intact"

# netperf through the L2 path: must complete and report a figure.
for t in TCP_STREAM TCP_RR; do
	out=$(netperf -H $TOE_PEER_V4 -t $t -l "$NETPERF_SECS" -c -P 0 -- \
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
rm -f /tmp/p2
toe-xfer --connect $TOE_PEER_V4:5002 --bytes "$SIDE_XFER" --seed 3 --progress /tmp/p2 \
	--expect 4:"$SIDE_XFER" > /dev/null 2> /tmp/rx2.err &
xpid=$!
rc=1
if wait_progress /tmp/p2 1048576 && toe_rmmod; then
	sleep 1
	toe_load && wait $xpid && intact /tmp/rx2.err 4 && rc=0
fi
log_test $rc "rmmod and insmod while a transfer runs: data intact"
DEV=$(toe_dev)
DBG=$(ls -d /sys/kernel/debug/toe/*/ 2>/dev/null | head -n1)

# A device reset in the middle of a transfer: the link comes back and the
# transfer completes.
resets=$(ethtool_stat "$DEV" resets)
rm -f /tmp/p3
toe-xfer --connect $TOE_PEER_V4:5003 --bytes "$SIDE_XFER" --seed 5 --progress /tmp/p3 \
	--expect 6:"$SIDE_XFER" > /dev/null 2> /tmp/rx3.err &
xpid=$!
rc=1
if wait_progress /tmp/p3 1048576 && ethtool --reset "$DEV" all >/dev/null; then
	wait $xpid && intact /tmp/rx3.err 6 &&
		[ "$(ethtool_stat "$DEV" resets)" -gt "$resets" ] && rc=0
fi
log_test $rc "device reset during a transfer: link recovers, data intact"

# Malformed commands and descriptors written on purpose: each gets an error
# back from the device, and the NIC still works afterwards.
for kind in bad-opcode bad-payload-addr oversize-payload bad-tx-addr bad-tx-len bad-tail bad-ring-addr; do
	before=$(ethtool_stat "$DEV" dev_errors)
	rc=1
	if [ -n "$DBG" ] && echo $kind > "$DBG/inject" 2>/tmp/inject.err; then
		# Until the device's error is counted (5 s at most).
		for i in $(seq 50); do
			after=$(ethtool_stat "$DEV" dev_errors)
			[ "${after:-0}" -gt "${before:-0}" ] && break
			sleep 0.1
		done
		[ "${after:-0}" -gt "${before:-0}" ] && toe_wait_peer &&
			ping -c1 -W2 $TOE_PEER_V4 >/dev/null && rc=0
	fi
	[ $rc -eq 0 ] || { cat /tmp/inject.err; cat "$DBG/errors" 2>/dev/null; }
	log_test $rc "malformed $kind is refused with an error; the NIC still works"
done

# insmod/rmmod cycles: under the debug flavour kmemleak checks them.
rc=0
for i in 1 2 3 4 5; do
	toe_rmmod && toe_load || { rc=1; break; }
done
toe_wait_peer && ping -c1 -W2 $TOE_PEER_V4 >/dev/null || rc=1
log_test $rc "5 rmmod/insmod cycles leave a working NIC"


exit $TOE_FAILED
