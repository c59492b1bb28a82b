#!/bin/sh
# failover-suite.sh - connections on the NIC come home without it: a
# device reset, then a device that stops answering, each in the middle of
# N transfers on the NIC (issue 5).
#
# Run by scripts/tests/failover.sh, which starts N toe-xfer listeners on
# the peer for each round (ports 5200 + i and 5300 + i), checks what they
# received and sets the device's hang property over QMP when this prints
# TOE_HANG 1 (scripts/tests/console-requests.sh). Each transfer moves to
# the NIC at 64K and both sides pause at 512K until every one of the N is
# on the NIC. Reset: the peer's side goes on, and a fifth of a second
# later, with its data in flight to all N, ethtool resets the device.
# Hang: the device stops answering while both sides wait, which nothing
# but the driver's command watchdog can notice. Then both sides go on,
# and everything ends on the kernel's TCP. Last, one more connection
# (port 5400) is brought home by toectl while the device hangs.
. /tests/lib.sh

N=${N:-50}
SIZE=${SIZE:-2M}

toe_plan 18
toe_load || exit 1
toe_wait_peer || exit 1
DEV=$(toe_dev)

# start ROUND BASE: N transfers to ports BASE..BASE+N-1.
start() {
	local round=$1 base=$2 i=0 port
	: > /tmp/pids-$round
	while [ $i -lt "$N" ]; do
		port=$((base + i))
		toe-xfer --connect $TOE_PEER_V4:$port --bytes "$SIZE" \
			--seed $((1000 + port)) --expect $((2000 + port)):"$SIZE" \
			--offload-at 64K --pause-at 512K --resume-file /tmp/go-$round \
			> /dev/null 2> /tmp/xfer-$round-$i.err &
		echo $! >> /tmp/pids-$round
		i=$((i + 1))
	done
}

# stacks ROUND: what the threads of the round's transfers wait for, and
# the driver's counters.
stacks() {
	local pid t
	for pid in $(cat /tmp/pids-$1); do
		for t in /proc/$pid/task/*; do
			[ -e "$t/stack" ] || continue
			echo "# $t: $(tr '\n' ' ' < $t/stack | cut -c1-400)"
		done
	done
	ethtool -S "$DEV" | grep -vE ': 0$' | sed 's/^/# /'
}

# on_nic: how many connections toectl lists on the NIC. Succeeds with 0
# too: grep -c's status would end the wait below before the first move.
on_nic() {
	toectl list 2>/dev/null | grep -c ' nic ' || true
}

# round NAME BASE ACTION: the whole round; ACTION makes the device fail.
round() {
	local name=$1 base=$2 action=$3 i n end rc pid failovers resets ok=0 home=0
	failovers=$(ethtool_stat "$DEV" failovers)
	resets=$(ethtool_stat "$DEV" resets)
	start "$name" "$base"
	end=$(($(date +%s) + 120))
	while n=$(on_nic) && [ "$n" -lt "$N" ] && [ "$(date +%s)" -lt $end ]; do
		sleep 0.2
	done
	echo "# $name: $n of $N connections on the NIC"
	if [ "$n" -lt "$N" ]; then
		# Where the others are, and what their threads wait for.
		toectl list | sed 's/^/# /'
		stacks $name
	fi
	[ "$n" -ge "$N" ]
	log_test $? "$name: all $N transfers are on the NIC before it fails"
	eval "$action"
	touch /tmp/go-$name
	echo "TOE_PEER_TOUCH go-$name"
	rc=0
	end=$(($(date +%s) + 600))
	while :; do
		n=0
		for pid in $(cat /tmp/pids-$name); do
			kill -0 "$pid" 2>/dev/null && n=$((n + 1))
		done
		[ $n = 0 ] || [ "$(date +%s)" -ge $end ] && break
		sleep 0.5
	done
	if [ $n != 0 ]; then
		echo "# $name: $n transfers still running after 600 s:"
		toectl list | sed 's/^/# /'
		ss -tin | sed 's/^/# /'
		stacks $name
		rc=1
	fi
	for pid in $(cat /tmp/pids-$name); do
		kill "$pid" 2>/dev/null
		wait "$pid" || rc=1
	done
	i=0
	while [ $i -lt "$N" ]; do
		grep -q "^toe-xfer: received seed $((2000 + base + i))'s .* bytes, every one as expected" \
			/tmp/xfer-$name-$i.err && ok=$((ok + 1))
		# Home by the reset (TOE_UPLOAD_WHY_RESET), not by close.
		grep -q '^toe-xfer: toe where 0 offloads 1 uploads 1 .* upload_reason 6 ' \
			/tmp/xfer-$name-$i.err && home=$((home + 1))
		i=$((i + 1))
	done
	[ $rc = 0 ] || sed 's/^/# /' /tmp/xfer-$name-*.err | grep -v 'every one as expected' | head -n 20
	log_test $rc "$name: every toe-xfer ends cleanly"
	[ $ok = "$N" ]
	log_test $? "$name: the guest receives all $N streams intact ($ok)"
	[ $home = "$N" ]
	log_test $? "$name: TOE_INFO: all $N came home by the reset ($home)"
	echo "# $name: failovers $failovers -> $(ethtool_stat "$DEV" failovers)," \
		"resets $resets -> $(ethtool_stat "$DEV" resets)," \
		"watchdog resets $(ethtool_stat "$DEV" watchdog_resets)"
	[ "$(ethtool_stat "$DEV" failovers)" -ge $((failovers + N)) ] &&
	[ "$(ethtool_stat "$DEV" resets)" -gt "$resets" ]
	log_test $? "$name: the driver counts $N failovers and the reset"
	[ "$(on_nic)" = 0 ]
	log_test $? "$name: no connection is left on the NIC"
}

# reset_flowing: the peer's senders go on (the guest's wait, so every
# connection stays on the NIC); the device is reset under them.
reset_flowing() {
	echo "TOE_PEER_TOUCH go-reset"
	sleep 0.2
	echo "# reset: $(on_nic) on the NIC as it fails, having received" \
		"$(toectl list | awk '$4 == "nic" { n += $8 } END { print n + 0 }') bytes"
	ethtool --reset "$DEV" all > /dev/null
}

# hang_idle: the device stops answering; wait (30 s at most) for the
# driver to notice and bring the connections home, then the guest's
# senders go on.
hang_idle() {
	local t0 before
	before=$(ethtool_stat "$DEV" failovers)
	t0=$(date +%s)
	echo "TOE_HANG 1"
	while [ "$(ethtool_stat "$DEV" failovers)" -lt $((before + N)) ] &&
	      [ "$(date +%s)" -lt $((t0 + 60)) ]; do
		sleep 0.1
	done
	echo "# hang: noticed and home after about $(($(date +%s) - t0)) s"
}

round reset 5200 reset_flowing
wd=$(ethtool_stat "$DEV" watchdog_resets)
round hang 5300 hang_idle
[ "$(ethtool_stat "$DEV" watchdog_resets)" -gt "$wd" ]
log_test $? "hang: the command watchdog found the device stopped and reset it"

# paused_on_nic PORT NAME [BYTES]: one transfer to PORT (seed PORT + 1000
# out, PORT + 2000 in, as the peer's listeners have them; BYTES, by
# default SIZE, each way), moved to the NIC at 64K and paused at 512K
# until /tmp/go-NAME; its errors in /tmp/xfer-NAME.err, its pid in $pid.
# Returns once toectl lists it on the NIC (60 s at most).
paused_on_nic() {
	local end=$(($(date +%s) + 60)) bytes=${3:-$SIZE}
	toe-xfer --connect $TOE_PEER_V4:$1 --bytes "$bytes" --seed $(($1 + 1000)) \
		--expect $(($1 + 2000)):"$bytes" --offload-at 64K --pause-at 512K \
		--resume-file /tmp/go-$2 > /dev/null 2> /tmp/xfer-$2.err &
	pid=$!
	while ! toectl list | grep -q ":$1 .* nic " && [ "$(date +%s)" -lt $end ]; do
		sleep 0.2
	done
}

# ended_home NAME SEED REASON: the transfer in $pid ends cleanly, the
# peer's stream SEED intact, after one move to the NIC and one home for
# REASON (TOE_INFO upload_reason). Fails otherwise.
ended_home() {
	local ok=0
	wait $pid || ok=1
	sed 's/^/# /' /tmp/xfer-$1.err
	grep -q "^toe-xfer: received seed $2's .* bytes, every one as expected" /tmp/xfer-$1.err &&
	grep -q "^toe-xfer: toe where 0 offloads 1 uploads 1 .* upload_reason $3 " /tmp/xfer-$1.err || ok=1
	return $ok
}

# An upload asked for while the device hangs: its command gets no
# answer, the reset that follows brings the connection home from host
# state, and the upload returns success (toe_failover_wait()).
paused_on_nic 5400 up
echo "TOE_HANG 1"
# (The host sets the hang over QMP when it reads the line above, which
# has taken more than a second; a fixed wait let the upload go first.)
toe_wait_hung "$DEV" 1.2
rc=0
toectl upload --port 5400 || rc=1
touch /tmp/go-up
echo "TOE_PEER_TOUCH go-up"
ended_home up 7400 6 || rc=1
log_test $rc "upload while the device hangs: home by the reset, stream intact"

# ip link set down with a connection on the NIC: the connection comes
# home first (the core follows NETDEV_GOING_DOWN), within the command;
# while the link is down no move is taken; once it is up again the
# kernel's TCP carries the stream to its end, intact.
paused_on_nic 5410 down
rc=0
toectl list | grep -q ':5410 .* nic ' || rc=1
read -r t0 x < /proc/uptime
ip link set "$DEV" down || rc=1
read -r t1 x < /proc/uptime
echo "# ip link set down took $(echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }') s"
toectl list | grep ':5410 ' | sed 's/^/# /'
toectl list | grep -q ':5410 .* host ' || rc=1
log_test $rc "link down: the connection on the NIC came home within ip link set down"
ip link set "$DEV" up
toe_wait_peer >/dev/null 2>&1
touch /tmp/go-down
echo "TOE_PEER_TOUCH go-down"
ended_home down 7410 6
log_test $? "link down, then up: the stream goes on on the kernel's TCP, intact"

# An upload under memory pressure: net.ipv4.tcp_mem far below what TCP
# holds, and the send ring full of data the peer has not acknowledged
# (the device drops every frame meanwhile; 8M to send, more than the
# largest ring holds). The kernel's TCP must take it all back (the memory
# was reserved as the ring filled, toe_tcp_reserve()): the connection
# comes home, not reset; once the pressure and the faults are gone, the
# stream ends intact.
paused_on_nic 5420 mem 8M
echo "TOE_FAULTS 1000 0 0"
# Set over QMP once the host reads the line (a second or more): until
# then the peer answers.
rc=1
for i in $(seq 30); do
	ping -c1 -W1 $TOE_PEER_V4 > /dev/null 2>&1 || { rc=0; break; }
	sleep 0.5
done
touch /tmp/go-mem
sleep 2
mem=$(sysctl -n net.ipv4.tcp_mem)
sysctl -qw net.ipv4.tcp_mem="1 1 1" || rc=1
toectl upload --port 5420 || rc=1
sysctl -qw net.ipv4.tcp_mem="$mem"
toectl list | grep ':5420 ' | sed 's/^/# /'
toectl list | grep -q ':5420 .* host ' || rc=1
# What the kernel took back and the peer has yet to acknowledge.
ss -tin '( dport = :5420 )' | sed 's/^/# /'
ss -tin '( dport = :5420 )' | grep -q ' unacked:' || rc=1
log_test $rc "upload under tcp_mem pressure, unacknowledged data in the ring: home, not reset"
echo "TOE_FAULTS 0 0 0"
echo "TOE_PEER_TOUCH go-mem"
ended_home mem 7420 1
log_test $? "upload under memory pressure: the stream ends on the kernel's TCP, intact"

dmesg | grep -E 'toe|failover|watchdog' | tail -n 12 | sed 's/^/# /'
exit $TOE_FAILED
