#!/bin/sh
# bench-policy.sh - guest side of `make bench-policy`: netperf TCP_STREAM,
# TCP_RR and TCP_CRR against netserver on the peer under each
# net.toe.mode, LEN seconds each, with the guest's CPU figures. Prints
# one BENCH line per run: mode, test, throughput, units, guest CPU %,
# guest service demand, and the policy's offloaded count after it.
. /tests/lib.sh
LEN=${LEN:-10}
AUTO_BYTES=${AUTO_BYTES:-16384}
toe_load || exit 1
toe_wait_peer || exit 1
sysctl -qw net.toe.auto_bytes=$AUTO_BYTES
for mode in 0 1 2; do
	sysctl -qw net.toe.mode=$mode
	for t in TCP_STREAM TCP_RR TCP_CRR; do
		out=$(netperf -H $TOE_PEER_V4 -t $t -l $LEN -c -P 0 -- \
			-o THROUGHPUT,THROUGHPUT_UNITS,LOCAL_CPU_UTIL,LOCAL_SD 2>&1 |
			tail -n1)
		moved=$(toectl policy | awk '$1 == "offloaded" { print $2 }')
		echo "BENCH,$mode,$t,$out,$moved"
	done
done
