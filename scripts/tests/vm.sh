#!/bin/bash
# vm.sh FLAVOUR SUITE[:ARG]... - run guest test suites in one boot of the VM.
#
#   vm.sh base kunit l2 offload failover policy:main
#   vm.sh debug exceptions policy:capacity
#
# Each SUITE is a host test script, scripts/tests/SUITE.sh, that answers
# these questions for the flavour (and ARG, if any):
#   SUITE.sh FLAVOUR peers [ARG]    its peer commands, one per line
#   SUITE.sh FLAVOUR guest [ARG]    the guest command that runs it
#   SUITE.sh FLAVOUR devopts [ARG]  toe-pci properties it needs, or nothing
#   SUITE.sh FLAVOUR timeout [ARG]  the seconds it may take in the guest
#   SUITE.sh FLAVOUR checks OUT [ARG]
#                                   its host-side checks, after the boot,
#                                   on what the peers and the guest left
#                                   in OUT (its console slice is
#                                   OUT/SUITE.console)
# netserver and console-requests.sh run once for all. In the guest, the
# suites run one after another, each between TOE_SUITE_BEGIN and
# TOE_SUITE_END markers on the console, with the peer's nstat counters
# taken before and after each (OUT/nstat-SUITE-begin.txt, -end.txt).
# A suite that outlives its timeout is stopped (status 143) and the next
# one runs; the boot's own timeout, the sum of them all, is the backstop
# for a guest that hangs whole.
#
# Prints, besides each suite's own lines, per boot:
#   "[FLAVOUR] boot NAME: the guest ran every suite to its end"
#   "[FLAVOUR boot NAME, outside the suites] kernel log has no ... report"
#   "[FLAVOUR] boot NAME: every QMP request to the device succeeded"
#   (debug) "[debug] boot NAME: kmemleak scanned after every suite and
#   reports no leak"
# and per suite: its guest checks (tagged with the flavour), "the guest
# printed all N checks it planned", each planned one that never printed,
# and "the suite ran to its end" (its exit status).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

FLAVOUR=${1:-}
shift || true
case "$FLAVOUR" in base|debug) ;; *) die "usage: vm.sh base|debug SUITE[:ARG]...";; esac
[ $# -gt 0 ] || die "no suite given"
SUITES=("$@")
BOOT=$(IFS=-; echo "${SUITES[*]//:/-}")
OUT=${TOE_RESULTS:-$TOE_CACHE/results}/vm-$FLAVOUR-$BOOT
rm -rf "$OUT" "$OUT.log" && mkdir -p "$(dirname "$OUT")"

# q SUITE QUESTION [MORE]: ask a suite's script.
q() {
	local s=$1 what=$2
	shift 2
	bash "$TOE_ROOT/scripts/tests/${s%%:*}.sh" "$FLAVOUR" "$what" "$@" \
		$([[ $s == *:* ]] && echo "${s#*:}")
}

SCRIPTS=$(mktemp -d)
trap 'rm -rf "$SCRIPTS"' EXIT
peers=() devopts= timeout=120 cmd=
for s in "${SUITES[@]}"; do
	[ -f "$TOE_ROOT/scripts/tests/${s%%:*}.sh" ] || die "no suite ${s%%:*}"
	# Captured first: a failing question read through <(...) would go
	# unseen.
	o=$(q "$s" peers) || die "$s: no peers"
	more=()
	[ -z "$o" ] || mapfile -t more <<< "$o"
	peers+=("${more[@]}")
	o=$(q "$s" devopts) || die "$s: no device options"
	# The union of what the suites need; one property with two values
	# cannot share a boot.
	for kv in ${o//,/ }; do
		case ",$devopts," in
		*",$kv,"*) ;;
		*",${kv%%=*}="*) die "$s needs $kv, another suite of this boot: $devopts" ;;
		*) devopts=${devopts:+$devopts,}$kv ;;
		esac
	done
	t=$(q "$s" timeout) || die "$s: no timeout"
	timeout=$((timeout + t))
	# The suite's command in a file of its own (at /host in the guest),
	# run in a shell of its own within its timeout; its status after
	# the END marker.
	q "$s" guest > "$SCRIPTS/${s//:/-}.sh" || die "$s: no guest command"
	cmd+="echo 'TOE_SUITE_BEGIN $s'; echo 'TOE_NSTAT ${s//:/-}-begin'; sleep 0.5; "
	cmd+="t0=\$(cut -d. -f1 /proc/uptime); timeout $t sh /host/${s//:/-}.sh; rc=\$?; "
	cmd+="echo \"TOE_SUITE_SECONDS $s \$((\$(cut -d. -f1 /proc/uptime) - t0))\"; "
	cmd+="echo \"TOE_SUITE_END $s \$rc\"; "
	cmd+="echo 'TOE_NSTAT ${s//:/-}-end'; sleep 0.5; "
done
# kmemleak (debug flavour) once, after every suite: a scan costs about 20 s
# of the debug guest's time, and the report's backtraces name the code.
cmd+="echo TOE_KMEMLEAK_BEGIN; toe_kmemleak_scan; echo TOE_KMEMLEAK_END"

args=(--flavour "$FLAVOUR" --out "$OUT" --timeout "$timeout" --add "$SCRIPTS"
	--peer "netserver -D -p 12865"
	--peer "bash $TOE_ROOT/scripts/tests/console-requests.sh"
	--after "nstat -asz > nstat.txt")
[ -z "$devopts" ] || args+=(--device-opts "$devopts")
for p in "${peers[@]}"; do
	args+=(--peer "$p")
done

plan $((3 + $(kmemleak_checks "$FLAVOUR"))) "boot $BOOT"
rc=0
bash "$TOE_ROOT/scripts/vm-run.sh" "${args[@]}" -- "$cmd" >"$OUT.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || { tail -n 20 "$OUT.log"; tail -n 40 "$OUT/console.log"; } >&2
case $rc in
0) why= ;;
124) why="timed out after ${timeout}s (see $OUT.log)" ;;
125) why="the VM ended without an exit status (see $OUT/console.log)" ;;
*) why="exit status $rc" ;;
esac
[ -z "$why" ]
log_test $? "[$FLAVOUR] boot $BOOT: the guest ran every suite to its end${why:+ ($why)}"

# The console without \r, and each suite's slice of it.
tr -d '\r' < "$OUT/console.log" > "$OUT/console.txt" 2>/dev/null
for s in "${SUITES[@]}"; do
	awk -v b="TOE_SUITE_BEGIN $s" -v e="TOE_SUITE_END $s " '
		$0 == b { on = 1 } on { print } on && index($0, e) == 1 { on = 0 }' \
		"$OUT/console.txt" > "$OUT/${s//:/-}.console"
done
# What is in no suite's slice: boot, module load, power-off.
awk '/^TOE_SUITE_BEGIN / { on = 1 } !on { print } /^TOE_SUITE_END / { on = 0 }' \
	"$OUT/console.txt" > "$OUT/outside.console"
check_kernel_log "$OUT/outside.console" "$FLAVOUR boot $BOOT, outside the suites"
check_qmp "$OUT" "$FLAVOUR boot $BOOT"
check_kmemleak "$OUT/console.txt" "$FLAVOUR" "boot $BOOT, after every suite"

for s in "${SUITES[@]}"; do
	slice=$OUT/${s//:/-}.console
	name=${s%%:*}-suite${s#"${s%%:*}"}
	[ "${s%%:*}" = kunit ] && name=kunit
	if [ "${s%%:*}" != kunit ]; then
		guest_tests "$slice" "$FLAVOUR" "${name//:/ }"
	fi
	st=$(sed -n "s/^TOE_SUITE_END $s \\([0-9]*\\)$/\\1/p" "$slice")
	plan 1 "$s status"
	[ "$st" = 0 ] || { [ "$st" = 1 ] && grep -q '^TEST: .*\[FAIL\]' "$slice"; }
	log_test $? "[$FLAVOUR] ${name//:/ }: the suite ran to its end (status ${st:-none})"
	q "$s" checks "$OUT" > "$OUT/${s//:/-}.checks" 2> "$OUT/${s//:/-}.checks.err"
	cat "$OUT/${s//:/-}.checks"
	sed "s/^/# $s: /" "$OUT/${s//:/-}.checks.err" >&2
	grep -q '^TEST: .*\[FAIL\]' "$OUT/${s//:/-}.checks" && TOE_FAILED=1
	# The guest's seconds for the suite, for check.sh's timings.
	sed -n "s/^TOE_SUITE_SECONDS $s \([0-9]*\)$/\1/p" "$slice" |
		sed "s/^/TIMING: /; s/\$/ $FLAVOUR $s (in the guest)/"
done
exit $TOE_FAILED
