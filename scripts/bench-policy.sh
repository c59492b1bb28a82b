#!/bin/bash
# bench-policy.sh - `make bench-policy`: netperf TCP_STREAM, TCP_RR and
# TCP_CRR through the toe NIC with net.toe.mode 0 (off), 1 (explicit:
# netperf runs with toe-preload.so, so every data connection asks to move
# once established) and 2 (auto, with net.toe.auto_bytes=AUTO_BYTES,
# default 16384, so that an RR connection moves within the run). Writes
# $TOE_CACHE/results/bench-policy.rst (a table for
# Documentation/benchmarks.rst) and prints it. LEN=seconds per run (default 10), REPS=rounds (default 3): the
# table gives the median of each figure and the throughput's range.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

LEN=${LEN:-10}
AUTO_BYTES=${AUTO_BYTES:-16384}
REPS=${REPS:-3}
OUT=$TOE_CACHE/results/bench-policy
rm -rf "$OUT" && mkdir -p "$OUT"
bash "$TOE_ROOT/scripts/vm-run.sh" --out "$OUT" --timeout $((300 + REPS * 9 * (LEN + 10))) \
	--peer "netserver -D -p 12865" \
	-- "LEN=$LEN AUTO_BYTES=$AUTO_BYTES REPS=$REPS sh /tests/bench-policy.sh" >"$OUT.log" 2>&1 ||
	{ tail -n 30 "$OUT/console.log" >&2; die "the guest's benchmark failed"; }
grep -a '^BENCH,' "$OUT/console.log" | tr -d '\r' > "$OUT/runs.csv" || true
[ -s "$OUT/runs.csv" ] || die "the guest printed no figures (see $OUT/console.log)"
grep -a '^# netperf' "$OUT/console.log" >&2 || true
# The median of each figure over the rounds, and the throughput's range.
{
	echo "netperf through the toe NIC by net.toe.mode, TCG guest, ${LEN}s per run,"
	echo "median of $REPS runs (throughput: lowest-highest too), auto_bytes=$AUTO_BYTES;"
	echo "\"moved\": connections moved to the NIC per run"
	echo
	echo "========== =========== ========== ================= ============ ========== ========== ====="
	echo "mode       test        throughput lowest-highest    units        guest CPU  service    moved"
	echo "                                                                 %          demand"
	echo "========== =========== ========== ================= ============ ========== ========== ====="
	python3 - "$OUT/runs.csv" <<'PY'
import csv, statistics, sys
runs = {}
for r in csv.reader(open(sys.argv[1])):
    runs.setdefault((int(r[2]), r[3]), []).append(r)
for (mode, test), rs in sorted(runs.items(), key=lambda kv: (kv[0][0], ["TCP_STREAM", "TCP_RR", "TCP_CRR"].index(kv[0][1]))):
    med = lambda i: statistics.median(float(r[i]) for r in rs)
    thr = [float(r[4]) for r in rs]
    print("%-10s %-11s %-10.1f %-17s %-12s %-10.1f %-10.1f %d" % (
        ["off", "explicit", "auto"][mode], test, med(4),
        "%.1f-%.1f" % (min(thr), max(thr)), rs[0][5], med(6), med(7),
        statistics.median(int(r[8]) for r in rs)))
PY
	echo "========== =========== ========== ================= ============ ========== ========== ====="
} | tee "$TOE_CACHE/results/bench-policy.rst"
