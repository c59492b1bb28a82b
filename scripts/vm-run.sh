#!/bin/bash
# vm-run.sh - boot the toe test VM, run one command in it, return its status.
#
# usage: vm-run.sh [options] -- GUEST_COMMAND...
#   --flavour base|debug  guest kernel and module flavour (default base)
#   --kvm                 use KVM (default: TCG; KVM hangs on some hosts)
#   --add DIR             make host DIR visible in the guest as /host
#   --peer CMD            run CMD in the peer namespace before the guest
#                         boots (repeatable; output in OUT/peer-N.log, cwd OUT)
#   --after CMD           run CMD in the peer namespace after the guest has
#                         stopped, before the namespace goes (repeatable;
#                         output in OUT/after-N.log, cwd OUT): nstat, ss
#   --out DIR             where console.log and peer logs go (default: new
#                         temporary directory, printed at the end)
#   --timeout SECS        give up on the guest after SECS (default 900)
#   --device-opts OPTS    extra toe-pci properties, e.g. conn-capacity=8
#   --live                copy the guest console to stdout as it runs
#   --trace PATTERN       QEMU trace events to OUT/qemu-trace.log, e.g.
#                         'toe_evt*' (repeatable; see qemu-toe-device/trace-events)
#
# The NIC sits on a tap device in a network namespace made for this run:
# the peer is 198.18.0.1/24 and 2001:2::1/64 there, the guest 198.18.0.2 and
# 2001:2::2, with Linux's default TCP buffer limits whatever the host's.
# QEMU runs inside that namespace, so nothing touches the host's own
# network. The namespace, tap and peer processes are removed on exit,
# whatever happened. The guest command's exit status is returned; 124 means
# the guest timed out, 125 that the VM never reported one.
#
# TOE_NETNS and TOE_OUT are exported to --peer commands; QMP listens on
# OUT/qmp.sock for host-side tests that poke the device.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

FLAVOUR=base
ACCEL=tcg
ADD=
OUT=
TIMEOUT=900
DEVOPTS=
LIVE=0
PEERS=()
AFTERS=()
TRACE=()
while [ $# -gt 0 ]; do
	case "$1" in
	--flavour) FLAVOUR=$2; shift 2;;
	--kvm) ACCEL=kvm; shift;;
	--add) ADD=$2; shift 2;;
	--peer) PEERS+=("$2"); shift 2;;
	--after) AFTERS+=("$2"); shift 2;;
	--out) OUT=$2; shift 2;;
	--timeout) TIMEOUT=$2; shift 2;;
	--device-opts) DEVOPTS=,$2; shift 2;;
	--live) LIVE=1; shift;;
	--trace) TRACE+=(-trace "$2"); shift 2;;
	--) shift; break;;
	*) die "unknown option '$1' (see the header of $0)";;
	esac
done
[ $# -gt 0 ] || die "no guest command given"
[ -z "$ADD" ] || [ -d "$ADD" ] || die "--add $ADD: not a directory"

# Built once per run by check.sh (TOE_QEMU, TOE_KDIR_*, TOE_INITRD_*), or
# here when run on its own.
KDIR=$(resolved KDIR "$FLAVOUR")
QEMU=${TOE_QEMU:-$(bash "$TOE_ROOT/scripts/build-qemu.sh")}
INITRD=$(resolved INITRD "$FLAVOUR")
[ -n "$OUT" ] || OUT=$(mktemp -d /tmp/toe-vm.XXXXXX)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

NS=toe-$$-$RANDOM
TAP=toetap0
WORK=$(mktemp -d)
PEER_PIDS=()
TAIL_PID=
cleanup() {
	local pid
	[ -z "$TAIL_PID" ] || kill "$TAIL_PID" 2>/dev/null || true
	for pid in "${PEER_PIDS[@]}"; do
		kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
	done
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT

log "namespace $NS: peer 198.18.0.1 on $TAP"
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" tuntap add dev "$TAP" mode tap
ip -n "$NS" addr add 198.18.0.1/24 dev "$TAP"
ip -n "$NS" -6 addr add 2001:2::1/64 dev "$TAP" nodad
ip -n "$NS" link set "$TAP" up
# A new namespace copies the host's TCP buffer limits, which differ from
# machine to machine (32 MiB of tcp_rmem here): the peer gets Linux's
# defaults, so that what it can hold unread is the same on every host
# (offload's zero-window test counts on it holding less than it is sent).
ip netns exec "$NS" sysctl -qw net.ipv4.tcp_rmem="4096 131072 6291456" \
	net.ipv4.tcp_wmem="4096 16384 4194304"
export TOE_NETNS=$NS TOE_OUT=$OUT

# The per-run part of the root: the command and the --add directory.
mkdir -p "$WORK/root/run" "$WORK/root/host"
printf '%s\n' "$*" > "$WORK/root/run/cmd"
[ -z "$ADD" ] || cp -a "$ADD/." "$WORK/root/host/"
(cd "$WORK/root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$WORK/run.cpio"
cat "$INITRD" "$WORK/run.cpio" > "$WORK/initrd"

i=0
for cmd in "${PEERS[@]}"; do
	i=$((i + 1))
	(cd "$OUT" && exec setsid ip netns exec "$NS" bash -c "$cmd") \
		>"$OUT/peer-$i.log" 2>&1 &
	PEER_PIDS+=($!)
done

# Both flavours: 1 GiB. Under debug, KASAN's shadow takes an eighth, and
# each kmemleak scan costs about 20 s here against 30 s with 2 GiB.
MEM=1024
: > "$OUT/console.log"
if [ "$LIVE" = 1 ]; then
	tail -n +1 -f "$OUT/console.log" &
	TAIL_PID=$!
fi
log "booting $FLAVOUR guest ($ACCEL), console in $OUT/console.log"
# la57=off: with 5-level paging the debug guest once reported a KASAN
# wild-memory-access at boot, in an interrupt taken inside __asan_load4
# (whose kernel-address bound depends on the paging mode); the address
# was a valid 5-level direct-map one. The tests need 4-level paging only.
boot() {
	exec timeout --kill-after=10 "$TIMEOUT" ip netns exec "$NS" "$QEMU" \
		-M q35,accel="$ACCEL" -cpu max,la57=off -smp 2 -m "$MEM" \
		-nodefaults -no-user-config -display none -no-reboot \
		-L /usr/share/qemu -L /usr/share/seabios \
		-kernel "$KDIR/arch/x86/boot/bzImage" -initrd "$WORK/initrd" \
		-append "console=ttyS0 panic=-1 oops=panic loglevel=7 $([ "$FLAVOUR" = debug ] && echo kmemleak=on)" \
		-chardev file,id=con,path="$OUT/console.log" -serial chardev:con \
		-qmp unix:"$OUT/qmp.sock",server=on,wait=off \
		-netdev tap,id=n0,ifname="$TAP",script=no,downscript=no \
		-device toe-pci,id=toe0,netdev=n0,mac=52:54:00:70:6f:65"$DEVOPTS" \
		${TRACE[@]+"${TRACE[@]}" -D "$OUT/qemu-trace.log"} \
		> "$OUT/qemu.log" 2>&1
}
# Under TCG the guest kernel now and then stops early in boot, before any
# of our code runs (seen in SMP bring-up after the RCU-tasks self-tests,
# debug flavour). A guest that has not started /init within BOOT_WAIT
# seconds is killed and booted again, at most BOOT_TRIES times in all;
# each retry is logged with the console's last line.
BOOT_WAIT=${BOOT_WAIT:-180}
BOOT_TRIES=3
set +e
for try in $(seq "$BOOT_TRIES"); do
	: > "$OUT/console.log"
	boot &
	qpid=$!
	booted=0
	for _ in $(seq $((BOOT_WAIT * 10))); do
		grep -q 'Run /init as init process' "$OUT/console.log" && { booted=1; break; }
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.1
	done
	[ $booted = 1 ] || ! kill -0 "$qpid" 2>/dev/null || [ "$try" = "$BOOT_TRIES" ] && break
	log "guest did not start /init in ${BOOT_WAIT}s (console's last line:" \
		"$(tail -n1 "$OUT/console.log" | tr -d '\r')); booting again"
	kill "$qpid"
	wait "$qpid"
done
wait "$qpid"
qrc=$?
set -e
[ -z "$TAIL_PID" ] || { sleep 0.5; kill "$TAIL_PID" 2>/dev/null || true; TAIL_PID=; }
# Let peer commands finish on their own for a moment, then stop them.
for pid in "${PEER_PIDS[@]}"; do
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
done
i=0
for cmd in "${AFTERS[@]}"; do
	i=$((i + 1))
	(cd "$OUT" && ip netns exec "$NS" bash -c "$cmd") >"$OUT/after-$i.log" 2>&1 ||
		log "--after command $i failed (see $OUT/after-$i.log)"
done
if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
	log "guest timed out after ${TIMEOUT}s (console: $OUT/console.log)"
	exit 124
fi
rc=$(sed -n 's/.*TOE_EXIT=\([0-9]*\).*/\1/p' "$OUT/console.log" | tail -n1)
if [ -z "$rc" ]; then
	log "guest ended without an exit status (qemu rc $qrc; see $OUT/console.log, $OUT/qemu.log)"
	tail -n 30 "$OUT/console.log" >&2
	exit 125
fi
log "guest command exited $rc (logs in $OUT)"
exit "$rc"
