#!/bin/bash
# policy.sh [FLAVOUR] - the offload policy decides on its own (issue 6).
#
# Two boots of the VM, each running scripts/guest/policy-suite.sh:
#   main      LONG transfers and SHORT short connections at once with
#             net.toe.mode=2, then idle, forbid, the lists, the RTT
#             ceiling, max_conns (LIMIT transfers), the NIC's request
#             under each nic_request, mode off and netperf TCP_RR and
#             TCP_CRR
#   capacity  a NIC of conn-capacity=8: CAP transfers in bursts, then
#             ROTATE transfers paused on it one after another
# Then from the peer's side: every stream the guest sent arrived intact
# (toe-xfer --expect), and the peer's own TCP reset nothing.
# Base: LONG=20 SHORT=500 CAP=20, SIZE 4M each way per long transfer (long
# enough to outlive a refused move's 1 s retry). The
# debug flavour (KASAN, lockdep, kmemleak; many times slower under TCG)
# runs LONG=4 SHORT=50 CAP=12 with 1M.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

FLAVOUR=${1:-base}
OUT=${TOE_RESULTS:-$TOE_CACHE/results}/policy-$FLAVOUR
if [ "$FLAVOUR" = debug ]; then
	LONG=${LONG:-4}
	SHORT=${SHORT:-50}
	CAP=${CAP:-12}
	SIZE=${SIZE:-1M}
fi
LONG=${LONG:-20}
SHORT=${SHORT:-500}
CAP=${CAP:-20}
SIZE=${SIZE:-4M}
rm -rf "$OUT" && mkdir -p "$OUT"
TOE_XFER=$(bash "$TOE_ROOT/scripts/build-module.sh" "$FLAVOUR")/tools/toe-xfer
LIMIT=${LIMIT:-4}
ROTATE=${ROTATE:-10}
ENV="LONG=$LONG SHORT=$SHORT CAP=$CAP LIMIT=$LIMIT ROTATE=$ROTATE SIZE=$SIZE"

# each BASE COUNT ARGS...: COUNT toe-xfer listeners on BASE.., seeds by port.
each() {
	local base=$1 n=$2
	shift 2
	echo "for i in \$(seq 0 $((n - 1))); do p=\$(($base + i));" \
		"$TOE_XFER --listen \$p --seed \$((2000 + p)) $*" \
		"> /dev/null 2> l-\$p.log & done; wait"
}

rc=0
bash "$TOE_ROOT/scripts/vm-run.sh" --flavour "$FLAVOUR" --out "$OUT/main" --timeout 1800 \
	--peer "$(each 5500 "$LONG" --bytes "$SIZE" --expect "\$((1000 + p)):$SIZE")" \
	--peer "$(each 5600 10 --serve $((SHORT / 10)) --bytes 8K --expect "\$((1000 + p)):8K")" \
	--peer "$(each 5700 1 --bytes 1M --expect "\$((1000 + p)):1M" --pause-at 512K --resume-file go-idle)" \
	--peer "$(each 5701 1 --bytes 1M --expect "\$((1000 + p)):1M")" \
	--peer "$(each 5720 1 --bytes 1M --expect "\$((1000 + p)):1M")" \
	--peer "$(each 5710 5 --bytes 1M --expect "\$((1000 + p)):1M" --pause-at 512K --resume-file go-off)" \
	--peer "$(each 5740 1 --bytes 1M --expect "\$((1000 + p)):1M")" \
	--peer "$(each 5750 "$LIMIT" --bytes "$SIZE" --expect "\$((1000 + p)):$SIZE" --pause-at 512K --resume-file go-limit)" \
	--peer "$(each 5730 2 --bytes 2M --expect "\$((1000 + p)):2M" --pause-at 1M --resume-file "go-nicreq-\$p")" \
	--peer "netserver -D -p 12865" \
	--peer "bash $TOE_ROOT/scripts/tests/console-requests.sh" \
	--after "nstat -asz > nstat.txt" \
	-- "$ENV sh /tests/policy-suite.sh main" \
	>"$OUT/main.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || { tail -n 20 "$OUT/main.log"; tail -n 40 "$OUT/main/console.log"; } >&2
guest_tests "$OUT/main/console.log" "$FLAVOUR"

rc=0
bash "$TOE_ROOT/scripts/vm-run.sh" --flavour "$FLAVOUR" --out "$OUT/capacity" --timeout 1200 \
	--device-opts conn-capacity=8 \
	--peer "bash $TOE_ROOT/scripts/tests/console-requests.sh" \
	--peer "$(each 5800 "$CAP" --bytes 64K --fin-last --expect "\$((1000 + p)):$SIZE")" \
	--peer "$(each 5820 8 --bytes 1M --expect "\$((1000 + p)):1M" --pause-at 512K --resume-file go-rotate)" \
	--peer "$(each 5828 $((ROTATE - 8)) --bytes 16M --expect "\$((1000 + p)):16M" --pause-at 8M --resume-file go-rotate)" \
	--after "nstat -asz > nstat.txt" \
	-- "$ENV sh /tests/policy-suite.sh capacity" \
	>"$OUT/capacity.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || { tail -n 20 "$OUT/capacity.log"; tail -n 40 "$OUT/capacity/console.log"; } >&2
guest_tests "$OUT/capacity/console.log" "$FLAVOUR"

# peer_intact DIR FIRST COUNT NAME: the peer received each stream whole.
peer_intact() {
	local dir=$1 first=$2 n=$3 name=$4 ok=0 p
	for p in $(seq "$first" $((first + n - 1))); do
		grep -q "^toe-xfer: received seed .* every one as expected" \
			"$dir/l-$p.log" 2>/dev/null && ok=$((ok + 1))
	done
	[ $ok = "$n" ]
	log_test $? "[$FLAVOUR] $name: the peer receives all $n of the guest's streams intact ($ok)"
}
peer_intact "$OUT/main" 5500 "$LONG" "mix, long"
ok=0
for p in $(seq 5600 5609); do
	grep -q "^toe-xfer: served $((SHORT / 10)) connections, 0 failed" \
		"$OUT/main/l-$p.log" 2>/dev/null && ok=$((ok + 1))
done
[ $ok = 10 ]
log_test $? "[$FLAVOUR] mix, short: the peer served all $SHORT short connections intact"
peer_intact "$OUT/main" 5700 1 "idle"
peer_intact "$OUT/main" 5701 1 "forbid"
peer_intact "$OUT/main" 5720 1 "lists"
peer_intact "$OUT/main" 5710 5 "off"
peer_intact "$OUT/main" 5740 1 "rtt"
peer_intact "$OUT/main" 5750 "$LIMIT" "limit"
peer_intact "$OUT/main" 5730 2 "nicreq"
peer_intact "$OUT/capacity" 5800 "$CAP" "capacity"
peer_intact "$OUT/capacity" 5820 "$ROTATE" "rotate"

for run in main capacity; do
	rc=1
	if [ -s "$OUT/$run/nstat.txt" ]; then
		rc=0
		for c in TcpEstabResets TcpExtTCPAbortOnData TcpExtTCPAbortOnClose \
			TcpExtTCPAbortOnTimeout TcpExtPAWSEstab TcpExtTCPSACKReneging; do
			[ "$(nstat_get "$OUT/$run/nstat.txt" $c)" = 0 ] ||
				{ echo "peer $c = $(nstat_get "$OUT/$run/nstat.txt" $c)" >&2; rc=1; }
		done
	fi
	log_test $rc "[$FLAVOUR] $run: peer's nstat: no reset, no PAWS reject, no SACK reneging"
	# After each round, so that what the wire saw is known by round.
	for f in "$OUT/$run"/nstat-*.txt "$OUT/$run/nstat.txt"; do
		[ -s "$f" ] || continue
		echo "peer ($run, after ${f##*/}): $(for c in TcpRetransSegs \
			TcpExtTCPTimeouts TcpExtPAWSEstab; do
			printf '%s=%s ' $c "$(nstat_get "$f" $c)"; done)" >&2
	done
	check_kernel_log "$OUT/$run/console.log" "$FLAVOUR policy $run"
	check_kmemleak "$OUT/$run/console.log" "$FLAVOUR"
done
exit $TOE_FAILED
