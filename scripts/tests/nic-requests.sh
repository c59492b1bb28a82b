#!/bin/bash
# nic-requests.sh - a vm-run.sh --peer command: makes the NIC ask for
# connections back when the guest says so. For every console line
# "TOE_REQUEST_UPLOAD CONN_ID REASON" the guest prints, it sets the
# device's request-upload property over QMP, and the device asks the
# driver for that connection with that reason (enum toe_upload_reason)
# as if it had decided to. Runs in vm-run.sh's OUT until killed.
set -uo pipefail
QMP=$(dirname "$0")/../qmp.py
done_n=0
while sleep 0.1; do
	mapfile -t req < <(tr -d '\r' < console.log 2>/dev/null | grep -a '^TOE_REQUEST_UPLOAD ')
	while [ "$done_n" -lt "${#req[@]}" ]; do
		set -- ${req[$done_n]}
		done_n=$((done_n + 1))
		python3 "$QMP" qmp.sock qom-set "{\"path\": \"/machine/peripheral/toe0\",
			\"property\": \"request-upload\", \"value\": $(($2 << 8 | $3))}"
	done
done
