#!/bin/bash
# remove.sh FLAVOUR [QUESTION...] - the device goes away from under N
# connections on the NIC (issue 19): the interface goes down, the PCI
# function is removed through sysfs, the same with the device hung, and
# the network namespace the connections and the device live in goes.
#
# scripts/guest/remove-suite.sh in the VM, with N toe-xfer listeners per
# round on the peer. Run alone (remove.sh base), it boots the VM for
# itself (scripts/tests/vm.sh); make check runs it last in the main boot,
# asking it the questions vm.sh lists. After the boot it checks from the
# peer's side that every stream of the first three rounds arrived intact,
# and that the peer's own TCP reset nothing, the namespace's connections
# included.
#
# Sizes (make check / debug / make soak, TOE_SOAK=1): N 50 / 10 / 50
# connections per round, SIZE 1M each way per transfer. BOUND, the
# seconds a removal may take, is there to catch a hang, not to time it:
# 30 s, and 120 s under the debug flavour, where one PCI remove of 10
# connections took 11 s and 30 s in two runs.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

FLAVOUR=${1:-base}
WHAT=${2:-run}
[ "$WHAT" = run ] && exec bash "$(dirname "$0")/vm.sh" "$FLAVOUR" remove
[ "$FLAVOUR" = debug ] && [ "${TOE_SOAK:-0}" != 1 ] && N=${N:-10}
[ "$FLAVOUR" = debug ] && BOUND=${BOUND:-120}
N=${N:-50}
BOUND=${BOUND:-30}
SIZE=${SIZE:-1M}
TOE_XFER=$(resolved MODDIR "$FLAVOUR")/tools/toe-xfer || die "module build failed"

# Rounds are named rm-*: the go files and logs of a boot are shared.
case $WHAT in
peers)
	paused_listeners rm-down 6000 "$N" "$SIZE"
	paused_listeners rm-pci 6100 "$N" "$SIZE"
	paused_listeners rm-hung 6200 "$N" "$SIZE"
	paused_listeners rm-netns 6300 "$N" "$SIZE"
	exit 0 ;;
guest) echo "N=$N SIZE=$SIZE BOUND=$BOUND sh /tests/remove-suite.sh"; exit 0 ;;
devopts) exit 0 ;;
timeout) echo 900; exit 0 ;;
checks) OUT=$3 ;;
*) die "unknown question '$WHAT' (see scripts/tests/vm.sh)" ;;
esac

plan 5 "remove host checks"
for round in rm-down rm-pci rm-hung; do
	round_intact "$FLAVOUR" "$OUT" $round "$N"
done
# The namespace's connections included: killed, they closed cleanly.
check_no_reset "$FLAVOUR" "$OUT" remove
check_kernel_log "$OUT/remove.console" "$FLAVOUR remove" slice
exit $TOE_FAILED
