#!/bin/sh
# remove-suite.sh - the device goes away from under N connections on the
# NIC (issue 19): in turn, the interface goes down, the PCI function is
# removed through sysfs, the same with the device hung, and the network
# namespace the connections and the device live in is deleted.
#
# Run by scripts/tests/remove.sh, which starts N toe-xfer listeners per
# round on the peer (ports BASE + i) and checks what they received. The
# auto policy (net.toe.mode=2) moves each transfer to the NIC once 64K
# have gone through; both sides pause at 512K until /tmp/go-ROUND (the
# peer's go-ROUND), so that every connection is on the NIC, idle, when
# the device goes. Each removal must end within BOUND seconds with every
# connection home; after a removal the function is found again by a PCI
# rescan, and the streams go on, on the kernel's TCP, intact. The
# namespace's connections are closed instead, by killing their programs:
# the namespace then goes, and the device comes back to this one.
. /tests/lib.sh

N=${N:-50}
SIZE=${SIZE:-1M}
BOUND=${BOUND:-30}

toe_plan 18
toe_load || exit 1
toe_wait_peer || exit 1
DEV=$(toe_dev)
# The policy moves them, and never brings an idle one home by itself.
policy() {
	sysctl -qw net.toe.mode=2 net.toe.auto_bytes=65536 net.toe.idle_ms=0
}
policy

# start ROUND BASE: N transfers to ports BASE..BASE+N-1 (seeds port +
# 1000 out, port + 2000 in), paused at 512K until /tmp/go-ROUND.
start() {
	local i=0 port
	: > /tmp/pids-$1
	while [ $i -lt "$N" ]; do
		port=$(($2 + i))
		toe-xfer --connect $TOE_PEER_V4:$port --bytes "$SIZE" \
			--seed $((1000 + port)) --expect $((2000 + port)):"$SIZE" \
			--pause-at 512K --resume-file /tmp/go-$1 \
			> /dev/null 2> /tmp/xfer-$1-$i.err &
		echo $! >> /tmp/pids-$1
		i=$((i + 1))
	done
}

# on_nic: connections toectl lists on the NIC.
on_nic() {
	toectl list 2>/dev/null | grep -c ' nic ' || true
}

# all_on_nic ROUND: wait until all N are on the NIC (120 s at most).
all_on_nic() {
	local i
	for i in $(seq 600); do
		[ "$(on_nic)" -ge "$N" ] && break
		sleep 0.2
	done
	echo "# $1: $(on_nic) of $N on the NIC"
	[ "$(on_nic)" -ge "$N" ] || {
		ethtool -S "$DEV" | grep -E 'refused|offloads|uploads' |
			grep -v ': 0$'
		sysctl net.toe
		dmesg | tail -n 5
	} | sed 's/^/# /'
	[ "$(on_nic)" -ge "$N" ]
	log_test $? "$1: the policy moved all $N transfers to the NIC"
}

# timed CMD...: run CMD; its wall time in seconds (to 0.01) in $took.
timed() {
	local t0 t1 x rc
	read -r t0 x < /proc/uptime
	"$@"
	rc=$?
	read -r t1 x < /proc/uptime
	took=$(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }')
	return $rc
}

# within_bound NAME: $took is at most BOUND seconds.
within_bound() {
	echo "# $1 took $took s"
	awk -v t="$took" -v b="$BOUND" 'BEGIN { exit !(t <= b) }'
	log_test $? "$1: done within $BOUND s ($took s)"
}

# finish ROUND BASE: let the round go on; every transfer ends cleanly,
# the peer's stream intact.
finish() {
	local i=0 ok=0 pid
	touch /tmp/go-$1
	echo "TOE_PEER_TOUCH go-$1"
	for pid in $(cat /tmp/pids-$1); do
		wait "$pid" &&
		grep -q "^toe-xfer: received seed $((2000 + $2 + i))'s .* bytes, every one as expected" \
			/tmp/xfer-$1-$i.err && ok=$((ok + 1))
		i=$((i + 1))
	done
	[ $ok = "$N" ] || cat /tmp/xfer-$1-*.err | sort | uniq -c | head -n 20 |
		sed 's/^/# /'
	[ $ok = "$N" ]
	log_test $? "$1: all $N streams go on on the kernel's TCP, intact ($ok)"
}

# bdf: the PCI address of the toe function.
bdf() {
	basename "$(readlink -f /sys/class/net/$DEV/device)"
}

# rescan: find the function again and configure it (toe_load).
rescan() {
	echo 1 > /sys/bus/pci/rescan
	toe_load && DEV=$(toe_dev) && toe_wait_peer
	log_test $? "$1: a PCI rescan brings the device back, the peer answers"
}

# The interface goes down: NETDEV_GOING_DOWN brings every connection home
# within the command.
start rm-down 6000
all_on_nic rm-down
link_down() { ip link set "$DEV" down; }
timed link_down
within_bound "rm-down: ip link set down with $N connections on the NIC"
[ "$(on_nic)" = 0 ]
log_test $? "rm-down: no connection left on the NIC"
ip link set "$DEV" up
toe_wait_peer >/dev/null 2>&1
finish rm-down 6000

# The PCI function is removed: the driver's remove brings every
# connection home while the device still answers.
start rm-pci 6100
all_on_nic rm-pci
pci_remove() { echo 1 > "/sys/bus/pci/devices/$(bdf)/remove"; }
timed pci_remove
within_bound "rm-pci: PCI remove with $N connections on the NIC"
[ -z "$(toe_dev)" ] && [ "$(on_nic)" = 0 ]
log_test $? "rm-pci: the device is gone, no connection on a NIC"
rescan rm-pci
policy
finish rm-pci 6100

# The same with the device hung: the first UPLOAD gets no answer, the
# reset that follows brings them all home from host state.
start rm-hung 6200
all_on_nic rm-hung
echo "TOE_HANG 1"
toe_wait_hung "$DEV" 0.7
timed pci_remove
within_bound "rm-hung: PCI remove of a hung device with $N connections on the NIC"
dmesg | grep -E 'brought home from host state' | tail -n 2 | sed 's/^/# /'
dmesg | grep -q "device reset: $N connections brought home from host state, 0 lost"
log_test $? "rm-hung: the reset brought all $N home from host state, none lost"
echo "TOE_HANG 0"
sleep 1
rescan rm-hung
policy
finish rm-hung 6200

# A namespace of its own (with a sysfs of its own) for the device and N
# transfers, which the auto policy there moves to the NIC. Their programs
# are killed: the sockets close (each comes home first, toe_close()), the
# namespace goes with its last process, and the device comes back here.
rm -f /tmp/ns-pid /tmp/ns-dev /tmp/ns-moved /tmp/ns-kill
unshare -n -m sh -c '
	. /tests/lib.sh
	echo $$ > /tmp/ns-pid
	mount -t sysfs sysfs /sys
	while [ ! -e /tmp/ns-dev ]; do sleep 0.1; done
	ip link set lo up
	toe_load && toe_wait_peer || exit 1
	sysctl -qw net.toe.mode=2 net.toe.auto_bytes=65536 net.toe.idle_ms=0
	: > /tmp/pids-rm-netns
	for i in $(seq 0 $(('"$N"' - 1))); do
		p=$((6300 + i))
		toe-xfer --connect $TOE_PEER_V4:$p --bytes '"$SIZE"' \
			--seed $((1000 + p)) --expect $((2000 + p)):'"$SIZE"' \
			--pause-at 512K --resume-file /tmp/go-rm-netns \
			> /dev/null 2> /tmp/xfer-rm-netns-$i.err &
		echo $! >> /tmp/pids-rm-netns
	done
	for i in $(seq 600); do
		[ "$(toectl list 2>/dev/null | grep -c " nic ")" -ge '"$N"' ] &&
			touch /tmp/ns-moved && break
		sleep 0.2
	done
	while [ ! -e /tmp/ns-kill ]; do sleep 0.1; done
	kill -KILL $(cat /tmp/pids-rm-netns)
	wait' > /tmp/ns.out 2>&1 &
ns_sh=$!
for i in $(seq 50); do [ -s /tmp/ns-pid ] && break; sleep 0.1; done
/usr/bin/ip link set "$DEV" netns "$(cat /tmp/ns-pid)" && touch /tmp/ns-dev
for i in $(seq 600); do [ -e /tmp/ns-moved ] && break; sleep 0.2; done
[ -e /tmp/ns-moved ]
log_test $? "rm-netns: the policy there moved all $N transfers to the NIC"
sed 's/^/# /' /tmp/ns.out

# netns_gone: the namespace's programs killed, until the device is back.
netns_gone() {
	touch /tmp/ns-kill
	wait $ns_sh
	while [ ! -e "/sys/class/net/$DEV" ]; do sleep 0.1; done
}
timed netns_gone
within_bound "rm-netns: its programs killed, the namespace gone, the device back here"
[ -e "/sys/class/net/$DEV" ] &&
	[ "$(ethtool_stat "$DEV" offloads)" = "$(ethtool_stat "$DEV" uploads)" ]
log_test $? "rm-netns: every connection that moved came home at its close"
toe_load >/dev/null && toe_wait_peer
log_test $? "rm-netns: the device works here again, the peer answers"

dmesg | grep -E 'toe|failover|watchdog' | tail -n 12 | sed 's/^/# /'
exit $TOE_FAILED
