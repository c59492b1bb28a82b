#!/bin/sh
# exceptions-suite.sh - the NIC asks for a connection back because of
# something that really happened on the wire, not because a test set its
# request-upload property (issue 5).
#
# Run by scripts/tests/exceptions.sh, which boots the NIC with the smallest
# memory budget for held received data (mem-budget=64K), starts toe-xfer
# listeners on the peer and sets the device's wire faults over QMP when
# this prints TOE_FAULTS (scripts/tests/console-requests.sh).
#   urgent    the peer sends a byte of urgent data (MSG_OOB) while the
#             connection is on the NIC: the engine leaves it to the host
#             and asks with reason urgent
#   reasm_mem 1% of the frames lost each way: what the engine holds out of
#             order overflows its 64 KiB, and it asks with reason
#             reasm_mem
# Each connection must come home on the NIC's word, counted under its
# reason, and both streams must arrive whole. Prints TEST lines; exits 1
# if any check failed.
. /tests/lib.sh

SIZE=${SIZE:-8M}
toe_plan 8

toe_load || exit 1
toe_wait_peer || exit 1
DEV=$(toe_dev)

# info_field NAME: a field of the last "toe-xfer: toe ..." line.
info_field() {
	grep -a 'toe-xfer: toe ' /tmp/xfer.err | tail -n1 |
		sed -n "s/.* $1 \([0-9]*\).*/\1/p"
}

# asked REASON: how often the NIC asked for a connection back for REASON.
asked() {
	ethtool_stat "$DEV" "upload_req_$1"
}

# round NAME PORT REASON TOE-XFER-OPTIONS...: one transfer to PORT that
# moves to the NIC as the options say and must come home on the NIC's
# word for REASON.
round() {
	local name=$1 port=$2 reason=$3 before rc=0
	shift 3
	before=$(asked "$reason")
	toe-xfer --connect $TOE_PEER_V4:$port --bytes "$SIZE" \
		--seed $((1000 + port)) --expect $((2000 + port)):"$SIZE" \
		"$@" > /dev/null 2> /tmp/xfer.err || rc=1
	sed 's/^/# /' /tmp/xfer.err
	log_test $rc "$name: toe-xfer ends cleanly, the offload succeeded"
	grep -q "^toe-xfer: received seed $((2000 + port))'s .* every one as expected" \
		/tmp/xfer.err
	log_test $? "$name: the guest receives the peer's stream intact"
	[ "$(asked "$reason")" -gt "${before:-0}" ]
	log_test $? "$name: the NIC asked for it back, counted under $reason"
	# 5: TOE_UPLOAD_WHY_DEVICE, the NIC's request brought it home.
	[ "$(info_field offloads)" = 1 ] && [ "$(info_field uploads)" -ge 1 ] &&
		[ "$(info_field upload_reason)" = 5 ] && [ "$(info_field where)" = 0 ]
	log_test $? "$name: home on the NIC's request (TOE_INFO upload_reason 5)"
}

# The peer pauses its stream at 1M until the guest's side is on the NIC,
# then sends its byte at 1.5M as urgent data. The guest's sender pauses at
# 1M too, until the connection is home (or 30 s have passed): its own
# shutdown would bring it home otherwise. SO_OOBINLINE keeps the urgent
# byte in the stream the guest checks.
rm -f /tmp/go-urgent
(
	toe_wait_where 5940 nic
	echo "TOE_PEER_TOUCH go-urgent"
	toe_wait_where 5940 host
	touch /tmp/go-urgent
) &
round urgent 5940 urgent --offload-at 64K --oob-inline --pause-at 1M \
	--resume-file /tmp/go-urgent
wait

# Loss on the wire (the device's seeded faults, toe-fault.c): what the
# engine holds out of order while a lost segment comes again overflows
# its budget. The move comes at 256K received; the peer pauses at 512K
# until it is on the NIC, so that the rest of its stream arrives there,
# and the guest's sender at 1M until it is home, as above.
echo "TOE_FAULTS 10 0 0"
sleep 2
rm -f /tmp/go-reasm
(
	toe_wait_where 5941 nic
	echo "TOE_PEER_TOUCH go-reasm"
	toe_wait_where 5941 host
	touch /tmp/go-reasm
) &
round reasm_mem 5941 reasm_mem --offload-at-rx 256K --pause-at 1M \
	--resume-file /tmp/go-reasm
wait
echo "TOE_FAULTS 0 0 0"
sleep 2

dmesg | grep -a 'asks to give it back' | sed 's/^/# /'
exit $TOE_FAILED
