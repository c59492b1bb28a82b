#!/bin/bash
# console-requests.sh - a vm-run.sh --peer command that acts on what the
# guest asks for on its console, for tests that need the host's hand in
# the middle of a guest script. Runs in vm-run.sh's OUT until killed.
#
#   TOE_REQUEST_UPLOAD CONN_ID REASON  set the device's request-upload
#       property over QMP: the NIC asks the driver for that connection
#       back with that reason (enum toe_upload_reason), as if it had
#       decided to
#   TOE_PEER_TOUCH NAME  create the file NAME in OUT (a peer process
#       waiting for it, e.g. toe-xfer --resume-file, goes on)
#   TOE_FAULTS DROP DUP REORDER  set the device's wire faults (per mille
#       of the frames each way: toe-fault.c); 0 0 0 turns them off. The
#       first time, the peer's nstat counters go to nstat-clean.txt first
#   TOE_HANG 1|0  set the device's hang property: its offload processor
#       stops answering (until the driver resets it)
#   TOE_NSTAT NAME  the peer's nstat counters now, to nstat-NAME.txt (a
#       guest test's rounds each see what the wire saw during them)
#
# Every QMP request whose answer is an error is appended to qmp-errors,
# which the host's test fails on (check_qmp). Evidence files are written
# from what the device answers, never from what was asked:
#   faults-set     "faults: drop D dup U reorder R" once QEMU took all
#                  three, then "counts: dropped N duplicated N reordered N",
#                  the device's own counters, each time faults change
#   hang-set       "hang: V" with V the hang property read back
set -uo pipefail
QMP=$(dirname "$0")/../qmp.py
DEV=/machine/peripheral/toe0

# qmp COMMAND ARGS-JSON: one request; its answer on stdout; an error is
# recorded in qmp-errors and returns 1.
qmp() {
	local out
	if ! out=$(python3 "$QMP" qmp.sock "$1" "$2" 2>&1); then
		echo "$1 $2: $out" >> qmp-errors
		return 1
	fi
	echo "$out"
}
qom_set() { qmp qom-set "{\"path\": \"$DEV\", \"property\": \"$1\", \"value\": $2}" > /dev/null; }
# qom_get PROPERTY: the value QEMU returns, on stdout.
qom_get() {
	qmp qom-get "{\"path\": \"$DEV\", \"property\": \"$1\"}" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["return"])'
}
fault_counts() {
	echo "counts: dropped $(qom_get fault-dropped) duplicated $(qom_get fault-duplicated)" \
		"reordered $(qom_get fault-reordered)"
}

# Each line once, and only once it is whole: read from a stream, never
# from a poll of the file, which can catch a line half written (seen: the
# file "g" touched for "TOE_PEER_TOUCH go-nicreq-5731").
# The requests come on fd 3, so that nothing run for them reads them.
while IFS= read -r -u 3 line; do
	set -- ${line%$'\r'}
	case $1 in
	TOE_REQUEST_UPLOAD)
		if [[ ${2:-} =~ ^[0-9]+$ && ${3:-} =~ ^[0-9]+$ ]]; then
			qom_set request-upload $(($2 << 8 | $3))
		else
			echo "TOE_REQUEST_UPLOAD $*: not a connection id and reason" >> qmp-errors
		fi ;;
	TOE_PEER_TOUCH)
		[[ $2 =~ ^[a-z0-9.-]+$ ]] && touch "$2" ;;
	TOE_FAULTS)
		# The peer's counters before any fault: what the
		# clean tests did (offload.sh checks them).
		[ -f nstat-clean.txt ] || nstat -asz > nstat-clean.txt
		fault_counts >> faults-set
		ok=1
		for f in drop:$2 dup:$3 reorder:$4; do
			qom_set "fault-${f%%:*}" "${f#*:}" || ok=0
		done
		[ $ok = 0 ] || echo "faults: drop $2 dup $3 reorder $4" >> faults-set ;;
	TOE_HANG)
		[ "$2" = 1 ] && v=true || v=false
		qom_set hang $v
		echo "hang: $(qom_get hang | tr 'TF' 'tf')" >> hang-set ;;
	TOE_NSTAT)
		[[ $2 =~ ^[a-z0-9-]+$ ]] && nstat -asz > "nstat-$2.txt" ;;
	esac
done 3< <(tail -n +1 -F console.log 2>/dev/null |
	grep --line-buffered -a -E '^TOE_(REQUEST_UPLOAD|PEER_TOUCH|FAULTS|HANG|NSTAT) ') \
	< /dev/null
