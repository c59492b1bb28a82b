# engine-net.sh - the two namespaces the engine's interop harness joins
# (qemu-toe-device/engine/tests/interop.c), shared by
# scripts/tests/engine-interop.sh and scripts/bench-engine.sh. Sourced
# after lib.sh, never run.
#
# A holds the application's socket, B a kernel peer (toe-xfer); each has
# a TAP device the harness holds, and the harness is the wire between.

ENGINE_SRC=$TOE_ROOT/qemu-toe-device/engine
ENGINE_PEER4=198.18.1.2
ENGINE_PEER6=2001:2:0:1::2

# engine_build [--san]: build the harness (and the host's toe-xfer) into
# $TOE_CACHE; sets HARNESS and TOE_XFER.
engine_build() {
	local build=$TOE_CACHE/engine-build
	if [ "${1:-}" = --san ]; then
		make -s -C "$ENGINE_SRC" SAN=1 O="$build" "$build-san/interop" >&2
		HARNESS=$build-san/interop
	else
		make -s -C "$ENGINE_SRC" O="$build" "$build/interop" >&2
		HARNESS=$build/interop
	fi
	TOE_XFER=$build/toe-xfer
	mkdir -p "$build"
	cc -O2 -Wall -I"$TOE_ROOT/include" -o "$TOE_XFER" "$TOE_ROOT/tools/toe-xfer.c" -lpthread
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

# engine_peer PORT BYTES SHAFILE ERRFILE [TOE-XFER ARGS...]: start
# toe-xfer listening in B (sending seed 2, its received stream's SHA-256
# to SHAFILE) and wait until it listens; its pid is in PEER_PID.
engine_peer() {
	local port=$1 bytes=$2 sha=$3 err=$4
	shift 4
	ip netns exec "$NSB" sh -c "'$TOE_XFER' --listen $port --bytes $bytes \
		--seed 2 $* | sha256sum | cut -d' ' -f1 > '$sha'" 2> "$err" &
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
