# lib.sh - helpers for host-side test scripts (sourced after ../lib.sh).
#
# Kselftest conventions: one "TEST: name [ OK ]|[FAIL]|[SKIP]" line per
# check; exit 0 pass, 1 fail, 4 skip. log_test and the addresses are
# shared with the guest's scripts.
#
# The test scripts run without `set -e`: a check is a command whose
# status log_test records, and a failing one must not end the script
# before the checks after it (the kernel log, kmemleak) have printed.
# Each script declares how many checks it prints (plan); check.sh fails,
# by name, every script that printed fewer or more.
. "$TOE_ROOT/scripts/guest/lib.sh"

# plan N WHAT: this script prints N more TEST lines for WHAT. check.sh
# adds up a script's PLAN lines and compares them with its TEST lines.
plan() {
	echo "PLAN: $1 $2"
}

# check NAME CMD...: run CMD, one TEST line for NAME by its status.
check() {
	local name=$1 rc=0
	shift
	"$@" || rc=$?
	log_test "$rc" "$name"
}

# guest_tests LOG TAG SUITE: the guest's own TEST lines in LOG (a suite's
# slice of the console, scripts/tests/vm.sh), prefixed with the flavour,
# and a check that there are as many as its TOE_PLAN said; each planned
# check that never printed is a [FAIL] of its own.
guest_tests() {
	local log=$1 tag=$2 suite=$3 planned seen
	planned=$(tr -d '\r' < "$log" 2>/dev/null | sed -n 's/^TOE_PLAN \([0-9]*\)$/\1/p' |
		awk '{ n += $1 } END { print n + 0 }')
	seen=$(grep -ac '^TEST: ' "$log" 2>/dev/null)
	plan "$((planned + 1))" "guest $suite"
	grep -a '^TEST: ' "$log" 2>/dev/null | tr -d '\r' | sed "s/^TEST: /TEST: [$tag] /"
	grep -aq '^TEST: .*\[FAIL\]' "$log" 2>/dev/null && TOE_FAILED=1
	# Checks the guest never printed are counted here, by name, so the
	# total stays what was planned.
	[ "$planned" -gt 0 ] && [ "${seen:-0}" -eq "$planned" ]
	log_test $? "[$tag] $suite: the guest printed all $planned checks it planned (${seen:-0})"
	if [ "${seen:-0}" -lt "$planned" ]; then
		local i
		for i in $(seq $((seen + 1)) "$planned"); do
			log_test 1 "[$tag] $suite: planned check $i of $planned never printed"
		done
	fi
	return 0
}

# check_kernel_log LOG TAG [SLICE]: a kernel log exists (the boot's, or
# with SLICE a suite's slice of the console: not empty) and has no oops,
# KASAN, lockdep, atomic-sleep, hung-task, soft-lockup or RCU-stall report.
check_kernel_log() {
	local log=$1 tag=$2 slice=${3:-} pat rc=0
	pat='BUG:|WARNING:|KASAN|possible circular locking|inconsistent lock state|'
	pat+='possible recursive locking|sleeping function called from invalid context|'
	pat+='Oops|Kernel panic|general protection fault|unreferenced object|'
	pat+='suspicious RCU usage|DMA-API: [a-z]+ [0-9a-f:.]+: |'
	pat+='blocked for more than [0-9]+ seconds|soft lockup|hard LOCKUP|'
	pat+='rcu: INFO: .* detected stalls|self-detected stall'
	if [ -z "$slice" ] && ! grep -aq 'Linux version' "$log" 2>/dev/null; then
		echo "# no kernel log in $log" >&2
		rc=1
	elif [ -n "$slice" ] && [ ! -s "$log" ]; then
		echo "# the suite left nothing on the console ($log)" >&2
		rc=1
	elif grep -aEq "$pat" "$log"; then
		grep -aE -A20 "$pat" "$log" | head -n 60 >&2
		rc=1
	fi
	log_test $rc "[$tag] kernel log has no oops, KASAN, lockdep, stall or leak report"
}

# gen_sha SEED BYTES: the SHA-256 of toe-xfer's stream for SEED.
gen_sha() {
	"$TOE_XFER" --gen --seed "$1" --bytes "$2" | sha256sum | cut -d' ' -f1
}

# peer_expected LOG: toe-xfer --expect on the peer said every byte came
# as expected (the peer checks the stream as it comes, no second hash).
peer_expected() {
	grep -aq "^toe-xfer: received seed .* every one as expected" "$1" 2>/dev/null
}

# nstat_get FILE COUNTER: one counter of the peer's `nstat -asz` output.
nstat_get() {
	awk -v n="$2" '$1 == n { print $2 }' "$1"
}

# paused_listeners ROUND BASE COUNT BYTES: the peer's side of a round of
# COUNT transfers of BYTES each way to ports BASE.. (seed port + 2000 out,
# port + 1000 expected in), paused at 512K until the file go-ROUND; one
# log per transfer, ROUND-i.log. Prints the peer command. Needs TOE_XFER.
paused_listeners() {
	echo "for i in \$(seq 0 $(($3 - 1))); do p=\$(($2 + i));" \
		"$TOE_XFER --listen \$p --bytes $4 --seed \$((2000 + p))" \
		"--expect \$((1000 + p)):$4 --pause-at 512K --resume-file go-$1" \
		"> /dev/null 2> $1-\$i.log & done; wait"
}

# round_intact FLAVOUR OUT ROUND COUNT: one check, that the peer's logs of
# the round's COUNT transfers all say the stream came intact.
round_intact() {
	local ok=0 i
	for i in $(seq 0 $(($4 - 1))); do
		peer_expected "$2/$3-$i.log" && ok=$((ok + 1))
	done
	[ $ok = "$4" ]
	log_test $? "[$1] $3: the peer receives all $4 of the guest's streams intact ($ok)"
}

# check_no_reset FLAVOUR OUT SUITE: one check, that the peer's TCP reset
# no connection during the suite (its nstat before and after).
check_no_reset() {
	check "[$1] $3: peer's nstat: no connection reset" \
		nstat_zero_delta "$2/nstat-$3-begin.txt" "$2/nstat-$3-end.txt" \
		TcpEstabResets TcpExtTCPAbortOnData TcpExtTCPAbortOnClose \
		TcpExtTCPAbortOnTimeout
}

# nstat_zero_delta BEFORE AFTER COUNTER...: the peer's counters were taken
# at both times and no COUNTER moved between them.
nstat_zero_delta() {
	local a=$1 b=$2 c rc=0 d va vb
	shift 2
	[ -s "$a" ] && [ -s "$b" ] || { echo "# no peer counters in $a or $b" >&2; return 1; }
	for c in "$@"; do
		va=$(nstat_get "$a" "$c") vb=$(nstat_get "$b" "$c")
		d=$(( ${vb:-0} - ${va:-0} ))
		[ "$d" = 0 ] || { echo "# peer $c +$d (${a##*/} to ${b##*/})" >&2; rc=1; }
	done
	return $rc
}

# nstat_delta BEFORE AFTER COUNTER: how much COUNTER moved, or "?".
nstat_delta() {
	local a b
	a=$(nstat_get "$1" "$3" 2>/dev/null) b=$(nstat_get "$2" "$3" 2>/dev/null)
	[ -n "$a" ] && [ -n "$b" ] && echo $((b - a)) || echo "?"
}

# check_kmemleak LOG FLAVOUR [WHAT]: under debug, the guest's scan
# (toe_kmemleak_scan, once a boot: scripts/tests/vm.sh) ran and reported
# no leak. The scan must have run, not merely found nothing to say.
# Prints nothing for base.
check_kmemleak() {
	[ "$2" = debug ] || return 0
	grep -aq '^KMEMLEAK_REPORTS=0' "$1" 2>/dev/null
	log_test $? "[$2] ${3:+$3: }kmemleak scanned after the tests and reports no leak"
}

# kmemleak_checks FLAVOUR: how many lines check_kmemleak prints.
kmemleak_checks() {
	[ "$1" = debug ] && echo 1 || echo 0
}

# check_qmp OUT TAG: QEMU refused none of the QMP requests that
# console-requests.sh made (qmp-errors is empty): a test's fault
# injection or upload request did happen.
check_qmp() {
	local out=$1 tag=$2
	[ ! -s "$out/qmp-errors" ]
	local rc=$?
	[ $rc -eq 0 ] || sed 's/^/# QMP: /' "$out/qmp-errors" >&2
	log_test $rc "[$tag] every QMP request to the device succeeded"
}
