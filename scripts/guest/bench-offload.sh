#!/bin/sh
# bench-offload.sh - guest side of `make bench-offload`. Prints
# BENCH_OFFLOADS/BENCH_UPLOADS (median and worst time of one move) and
# BENCH_KERNEL/BENCH_NIC (Mbit/s each way, guest CPU us per KiB moved),
# and BENCH_NP lines: netperf on the kernel's TCP and on the NIC.
. /tests/lib.sh
BYTES=${BYTES:-256M}
MOVES=${MOVES:-1000}
NP_LEN=${NP_LEN:-20}
toe_wait_peer || exit 1

# uptime_cs: centiseconds since boot (busybox date has no %N).
uptime_cs() {
	awk '{ printf "%d\n", $1 * 100 }' /proc/uptime
}

# cpu_busy: jiffies (USER_HZ) all CPUs spent not idle, from /proc/stat.
cpu_busy() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat
}

toe-xfer --connect $TOE_PEER_V4:5031 --bytes $BYTES --seed 1 \
	--offload-at 64K --cycles $MOVES > /dev/null 2> /tmp/cycles.err
cat /tmp/cycles.err
sed -n 's/^toe-xfer: [0-9]* offloads: \(.*\)/BENCH_OFFLOADS \1/p' /tmp/cycles.err
sed -n 's/^toe-xfer: [0-9]* uploads: \(.*\)/BENCH_UPLOADS \1/p' /tmp/cycles.err

# run NAME PORT OPTIONS...: one timed transfer; prints NAME's figures.
run() {
	local name=$1 port=$2 t0 t1 c0 c1 kib
	shift 2
	c0=$(cpu_busy)
	t0=$(uptime_cs)
	toe-xfer --connect $TOE_PEER_V4:$port --bytes $BYTES --seed 1 "$@" \
		> /dev/null 2> /tmp/run.err
	t1=$(uptime_cs)
	c1=$(cpu_busy)
	cat /tmp/run.err
	kib=$(( $(toe-xfer --gen --bytes $BYTES --seed 0 | wc -c) / 1024 ))
	# Both directions moved kib each; USER_HZ is 100 (10000 us a tick).
	awk -v n="$name" -v cs=$((t1 - t0)) -v kib=$kib -v cpu=$((c1 - c0)) 'BEGIN {
		printf "%s %.0f Mbit/s each way, %.2f us CPU per KiB (%.1f s)\n",
			n, kib * 8192 / (cs * 10000), cpu * 10000 / (2 * kib), cs / 100 }'
}
run BENCH_KERNEL 5032
run BENCH_NIC 5033 --offload-at 64K

# np TEST WHERE PORT: netperf TEST for NP_LEN seconds, its data connection
# (ports PORT and PORT + 1) on the kernel's TCP or moved to the NIC by
# toectl half a second in. Prints "BENCH_NP,TEST,WHERE,throughput,units,
# guest CPU %,service demand".
np() {
	local t=$1 where=$2 port=$3 pid
	netperf -H $TOE_PEER_V4 -t "$t" -l "$NP_LEN" -c -P 0 -- -P "$port,$((port + 1))" \
		-o THROUGHPUT,THROUGHPUT_UNITS,LOCAL_CPU_UTIL,LOCAL_SD > /tmp/np.out 2>&1 &
	pid=$!
	if [ "$where" = nic ]; then
		sleep 0.5
		toectl offload --port $((port + 1)) --retry 5 || where=nic-refused
	fi
	wait $pid
	echo "BENCH_NP,$t,$where,$(tail -n1 /tmp/np.out)"
}
port=5200
for t in TCP_STREAM TCP_MAERTS TCP_RR; do
	np "$t" kernel $port
	np "$t" nic $((port + 2))
	port=$((port + 4))
done
