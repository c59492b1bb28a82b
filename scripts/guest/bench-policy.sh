#!/bin/sh
# bench-policy.sh - guest side of `make bench-policy`: netperf TCP_STREAM,
# TCP_RR and TCP_CRR against netserver on the peer under each
# net.toe.mode, LEN seconds each, with the guest's CPU figures. Under
# mode 1 (explicit) netperf runs with toe-preload.so, so that each of its
# data connections asks to move as soon as it is established. REPS
# rounds, each running every mode and test in turn (so that drift over
# the boot touches all alike). Prints one BENCH line per run: round,
# mode, test, throughput, units, guest CPU %, guest service demand, and
# how many connections moved to the NIC in the run.
. /tests/lib.sh
LEN=${LEN:-10}
AUTO_BYTES=${AUTO_BYTES:-16384}
REPS=${REPS:-3}
toe_load || exit 1
toe_wait_peer || exit 1
DEV=$(toe_dev)
sysctl -qw net.toe.auto_bytes=$AUTO_BYTES
for rep in $(seq "$REPS"); do
	for mode in 0 1 2; do
		sysctl -qw net.toe.mode=$mode
		pre=
		[ $mode = 1 ] &&
			pre="LD_PRELOAD=/usr/lib/toe-preload.so TOE_PRELOAD_SKIP=12865"
		for t in TCP_STREAM TCP_RR TCP_CRR; do
			before=$(ethtool_stat "$DEV" offloads)
			if ! out=$(env $pre netperf -H $TOE_PEER_V4 -t $t -l $LEN -c \
				-P 0 -- -o THROUGHPUT,THROUGHPUT_UNITS,LOCAL_CPU_UTIL,LOCAL_SD 2>&1); then
				echo "# netperf $t under mode $mode failed: $out"
				continue
			fi
			out=$(echo "$out" | tail -n1)
			echo "BENCH,$rep,$mode,$t,$out,$(($(ethtool_stat "$DEV" offloads) - before))"
		done
	done
done
