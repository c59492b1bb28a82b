#!/bin/bash
# bench-engine.sh - `make bench-engine`: the TCP engine against the
# kernel's TCP on the same path, in the same run. The interop harness
# (qemu-toe-device/engine/tests/interop.c) stands between two namespaces;
# toe-xfer in B is the peer. Each round runs the same transfer twice, once
# with A's kernel running the connection throughout and once with the
# engine running it from just after the handshake (--offload-only).
#
# Reported per mode (median of the rounds): wall-clock throughput each
# way, and throughput per CPU: bytes both ways over the harness process's
# CPU time, which holds the wire, the engine when it runs the connection,
# and the kernel's TCP work for A done in the harness's system calls when
# the kernel does. The peer's CPU (B's TCP, toe-xfer) is the same in both
# modes and not counted. Memory: the engine's fixed bytes per connection
# slot and, for the run, the most received data it held.
#
# BYTES (default 256M) each way, ROUNDS (default 3), FAMILY (4 or 6).
# Writes $TOE_CACHE/results/bench-engine.rst and prints it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$TOE_ROOT/scripts/engine-net.sh"

BYTES=${BYTES:-256M}
ROUNDS=${ROUNDS:-3}
FAMILY=${FAMILY:-4}
OUT=$TOE_CACHE/results/bench-engine
rm -rf "$OUT" && mkdir -p "$OUT"
peer=$ENGINE_PEER4
[ "$FAMILY" = 6 ] && peer=$ENGINE_PEER6

engine_build
trap engine_net_down EXIT
engine_net_up

# field FILE NAME: a value the harness printed.
field() { awk -v n="$2" '$1 == "interop:" && $2 == n { print $3 }' "$1"; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

port=7000
for round in $(seq "$ROUNDS"); do
	for mode in kernel engine; do
		port=$((port + 1))
		dir=$OUT/$mode-$round
		mkdir -p "$dir"
		args=()
		[ $mode = engine ] && args=(--offload-only)
		engine_peer $port "$BYTES" "$dir/peer.err"
		rc=0
		engine_harness "$peer" $port "$BYTES" "${args[@]}" \
			> "$dir/harness.out" 2> "$dir/harness.err" || rc=$?
		wait "$PEER_PID" || rc=1
		[ $rc -eq 0 ] || { cat "$dir/harness.err" >&2; die "$mode round $round failed"; }
		log "$mode round $round: $(field "$dir/harness.out" mbit_per_s_each_way) Mbit/s each way," \
		    "$(field "$dir/harness.out" mbit_per_cpu_second) Mbit per CPU second"
	done
done

row() {	# MODE
	local mode=$1 tput cpu
	tput=$(for f in "$OUT/$mode"-*/harness.out; do field "$f" mbit_per_s_each_way; done | median)
	cpu=$(for f in "$OUT/$mode"-*/harness.out; do field "$f" mbit_per_cpu_second; done | median)
	printf '%-22s %-22s %s\n' "$2" "$tput" "$cpu"
}
last=$OUT/engine-$ROUNDS/harness.out
{
	echo "IPv$FAMILY, $BYTES each way at once, median of $ROUNDS rounds," \
	     "$(nproc) CPUs, kernel $(uname -r)"
	echo
	echo "====================== ====================== ====================="
	echo "connection run by      Mbit/s each way        Mbit (both ways) per"
	echo "                                              harness CPU second"
	echo "====================== ====================== ====================="
	row kernel "A's kernel TCP"
	row engine "the engine"
	echo "====================== ====================== ====================="
	echo
	echo "Engine memory: $(field "$last" engine_conn_bytes) bytes per connection slot," \
	     "$(field "$last" engine_fixed_bytes) bytes fixed per engine," \
	     "$(field "$last" engine_mem_peak) bytes of received data held at most" \
	     "(last round)."
} | tee "$TOE_CACHE/results/bench-engine.rst"
