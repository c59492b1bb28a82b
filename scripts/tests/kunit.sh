#!/bin/bash
# kunit.sh FLAVOUR [QUESTION...] - load toe_kunit.ko in the test VM and
# judge its KTAP on the host (scripts/ktap.py): one TEST line per case,
# and each suite of SUITES must have run and passed, so that a suite
# dropped from the build fails by name.
#
# Run alone (kunit.sh base), it boots the VM for itself (scripts/tests/
# vm.sh); make check runs it first in a boot with other suites, asking it
# the questions vm.sh lists. toe_kunit.ko is unloaded after its run, so
# that toe.ko can be unloaded by the suites after it.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

FLAVOUR=${1:-base}
WHAT=${2:-run}
[ "$WHAT" = run ] && exec bash "$(dirname "$0")/vm.sh" "$FLAVOUR" kunit
SUITES=(toe_capture toe_conn_state toe_desc toe_failover toe_move toe_policy toe_ring
	toe_seq toe_ulp)

case $WHAT in
peers|devopts) exit 0 ;;
guest)
	echo "dmesg -c >/dev/null; echo TOE_KTAP_BEGIN; insmod /lib/modules/toe_kunit.ko;" \
		"dmesg; echo TOE_KTAP_END; rmmod toe_kunit"
	exit 0 ;;
timeout) echo 300; exit 0 ;;
checks) OUT=$3 ;;
*) die "unknown question '$WHAT' (see scripts/tests/vm.sh)" ;;
esac

plan $((2 + ${#SUITES[@]})) "kunit host checks"
sed -n '/^TOE_KTAP_BEGIN/,/^TOE_KTAP_END/p' "$OUT/kunit.console" > "$OUT/ktap.txt"
python3 "$TOE_ROOT/scripts/ktap.py" "$OUT/ktap.txt" > "$OUT/ktap.tests"
rc=$?
sed 's/^/# /' "$OUT/ktap.tests" | grep -v '^# TEST: ' >&2
grep '^TEST: ' "$OUT/ktap.tests" | sed "s/^TEST: /TEST: [$FLAVOUR] /"
grep -q '^TEST: .*\[FAIL\]' "$OUT/ktap.tests" && TOE_FAILED=1
plan "$(grep -c '^TEST: ' "$OUT/ktap.tests")" "KUnit cases"
log_test $rc "[$FLAVOUR] KUnit's KTAP is whole: every plan met, every case ok"
# The top level of the KTAP: "ok N toe_x" for each suite that ran.
for s in "${SUITES[@]}"; do
	check "[$FLAVOUR] kunit suite $s ran and passed" \
		grep -aqE "^(\[ *[0-9.]+\] )?ok [0-9]+ (- )?$s\$" "$OUT/ktap.txt"
done
check_kernel_log "$OUT/kunit.console" "$FLAVOUR kunit" slice
exit $TOE_FAILED
