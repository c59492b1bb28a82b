#!/bin/bash
# bench.sh - `make bench`: netperf TCP_STREAM, TCP_MAERTS, TCP_RR and
# TCP_CRR from the guest to netserver on the peer, through the toe NIC.
# Writes $TOE_CACHE/results/bench.rst (a table for Documentation/) and
# prints it. LEN=seconds per test (default 10).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

LEN=${LEN:-10}
OUT=$TOE_CACHE/results/bench
rm -rf "$OUT" && mkdir -p "$OUT"
bash "$TOE_ROOT/scripts/vm-run.sh" --out "$OUT" --peer "netserver -D -p 12865" \
	-- "LEN=$LEN sh /tests/bench.sh"
{
	echo "netperf through the toe NIC's L2 path, kernel TCP, TCG guest, ${LEN}s per test"
	echo
	echo "=========== ============ ============ ============ ================"
	echo "test        throughput   units        guest CPU %  service demand"
	echo "=========== ============ ============ ============ ================"
	grep -a '^BENCH,' "$OUT/console.log" | tr -d '\r' |
		awk -F, '{ printf "%-11s %-12s %-12s %-12s %s\n", $2, $3, $4, $5, $6 }'
	echo "=========== ============ ============ ============ ================"
} | tee "$TOE_CACHE/results/bench.rst"
