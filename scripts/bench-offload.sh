#!/bin/bash
# bench-offload.sh - `make bench-offload`: how long a move takes, and what
# a connection on the NIC does against the same connection on the kernel.
#
# In the VM (base flavour, TCG), against toe-xfer on the peer:
#  1. one transfer of BYTES each way moved to the NIC and back MOVES times
#     (one move per 64 KiB sent): each TOE_OFFLOAD call timed, median and
#     worst of each direction;
#  2. BYTES each way on the kernel's TCP, then BYTES each way moved to the
#     NIC at the start: throughput each way and the guest's CPU time per
#     KiB moved (both directions counted; /proc/stat, all CPUs);
#  3. netperf TCP_STREAM, TCP_MAERTS and TCP_RR for NP_LEN seconds (20),
#     each on the kernel's TCP and then with its data connection moved to
#     the NIC by toectl half a second in: throughput and the guest's
#     service demand (netperf -c).
# Writes $TOE_CACHE/results/bench-offload.rst and prints it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

BYTES=${BYTES:-256M}
MOVES=${MOVES:-1000}
NP_LEN=${NP_LEN:-20}
OUT=$TOE_CACHE/results/bench-offload
rm -rf "$OUT" && mkdir -p "$OUT"
TOE_XFER=$(bash "$TOE_ROOT/scripts/build-module.sh" base)/tools/toe-xfer
listen() {
	echo "$TOE_XFER --listen $1 --bytes $BYTES --seed $2 --fin-last > /dev/null"
}
bash "$TOE_ROOT/scripts/vm-run.sh" --out "$OUT" --timeout 3600 \
	--peer "$(listen 5031 2)" --peer "$(listen 5032 4)" --peer "$(listen 5033 6)" \
	--peer "netserver -D -p 12865" \
	-- "BYTES=$BYTES MOVES=$MOVES NP_LEN=$NP_LEN sh /tests/bench-offload.sh"
grep -a '^BENCH_' "$OUT/console.log" | tr -d '\r' > "$OUT/figures.txt"
fig() { awk -v k="$1" '$1 == k { $1 = ""; print substr($0, 2) }' "$OUT/figures.txt"; }
{
	echo "Moves and throughput, toe-xfer $BYTES each way, TCG guest (base)"
	echo
	echo "=================================  =========================================="
	echo "figure                             value"
	echo "=================================  =========================================="
	echo "offload, $MOVES moves                $(fig BENCH_OFFLOADS)"
	echo "upload, $MOVES moves                 $(fig BENCH_UPLOADS)"
	echo "kernel TCP: send, receive          $(fig BENCH_KERNEL)"
	echo "on the NIC: send, receive          $(fig BENCH_NIC)"
	echo "=================================  =========================================="
	echo
	echo "netperf, ${NP_LEN}s per test, the data connection on the kernel's TCP or moved to the NIC"
	echo
	echo "=========== ======== ============ ============ ============ ================"
	echo "test        where    throughput   units        guest CPU %  service demand"
	echo "=========== ======== ============ ============ ============ ================"
	grep '^BENCH_NP,' "$OUT/figures.txt" |
		awk -F, '{ printf "%-11s %-8s %-12s %-12s %-12s %s\n", $2, $3, $4, $5, $6, $7 }'
	echo "=========== ======== ============ ============ ============ ================"
} | tee "$TOE_CACHE/results/bench-offload.rst"
