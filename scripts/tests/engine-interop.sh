#!/bin/bash
# engine-interop.sh - the TCP engine against the host kernel's TCP, no QEMU.
#
# Two network namespaces, A (application) and B (peer), each with a TAP
# device that qemu-toe-device/engine/tests/interop holds: it is the wire
# and the NIC. toe-xfer listens in B; the harness connects from A, moves
# the live connection into the engine with TCP_REPAIR and back, and checks
# every byte; the peer's SHA-256 and its own nstat counters are the oracle.
#
#   engine-interop.sh          64M IPv4, 16M IPv6 and for the 100 moves
#                              (make soak, TOE_SOAK=1: 256M, 64M, 64M)
#   engine-interop.sh --san    the harness and engine under ASan+UBSan,
#                              16M, 8M, 8M (soak: 32M, 16M, 16M)
# INTEROP_BYTES overrides the transfer size of the long cases. 16M is
# hundreds of windows: every case still sees the faults, moves and
# retransmissions it is there for.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

. "$TOE_ROOT/scripts/engine-net.sh"

if [ "${1:-}" = --san ]; then
	if [ "${TOE_SOAK:-0}" = 1 ]; then
		BIG=${INTEROP_BYTES:-32M} SMALL=16M CYCLES_BYTES=16M
	else
		BIG=${INTEROP_BYTES:-16M} SMALL=8M CYCLES_BYTES=8M
	fi
	TAG="[san] " SUFFIX=-san
	engine_build --san || die "the harness does not build"
else
	if [ "${TOE_SOAK:-0}" = 1 ]; then
		BIG=${INTEROP_BYTES:-256M} SMALL=64M CYCLES_BYTES=64M
	else
		BIG=${INTEROP_BYTES:-64M} SMALL=16M CYCLES_BYTES=16M
	fi
	TAG="" SUFFIX=
	engine_build || die "the harness does not build"
fi
OUT=${TOE_RESULTS:-$TOE_CACHE/results}/engine-interop$SUFFIX
rm -rf "$OUT" && mkdir -p "$OUT"

trap engine_net_down EXIT
engine_net_up || die "cannot make the namespaces"
plan 12 "two per case"

# Loss in the peer's namespace itself, on top of the harness's own faults:
# nftables drops 0.5% of what arrives for the test port.
nft_loss() {
	ip netns exec "$NSB" nft -f - <<-EOF
	table inet toe_faults {
		chain input {
			type filter hook input priority 0;
			tcp dport $1 numgen random mod 1000 < 5 drop
		}
	}
	EOF
}
nft_clear() { ip netns exec "$NSB" nft delete table inet toe_faults 2>/dev/null || true; }

nstat_abs() { ip netns exec "$NSB" nstat -asz; }
nstat_delta() {	# BEFORE AFTER NAME
	local a b
	a=$(awk -v n="$3" '$1 == n { print $2 }' "$1")
	b=$(awk -v n="$3" '$1 == n { print $2 }' "$2")
	echo $(( ${b:-0} - ${a:-0} ))
}

PORT=6000
# run_case NAME PEER BYTES HARNESS-ARGS...
run_case() {
	local name=$1 peer=$2 bytes=$3 dir rc=0 want_peer want_local c bad=0
	shift 3
	PORT=$((PORT + 1))
	dir=$OUT/$name
	mkdir -p "$dir"
	[[ " $* " = *" --loss "* ]] && nft_loss $PORT
	# Moves stop at the first FIN: the peer's comes after the harness's.
	local xfer_args=
	[[ " $* " = *" --cycles "* ]] && xfer_args=--fin-last
	nstat_abs > "$dir/nstat.before"
	engine_peer $PORT "$bytes" "$dir/peer.err" $xfer_args
	engine_harness "$peer" $PORT "$bytes" "$@" \
		> "$dir/harness.out" 2> "$dir/harness.err" || rc=$?
	[ $rc -eq 0 ] || kill "$PEER_PID" 2>/dev/null || true
	wait "$PEER_PID" || rc=1
	nstat_abs > "$dir/nstat.after"
	nft_clear
	sed 's/^/    /' "$dir/harness.out" >&2
	[ $rc -eq 0 ] || tail -n 20 "$dir/harness.err" "$dir/peer.err" >&2

	want_local=$(gen_sha 2 "$bytes")
	[ $rc -eq 0 ] && peer_expected "$dir/peer.err" &&
		grep -q "^interop: rx_sha256 $want_local\$" "$dir/harness.out"
	log_test $? "${TAG}engine interop $name: $bytes each way, both streams intact"
	# Not TcpOutRsts: after both FINs a peer that has closed answers a
	# late copy of the last ACK (after its own FIN was sent again, say)
	# with a RST, which says nothing about the engine. A RST while the
	# connection is open fails the harness itself.
	for c in TcpExtPAWSEstab TcpExtTCPSACKReneging TcpEstabResets \
		 TcpExtTCPAbortOnData TcpExtTCPAbortOnClose; do
		local d
		d=$(nstat_delta "$dir/nstat.before" "$dir/nstat.after" $c)
		[ "$d" = 0 ] || { echo "peer $c +$d" >&2; bad=1; }
	done
	log_test $bad "${TAG}engine interop $name: peer saw no reset, PAWS reject or reneging"
	for c in TcpRetransSegs TcpOutRsts; do
		echo "peer $c +$(nstat_delta "$dir/nstat.before" \
			"$dir/nstat.after" $c)" >&2
	done
}

FAULTS=(--loss 1 --dup 1 --reorder 2 --fault-seed 7)
run_case v4-offload "$ENGINE_PEER4" "$BIG" --offload-only
run_case v6-offload "$ENGINE_PEER6" "$SMALL" --offload-only
run_case v4-offload-faults "$ENGINE_PEER4" "$BIG" --offload-only "${FAULTS[@]}"
run_case v6-offload-faults "$ENGINE_PEER6" "$SMALL" --offload-only "${FAULTS[@]}"
run_case v4-100-moves "$ENGINE_PEER4" "$CYCLES_BYTES" --cycles 100
run_case v6-100-moves-faults "$ENGINE_PEER6" "$CYCLES_BYTES" --cycles 100 "${FAULTS[@]}"
exit $TOE_FAILED
