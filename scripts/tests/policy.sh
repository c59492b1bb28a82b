#!/bin/bash
# policy.sh FLAVOUR [QUESTION...] [main|capacity] - the offload policy
# decides on its own (issue 6).
#
# scripts/guest/policy-suite.sh in the VM, in two rounds that need
# different NICs:
#   main      LONG transfers and SHORT short connections at once with
#             net.toe.mode=2, then idle, forbid, the lists, the RTT
#             ceiling, max_conns (LIMIT transfers), the NIC's request
#             under each nic_request, mode off and netperf TCP_RR and
#             TCP_CRR
#   capacity  a NIC of conn-capacity=8: CAP transfers in bursts, then
#             ROTATE transfers paused on it one after another
# Run alone (policy.sh base), it boots the VM for each (scripts/tests/
# vm.sh); make check runs each round in a boot with other suites, asking
# it the questions vm.sh lists (policy:main, policy:capacity). After the
# boot it checks from the peer's side that every stream the guest sent
# arrived intact (toe-xfer --expect), and that the peer's own TCP reset
# nothing while the round ran.
#
# Sizes (make check / debug / make soak, TOE_SOAK=1): LONG 8 / 4 / 20
# long transfers beside SHORT 100 / 50 / 500 short connections (enough
# that a policy moving short ones would be seen), CAP 12 / 12 / 20
# transfers on a NIC of 8 (more than fit), SIZE 4M / 1M / 4M each way
# per long transfer (long enough to outlive a refused move's 1 s retry;
# the debug flavour's slower sender takes as long for 1M).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

FLAVOUR=${1:-base}
WHAT=${2:-run}
if [ "$WHAT" = run ]; then
	rc=0
	bash "$(dirname "$0")/vm.sh" "$FLAVOUR" policy:main || rc=1
	bash "$(dirname "$0")/vm.sh" "$FLAVOUR" policy:capacity || rc=1
	exit $rc
fi
if [ "$WHAT" = checks ]; then
	OUT=$3 ROUND=${4:-}
else
	ROUND=${3:-}
fi
case $ROUND in main|capacity) ;; *) die "round '$ROUND': main or capacity";; esac
if [ "${TOE_SOAK:-0}" = 1 ]; then
	if [ "$FLAVOUR" = debug ]; then
		LONG=${LONG:-4} SHORT=${SHORT:-50} CAP=${CAP:-12} SIZE=${SIZE:-1M}
	fi
	LONG=${LONG:-20} SHORT=${SHORT:-500} CAP=${CAP:-20}
elif [ "$FLAVOUR" = debug ]; then
	LONG=${LONG:-4} SHORT=${SHORT:-50} CAP=${CAP:-12} SIZE=${SIZE:-1M}
fi
# The capacity round's NIC is full at CAP_FULL: the device's 8, or under
# the debug flavour net.toe.max_conns=4. The debug guest moves slowly
# enough that 8 of its bursting transfers are seldom on the NIC at once
# (at most 4 in one CI run, so no eviction was ever needed).
[ "$FLAVOUR" = debug ] && CAP_FULL=${CAP_FULL:-4}
CAP_FULL=${CAP_FULL:-8}
LONG=${LONG:-8}
SHORT=${SHORT:-100}
CAP=${CAP:-12}
SIZE=${SIZE:-4M}
LIMIT=${LIMIT:-4}
ROTATE=${ROTATE:-10}
ENV="LONG=$LONG SHORT=$SHORT CAP=$CAP CAP_FULL=$CAP_FULL LIMIT=$LIMIT ROTATE=$ROTATE SIZE=$SIZE"
TOE_XFER=$(resolved MODDIR "$FLAVOUR")/tools/toe-xfer || die "module build failed"

# each BASE COUNT ARGS...: COUNT toe-xfer listeners on BASE.., seeds by port.
each() {
	local base=$1 n=$2
	shift 2
	echo "for i in \$(seq 0 $((n - 1))); do p=\$(($base + i));" \
		"$TOE_XFER --listen \$p --seed \$((2000 + p)) $*" \
		"> /dev/null 2> l-\$p.log & done; wait"
}

case $WHAT/$ROUND in
peers/main)
	each 5500 "$LONG" --bytes "$SIZE" --expect "\$((1000 + p)):$SIZE"
	each 5600 10 --serve $((SHORT / 10)) --bytes 8K --expect "\$((1000 + p)):8K"
	each 5700 1 --bytes 1M --expect "\$((1000 + p)):1M" --pause-at 512K --resume-file go-idle
	each 5701 1 --bytes 1M --expect "\$((1000 + p)):1M"
	each 5720 1 --bytes 1M --expect "\$((1000 + p)):1M"
	each 5710 5 --bytes 1M --expect "\$((1000 + p)):1M" --pause-at 512K --resume-file go-off
	each 5740 1 --bytes 1M --expect "\$((1000 + p)):1M"
	each 5750 "$LIMIT" --bytes "$SIZE" --expect "\$((1000 + p)):$SIZE" --pause-at 512K \
		--resume-file go-limit
	each 5730 2 --bytes 8M --expect "\$((1000 + p)):8M" --pause-at 1M \
		--resume-file "go-nicreq-\$p"
	exit 0 ;;
peers/capacity)
	each 5800 "$CAP" --bytes 64K --fin-last --expect "\$((1000 + p)):$SIZE"
	each 5820 8 --bytes 1M --expect "\$((1000 + p)):1M" --pause-at 512K --resume-file go-rotate
	each 5828 $((ROTATE - 8)) --bytes 16M --expect "\$((1000 + p)):16M" --pause-at 8M \
		--resume-file go-rotate
	exit 0 ;;
guest/*) echo "$ENV sh /tests/policy-suite.sh $ROUND"; exit 0 ;;
devopts/main) exit 0 ;;
devopts/capacity) echo "conn-capacity=8"; exit 0 ;;
timeout/main) echo 1500; exit 0 ;;
timeout/capacity) echo 900; exit 0 ;;
checks/*) ;;
*) die "unknown question '$WHAT' (see scripts/tests/vm.sh)" ;;
esac

# peer_intact FIRST COUNT NAME: the peer received each stream whole.
peer_intact() {
	local first=$1 n=$2 name=$3 ok=0 p
	for p in $(seq "$first" $((first + n - 1))); do
		peer_expected "$OUT/l-$p.log" && ok=$((ok + 1))
	done
	[ $ok = "$n" ]
	log_test $? "[$FLAVOUR] $name: the peer receives all $n of the guest's streams intact ($ok)"
}
if [ "$ROUND" = main ]; then
	plan 11 "policy main host checks"
	peer_intact 5500 "$LONG" "mix, long"
	ok=0
	for p in $(seq 5600 5609); do
		grep -q "^toe-xfer: served $((SHORT / 10)) connections, 0 failed" \
			"$OUT/l-$p.log" 2>/dev/null && ok=$((ok + 1))
	done
	[ $ok = 10 ]
	log_test $? "[$FLAVOUR] mix, short: the peer served all $SHORT short connections intact"
	peer_intact 5700 1 "idle"
	peer_intact 5701 1 "forbid"
	peer_intact 5720 1 "lists"
	peer_intact 5710 5 "off"
	peer_intact 5740 1 "rtt"
	peer_intact 5750 "$LIMIT" "limit"
	peer_intact 5730 2 "nicreq"
else
	plan 4 "policy capacity host checks"
	peer_intact 5800 "$CAP" "capacity"
	peer_intact 5820 "$ROTATE" "rotate"
fi

B=$OUT/nstat-policy-$ROUND-begin.txt E=$OUT/nstat-policy-$ROUND-end.txt
check "[$FLAVOUR] policy $ROUND: peer's nstat: no reset, no PAWS reject, no SACK reneging" \
	nstat_zero_delta "$B" "$E" TcpEstabResets TcpExtTCPAbortOnData \
	TcpExtTCPAbortOnClose TcpExtTCPAbortOnTimeout TcpExtPAWSEstab \
	TcpExtTCPSACKReneging
echo "peer (policy $ROUND): $(for c in TcpRetransSegs TcpExtTCPTimeouts TcpExtPAWSEstab; do
	printf '%s=%s ' $c "$(nstat_delta "$B" "$E" $c)"; done)" >&2
check_kernel_log "$OUT/policy-$ROUND.console" "$FLAVOUR policy $ROUND" slice
exit $TOE_FAILED
