# engine-net.sh - the two namespaces the engine's interop harness joins
# (qemu-toe-device/engine/tests/interop.c), shared by
# scripts/tests/engine-interop.sh and scripts/bench-engine.sh. Sourced
# after lib.sh, never run.
#
# A holds the application's socket, B a kernel peer (toe-xfer); each has
# a TAP device the harness holds, and the harness is the wire between.

ENGINE_PEER4=198.18.1.2
ENGINE_PEER6=2001:2:0:1::2

# engine_build [--san]: build the harness (and the host's toe-xfer) into
# the cache ($ENGINE_O, scripts/lib.sh); sets HARNESS and TOE_XFER.
engine_build() {
	if [ "${1:-}" = --san ]; then
		engine_make interop-san -s SAN=1 "$ENGINE_O-san/interop" >&2 || return 1
		HARNESS=$ENGINE_O-san/interop
	else
		engine_make interop -s "$ENGINE_O/interop" >&2 || return 1
		HARNESS=$ENGINE_O/interop
	fi
	TOE_XFER=$TOE_CACHE/host-tools-$(input_hash "$TOE_ROOT/tools/toe-xfer.c" \
		"$TOE_ROOT/include/uapi/toe.h")/toe-xfer
	if [ ! -x "$TOE_XFER" ]; then
		mkdir -p "${TOE_XFER%/*}"
		cc -O2 -Wall -I"$TOE_ROOT/include" -o "$TOE_XFER.tmp" \
			"$TOE_ROOT/tools/toe-xfer.c" -lpthread || return 1
		mv "$TOE_XFER.tmp" "$TOE_XFER"
	fi
}

# engine_net_up: namespaces NSA and NSB with taps ta and tb, IPv4 and
# IPv6; engine_net_down (an EXIT trap) removes them.
engine_net_up() {
	NSA=toe-ia-$$ NSB=toe-ib-$$
	ip netns add "$NSA"
	ip netns add "$NSB"
	ip -n "$NSA" tuntap add dev ta mode tap
	ip -n "$NSB" tuntap add dev tb mode tap
	ip -n "$NSA" addr add 198.18.1.1/24 dev ta
	ip -n "$NSB" addr add $ENGINE_PEER4/24 dev tb
	ip -n "$NSA" addr add 2001:2:0:1::1/64 dev ta nodad
	ip -n "$NSB" addr add $ENGINE_PEER6/64 dev tb nodad
	ip -n "$NSA" link set lo up
	ip -n "$NSB" link set lo up
	ip -n "$NSA" link set ta up
	ip -n "$NSB" link set tb up
}

engine_net_down() {
	ip netns pids "$NSB" 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del "$NSA" 2>/dev/null || true
	ip netns del "$NSB" 2>/dev/null || true
}

# engine_peer PORT BYTES ERRFILE [TOE-XFER ARGS...]: start toe-xfer
# listening in B (sending seed 2, checking what it receives against seed
# 1 as it comes: "every one as expected" in ERRFILE) and wait until it
# listens; its pid is in PEER_PID.
engine_peer() {
	local port=$1 bytes=$2 err=$3
	shift 3
	ip netns exec "$NSB" "$TOE_XFER" --listen "$port" --bytes "$bytes" \
		--seed 2 --expect "1:$bytes" "$@" > /dev/null 2> "$err" &
	PEER_PID=$!
	for _ in $(seq 100); do
		ip netns exec "$NSB" ss -Hltn "sport = :$port" | grep -q . && return
		sleep 0.05
	done
}

# engine_harness PEER PORT BYTES [ARGS...]: run the harness against it.
engine_harness() {
	local peer=$1 port=$2 bytes=$3
	shift 3
	"$HARNESS" --ns-a "$NSA" --tap-a ta --ns-b "$NSB" --tap-b tb \
		--connect "$peer" --port "$port" --bytes "$bytes" "$@"
}
