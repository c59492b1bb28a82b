# lib.sh - helpers for guest-side test scripts (sourced).
#
# Prints kselftest-style result lines that the host collects:
#   TEST: <name>  [ OK ] / [FAIL] / [SKIP]
TOE_GUEST_V4=198.18.0.2
TOE_PEER_V4=198.18.0.1
TOE_GUEST_V6=2001:2::2
TOE_PEER_V6=2001:2::1
TOE_FAILED=0

# toe_dev: name of the toe netdev, empty if none.
toe_dev() {
	ls /sys/bus/pci/drivers/toe/*/net/ 2>/dev/null | head -n1
}

# toe_load: insmod toe.ko and configure the NIC; waits for carrier.
toe_load() {
	local dev i
	if ! grep -q '^toe ' /proc/modules; then
		insmod /lib/modules/toe.ko || { echo "toe_load: insmod failed"; return 1; }
	fi
	for i in $(seq 50); do
		dev=$(toe_dev)
		[ -n "$dev" ] && break
		sleep 0.1
	done
	[ -n "$dev" ] || { echo "toe_load: no toe netdev appeared"; return 1; }
	# No duplicate address detection: the link has two hosts, both ours.
	echo 0 > /proc/sys/net/ipv6/conf/$dev/accept_dad
	ip addr add $TOE_GUEST_V4/24 dev "$dev" 2>/dev/null
	ip -6 addr add $TOE_GUEST_V6/64 dev "$dev" 2>/dev/null
	ip link set "$dev" up
	for i in $(seq 100); do
		[ "$(cat /sys/class/net/$dev/carrier 2>/dev/null)" = 1 ] && return 0
		sleep 0.1
	done
	echo "toe_load: $dev has no carrier"
	return 1
}

# toe_wait_peer: wait until the peer answers ping (IPv4 and IPv6).
toe_wait_peer() {
	local i
	for i in $(seq 50); do
		ping -c1 -W1 $TOE_PEER_V4 >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# toe_plan N: this suite prints N TEST lines; the host fails every one
# that never printed (a guest that hung or died half way).
toe_plan() {
	echo "TOE_PLAN $1"
	toe_uptime
	TOE_CHECK_T0=$TOE_UPTIME
}

# toe_uptime: whole seconds since boot, in TOE_UPTIME (no fork).
toe_uptime() {
	local rest
	read -r TOE_UPTIME rest < /proc/uptime
	TOE_UPTIME=${TOE_UPTIME%.*}
}

# log_test RC NAME: one result line; any non-zero RC other than 4 fails.
# A check that took 2 s or more since the one before says so on a
# comment line after it, so that the slow ones stand out in the console.
log_test() {
	local rc=$1 name=$2
	toe_uptime
	if [ "$rc" -eq 0 ]; then
		printf 'TEST: %-60s [ OK ]\n' "$name"
	elif [ "$rc" -eq 4 ]; then
		printf 'TEST: %-60s [SKIP]\n' "$name"
	else
		printf 'TEST: %-60s [FAIL]\n' "$name"
		TOE_FAILED=1
	fi
	[ $((TOE_UPTIME - ${TOE_CHECK_T0:-$TOE_UPTIME})) -lt 2 ] ||
		echo "# $((TOE_UPTIME - TOE_CHECK_T0)) s"
	TOE_CHECK_T0=$TOE_UPTIME
}

# toe_wait_where PORT nic|host: until toectl lists the connection on PORT
# there; 1 if it has not after 30 s.
toe_wait_where() {
	local i
	for i in $(seq 300); do
		toectl list 2>/dev/null | grep -q ":$1 .* $2 " && return 0
		sleep 0.1
	done
	return 1
}

# ethtool_stat DEV NAME: one value from ethtool -S.
ethtool_stat() {
	ethtool -S "$1" | awk -v n="$2:" '$1 == n { print $2 }'
}

# toe_rmmod: rmmod toe, once nothing holds it. A socket that had the
# toe ULP holds the module until it is destroyed, after its close has
# run its course (the KUnit suites' sockets, closing, among them): wait
# up to 30 s for the count to drop. If it cannot, say what holds it.
toe_rmmod() {
	local i
	for i in $(seq 150); do
		[ "$(awk '$1 == "toe" { print $3 }' /proc/modules)" = 0 ] && break
		sleep 0.2
	done
	rmmod toe && return 0
	{
		grep '^toe ' /proc/modules
		ss -tanie | grep -B1 'tcp-ulp-toe'
	} | sed 's/^/# holds toe: /'
	return 1
}

# toe_wait_hung DEV SECONDS: wait (10 s at most) until the device has
# completed no command for SECONDS: hung. While a connection is on the
# NIC the command watchdog posts a NOP every 0.5 s, so cmd_completed stops
# moving only when the device stops answering (the watchdog resets it
# after 2 s of that). Prints how long it saw it still.
toe_wait_hung() {
	local t0 t x last now i
	read -r t0 x < /proc/uptime
	t=$t0
	last=$(ethtool_stat "$1" cmd_completed)
	for i in $(seq 40); do
		sleep 0.25
		read -r t x < /proc/uptime
		now=$(ethtool_stat "$1" cmd_completed)
		if [ "$now" != "$last" ]; then
			last=$now t0=$t
		elif [ "$(echo "$t0 $t $2" | awk '{ print ($2 - $1 >= $3) }')" = 1 ]; then
			break
		fi
	done
	echo "# no command completed for $(echo "$t0 $t" | awk '{ printf "%.1f", $2 - $1 }') s"
}

# toe_kmemleak_scan: under the debug flavour, ask kmemleak now and print
# KMEMLEAK_REPORTS=N; the host checks it (check_kmemleak). Objects must be
# 5 s old to be reported: a scan takes about 20 s in the debug guest, so
# the second finds what was too young for the first (no sleep needed).
toe_kmemleak_scan() {
	[ -w /sys/kernel/debug/kmemleak ] || return 0
	echo scan > /sys/kernel/debug/kmemleak
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
	echo "KMEMLEAK_REPORTS=$(grep -c 'unreferenced object' /sys/kernel/debug/kmemleak)"
}
