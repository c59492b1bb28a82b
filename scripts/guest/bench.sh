#!/bin/sh
# bench.sh - guest side of `make bench`: netperf against netserver on the
# peer, each test for LEN seconds, with the guest's CPU figures. Prints
# one BENCH line per test: name, throughput, units, guest CPU %, guest
# service demand (us of CPU per KB, or per transaction for RR tests).
. /tests/lib.sh
LEN=${LEN:-10}
toe_wait_peer || exit 1
for t in TCP_STREAM TCP_MAERTS TCP_RR TCP_CRR; do
	out=$(netperf -H $TOE_PEER_V4 -t $t -l $LEN -c -P 0 -- \
		-o THROUGHPUT,THROUGHPUT_UNITS,LOCAL_CPU_UTIL,LOCAL_SD 2>&1 | tail -n1)
	echo "BENCH,$t,$out"
done
