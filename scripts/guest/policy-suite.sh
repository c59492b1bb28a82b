#!/bin/sh
# policy-suite.sh ROUNDS - the offload policy decides on its own (issue
# 6). Run by scripts/tests/policy.sh, which starts the peer's side of each
# round and checks what it received.
#
# ROUNDS "main" (a NIC of the default capacity):
#   mix      net.toe.mode=2: LONG transfers (ports 5500 + i) and SHORT
#            short connections (10 ports from 5600, SHORT / 10 each) at
#            once; only the long ones may move, and the policy's counters
#            must say so
#   idle     net.toe.idle_ms: a connection on the NIC that both sides
#            leave idle comes home (port 5700)
#   forbid   a socket that says TOE_FORBID never moves (port 5701)
#   lists    a connection net.toe.exclude names is left alone (5720)
#   off      net.toe.mode=0 brings every connection home (5710..5714),
#            and a move asked for then is refused
#   netperf  TCP_RR (moving to the NIC in the middle) and TCP_CRR
#            complete with mode=2
# ROUNDS "capacity" (policy.sh gives the NIC conn-capacity=8):
#   capacity CAP transfers (5800 + i) that send in bursts: never more
#            than 8 on the NIC, idle ones make room for busy ones
. /tests/lib.sh

ROUNDS=${1:-main}
LONG=${LONG:-20}
SHORT=${SHORT:-500}
CAP=${CAP:-20}
SIZE=${SIZE:-2M}

toe_load || exit 1
toe_wait_peer || exit 1
DEV=$(toe_dev)

# pol NAME: one of the policy's counters (toectl policy).
pol() {
	toectl policy | awk -v n="$1" '$1 == n { print $2 }'
}

# on_nic: connections toectl lists on the NIC.
on_nic() {
	toectl list 2>/dev/null | grep -c ' nic '
}

# wait_pids FILE SECS: wait for the pids in FILE; fail if any fails or
# is still running after SECS.
wait_pids() {
	local rc=0 pid end=$(($(date +%s) + $2))
	for pid in $(cat "$1"); do
		while kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt $end ]; do
			sleep 0.5
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "# pid $pid still running after $2 s"
			kill "$pid"
			rc=1
		fi
		wait "$pid" || rc=1
	done
	return $rc
}

# intact FILE SEED: FILE says the stream of SEED arrived whole.
intact() {
	grep -q "^toe-xfer: received seed $2's .* bytes, every one as expected" "$1"
}

# stayed_home FILE: TOE_INFO says it never moved (or it never had the ULP).
stayed_home() {
	grep -qE '^toe-xfer: toe (none|where 0 offloads 0 )' "$1"
}

# moved FILE: TOE_INFO says it moved to the NIC at least once.
moved() {
	grep -qE '^toe-xfer: toe where [01] offloads [1-9]' "$1"
}

mix() {
	local i j port rc ok=0 home=0 long_ok=0 long_moved=0 before_off before_below
	sysctl -qw net.toe.mode=2
	before_off=$(pol offloaded)
	before_below=$(pol below_threshold)
	: > /tmp/pids-long
	: > /tmp/pids-short
	i=0
	while [ $i -lt "$LONG" ]; do
		port=$((5500 + i))
		toe-xfer --connect $TOE_PEER_V4:$port --bytes "$SIZE" \
			--seed $((1000 + port)) --expect $((2000 + port)):"$SIZE" \
			--toe-info > /dev/null 2> /tmp/long-$i.err &
		echo $! >> /tmp/pids-long
		i=$((i + 1))
	done
	# SHORT connections of 8K each way, from ten loops at once.
	i=0
	while [ $i -lt 10 ]; do
		port=$((5600 + i))
		(
			j=0
			while [ $j -lt $((SHORT / 10)) ]; do
				toe-xfer --connect $TOE_PEER_V4:$port --bytes 8K \
					--seed $((1000 + port)) \
					--expect $((2000 + port)):8K --toe-info \
					> /dev/null 2> /tmp/short-$i-$j.err
				j=$((j + 1))
			done
		) &
		echo $! >> /tmp/pids-short
		i=$((i + 1))
	done
	rc=0
	wait_pids /tmp/pids-short 900 || rc=1
	wait_pids /tmp/pids-long 900 || rc=1
	log_test $rc "mix: every toe-xfer ends cleanly"
	i=0
	while [ $i -lt "$LONG" ]; do
		intact /tmp/long-$i.err $((2000 + 5500 + i)) && long_ok=$((long_ok + 1))
		moved /tmp/long-$i.err && long_moved=$((long_moved + 1))
		i=$((i + 1))
	done
	for f in /tmp/short-*.err; do
		port=$(echo "$f" | sed 's|/tmp/short-\([0-9]*\)-.*|\1|')
		intact "$f" $((2000 + 5600 + port)) && ok=$((ok + 1))
		stayed_home "$f" && home=$((home + 1))
	done
	[ $long_ok = "$LONG" ] && [ $ok = "$SHORT" ]
	log_test $? "mix: the guest receives all $LONG long and $SHORT short streams intact ($long_ok, $ok)"
	[ $long_moved = "$LONG" ]
	log_test $? "mix: every long transfer moved to the NIC ($long_moved of $LONG)"
	i=0
	while [ $i -lt "$LONG" ]; do
		f=/tmp/long-$i.err
		{ moved "$f" && intact "$f" $((2000 + 5500 + i)); } ||
			sed "s|^|# $f: |" "$f"
		i=$((i + 1))
	done | head -n 20
	[ $home = "$SHORT" ]
	log_test $? "mix: no short connection moved ($home of $SHORT stayed home)"
	for f in /tmp/short-*.err; do
		stayed_home "$f" || sed "s|^|# $f: |" "$f"
	done | head -n 20
	toectl policy | sed 's/^/# /'
	[ $(($(pol offloaded) - before_off)) = "$LONG" ]
	log_test $? "mix: the policy counts $LONG offloaded ($(($(pol offloaded) - before_off)))"
	[ $(($(pol below_threshold) - before_below)) = "$SHORT" ]
	log_test $? "mix: the policy counts $SHORT below the threshold ($(($(pol below_threshold) - before_below)))"
	[ "$(pol excluded)" = 0 ] && [ "$(pol rtt_too_high)" = 0 ]
	log_test $? "mix: nothing counted excluded or over the RTT ceiling"
	[ "$(on_nic)" = 0 ]
	log_test $? "mix: no connection is left on the NIC"
}

idle() {
	local pid rc=0 end before t0
	sysctl -qw net.toe.mode=2 net.toe.idle_ms=1000
	before=$(pol idle)
	toe-xfer --connect $TOE_PEER_V4:5700 --bytes 1M --seed 6700 \
		--expect 7700:1M --pause-at 512K --resume-file /tmp/go-idle \
		--toe-info > /dev/null 2> /tmp/idle.err &
	pid=$!
	end=$(($(date +%s) + 120))
	while ! toectl list | grep -q ':5700 .* nic ' && [ "$(date +%s)" -lt $end ]; do
		sleep 0.2
	done
	toectl list | grep -q ':5700 .* nic '
	log_test $? "idle: the connection moved to the NIC on its own"
	t0=$(date +%s)
	end=$((t0 + 30))
	while toectl list | grep -q ':5700 .* nic ' && [ "$(date +%s)" -lt $end ]; do
		sleep 0.2
	done
	toectl list | grep -q ':5700 .* host '
	log_test $? "idle: both sides idle, it came home (after about $(($(date +%s) - t0)) s)"
	[ "$(pol idle)" -gt "$before" ]
	log_test $? "idle: the policy counts it idle"
	touch /tmp/go-idle
	echo "TOE_PEER_TOUCH go-idle"
	wait $pid || rc=1
	intact /tmp/idle.err 7700 || rc=1
	[ $rc = 0 ] || sed 's/^/# /' /tmp/idle.err
	log_test $rc "idle: the transfer goes on and ends intact"
	sysctl -qw net.toe.idle_ms=0
}

forbid() {
	local rc=0 before
	before=$(pol socket_choice)
	toe-xfer --connect $TOE_PEER_V4:5701 --bytes 1M --seed 6701 \
		--expect 7701:1M --forbid --toe-info > /dev/null 2> /tmp/forbid.err || rc=1
	intact /tmp/forbid.err 7701 || rc=1
	log_test $rc "forbid: the transfer ends intact"
	grep -q '^toe-xfer: toe where 0 offloads 0 ' /tmp/forbid.err
	log_test $? "forbid: a socket that forbids offload never moves"
	[ "$(pol socket_choice)" -gt "$before" ]
	log_test $? "forbid: the policy counts the socket's own choice"
}

lists() {
	local rc=0 before
	sysctl -qw net.toe.mode=2
	echo "rport=5720" > /proc/sys/net/toe/exclude
	before=$(pol excluded)
	toe-xfer --connect $TOE_PEER_V4:5720 --bytes 1M --seed 6720 \
		--expect 7720:1M --toe-info > /dev/null 2> /tmp/lists.err || rc=1
	intact /tmp/lists.err 7720 || rc=1
	log_test $rc "lists: the transfer ends intact"
	grep -q '^toe-xfer: toe none' /tmp/lists.err
	log_test $? "lists: an excluded connection never gets the ULP, nor moves"
	[ "$(pol excluded)" = $((before + 1)) ]
	log_test $? "lists: the policy counts it excluded"
	echo > /proc/sys/net/toe/exclude
}

off() {
	local i port rc=0 end before n=5 ok=0
	sysctl -qw net.toe.mode=2
	before=$(pol mode_off)
	: > /tmp/pids-off
	i=0
	while [ $i -lt $n ]; do
		port=$((5710 + i))
		toe-xfer --connect $TOE_PEER_V4:$port --bytes 1M --seed $((1000 + port)) \
			--expect $((2000 + port)):1M --pause-at 512K \
			--resume-file /tmp/go-off --toe-info > /dev/null 2> /tmp/off-$i.err &
		echo $! >> /tmp/pids-off
		i=$((i + 1))
	done
	end=$(($(date +%s) + 120))
	while [ "$(on_nic)" -lt $n ] && [ "$(date +%s)" -lt $end ]; do
		sleep 0.2
	done
	[ "$(on_nic)" = $n ]
	log_test $? "off: all $n transfers moved to the NIC on their own"
	sysctl -qw net.toe.mode=0
	end=$(($(date +%s) + 30))
	while [ "$(on_nic)" != 0 ] && [ "$(date +%s)" -lt $end ]; do
		sleep 0.2
	done
	[ "$(on_nic)" = 0 ]
	log_test $? "off: mode 0 brings every connection home"
	[ $(($(pol mode_off) - before)) = $n ]
	log_test $? "off: the policy counts $n brought home by mode off"
	toectl offload --port 5710 2> /tmp/off-refused.err
	[ $? != 0 ] && grep -q 'net.toe.mode is 0' /tmp/off-refused.err
	log_test $? "off: a move asked for now is refused, saying why"
	sed 's/^/# /' /tmp/off-refused.err
	touch /tmp/go-off
	echo "TOE_PEER_TOUCH go-off"
	wait_pids /tmp/pids-off 300 || rc=1
	i=0
	while [ $i -lt $n ]; do
		intact /tmp/off-$i.err $((2000 + 5710 + i)) && ok=$((ok + 1))
		i=$((i + 1))
	done
	[ $rc = 0 ] && [ $ok = $n ]
	log_test $? "off: every transfer ends intact on the kernel's TCP ($ok)"
}

netperf_round() {
	local t out rc before
	sysctl -qw net.toe.mode=2 net.toe.auto_bytes=1024
	before=$(pol offloaded)
	for t in TCP_RR TCP_CRR; do
		out=$(netperf -H $TOE_PEER_V4 -t $t -l 5 -P 0 2>&1)
		rc=$?
		echo "# $t: $out"
		[ $rc = 0 ] && echo "$out" | awk 'NF >= 6 && $6 > 0 { ok = 1 } END { exit !ok }'
		log_test $? "netperf: $t completes with mode=2 (transactions per second > 0)"
	done
	[ "$(pol offloaded)" -gt "$before" ]
	log_test $? "netperf: TCP_RR's connection moved to the NIC on its own"
	sysctl -qw net.toe.auto_bytes=131072
}

capacity() {
	local i port rc=0 max=0 n ok=0 moved=0 before_off before_ev
	sysctl -qw net.toe.mode=2 net.toe.auto_bytes=65536 net.toe.evict_idle_ms=200
	before_off=$(pol offloaded)
	before_ev=$(pol evicted)
	: > /tmp/pids-cap
	i=0
	while [ $i -lt "$CAP" ]; do
		port=$((5800 + i))
		toe-xfer --connect $TOE_PEER_V4:$port --bytes "$SIZE" \
			--seed $((1000 + port)) --expect $((2000 + port)):64K \
			--gap-every 256K --gap-ms 800 --toe-info \
			> /dev/null 2> /tmp/cap-$i.err &
		echo $! >> /tmp/pids-cap
		i=$((i + 1))
	done
	# Watch the NIC while they run.
	while :; do
		n=$(on_nic)
		[ "$n" -gt $max ] && max=$n
		running=0
		for pid in $(cat /tmp/pids-cap); do
			kill -0 "$pid" 2>/dev/null && running=1
		done
		[ $running = 0 ] && break
		sleep 0.2
	done
	wait_pids /tmp/pids-cap 10 || rc=1
	log_test $rc "capacity: every toe-xfer ends cleanly"
	i=0
	while [ $i -lt "$CAP" ]; do
		intact /tmp/cap-$i.err $((2000 + 5800 + i)) && ok=$((ok + 1))
		moved /tmp/cap-$i.err && moved=$((moved + 1))
		i=$((i + 1))
	done
	toectl policy | sed 's/^/# /'
	echo "# capacity: at most $max on the NIC; $moved of $CAP transfers moved"
	[ $ok = "$CAP" ]
	log_test $? "capacity: the guest receives all $CAP streams intact ($ok)"
	[ $max -le 8 ] && [ $max -gt 0 ]
	log_test $? "capacity: never more than 8 on the NIC (at most $max seen)"
	[ "$(pol evicted)" -gt "$before_ev" ]
	log_test $? "capacity: idle connections made room ($(($(pol evicted) - before_ev)) evicted)"
	[ $(($(pol offloaded) - before_off)) -gt 8 ] && [ $moved -gt 8 ]
	log_test $? "capacity: connections rotate ($(($(pol offloaded) - before_off)) moves, $moved transfers moved)"
}

# round NAME: run it, then have the peer note its counters.
round() {
	$1
	echo "TOE_NSTAT $1"
	sleep 0.5
}

case $ROUNDS in
main)
	round mix
	round idle
	round forbid
	round lists
	round off
	round netperf_round
	;;
capacity)
	round capacity
	;;
esac
toectl stats | sed 's/^/# /'
dmesg | grep -E 'toe' | tail -n 12 | sed 's/^/# /'
toe_kmemleak_scan
exit $TOE_FAILED
