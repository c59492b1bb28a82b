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
set -uo pipefail
QMP=$(dirname "$0")/../qmp.py
done_n=0
while sleep 0.1; do
	mapfile -t req < <(tr -d '\r' < console.log 2>/dev/null |
		grep -a -E '^TOE_(REQUEST_UPLOAD|PEER_TOUCH|FAULTS|HANG|NSTAT) ')
	while [ "$done_n" -lt "${#req[@]}" ]; do
		set -- ${req[$done_n]}
		done_n=$((done_n + 1))
		case $1 in
		TOE_REQUEST_UPLOAD)
			python3 "$QMP" qmp.sock qom-set "{\"path\": \"/machine/peripheral/toe0\",
				\"property\": \"request-upload\", \"value\": $(($2 << 8 | $3))}" ;;
		TOE_PEER_TOUCH)
			[[ $2 =~ ^[a-z0-9.-]+$ ]] && touch "$2" ;;
		TOE_FAULTS)
			# The peer's counters before any fault: what the
			# clean tests did (offload.sh checks them).
			[ -f nstat-clean.txt ] || nstat -asz > nstat-clean.txt
			for f in drop:$2 dup:$3 reorder:$4; do
				python3 "$QMP" qmp.sock qom-set "{\"path\": \"/machine/peripheral/toe0\",
					\"property\": \"fault-${f%%:*}\", \"value\": ${f#*:}}"
			done
			echo "faults: drop $2 dup $3 reorder $4" > faults-set ;;
		TOE_HANG)
			[ "$2" = 1 ] && v=true || v=false
			python3 "$QMP" qmp.sock qom-set "{\"path\": \"/machine/peripheral/toe0\",
				\"property\": \"hang\", \"value\": $v}"
			echo "hang: $v" >> hang-set ;;
		TOE_NSTAT)
			[[ $2 =~ ^[a-z0-9-]+$ ]] && nstat -asz > "nstat-$2.txt" ;;
		esac
	done
done
