#!/bin/bash
# bench-policy.sh - `make bench-policy`: netperf TCP_STREAM, TCP_RR and
# TCP_CRR through the toe NIC with net.toe.mode 0 (off), 1 (explicit:
# netperf never asks, so nothing moves, but the module is loaded) and 2
# (auto, with net.toe.auto_bytes=AUTO_BYTES, default 16384, so that an RR
# connection moves within the run). Writes $TOE_CACHE/results/
# bench-policy.rst (a table for Documentation/benchmarks.rst) and prints
# it. LEN=seconds per run (default 10).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

LEN=${LEN:-10}
AUTO_BYTES=${AUTO_BYTES:-16384}
OUT=$TOE_CACHE/results/bench-policy
rm -rf "$OUT" && mkdir -p "$OUT"
bash "$TOE_ROOT/scripts/vm-run.sh" --out "$OUT" --timeout 1200 \
	--peer "netserver -D -p 12865" \
	-- "LEN=$LEN AUTO_BYTES=$AUTO_BYTES sh /tests/bench-policy.sh" >"$OUT.log" 2>&1 ||
	{ tail -n 30 "$OUT/console.log" >&2; die "the guest's benchmark failed"; }
{
	echo "netperf through the toe NIC by net.toe.mode, TCG guest, ${LEN}s per run,"
	echo "auto_bytes=$AUTO_BYTES; \"moved\": the policy's offloaded count so far"
	echo
	echo "========== =========== ============ ============ ============ ================ ====="
	echo "mode       test        throughput   units        guest CPU %  service demand   moved"
	echo "========== =========== ============ ============ ============ ================ ====="
	grep -a '^BENCH,' "$OUT/console.log" | tr -d '\r' |
		awk -F, 'BEGIN { split("off explicit auto", m, " ") }
			{ printf "%-10s %-11s %-12s %-12s %-12s %-16s %s\n",
			  m[$2 + 1], $3, $4, $5, $6, $7, $8 }'
	echo "========== =========== ============ ============ ============ ================ ====="
} | tee "$TOE_CACHE/results/bench-policy.rst"
