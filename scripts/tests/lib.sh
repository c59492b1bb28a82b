# lib.sh - helpers for host-side test scripts (sourced after ../lib.sh).
#
# Kselftest conventions: one "TEST: name [ OK ]|[FAIL]|[SKIP]" line per
# check; exit 0 pass, 1 fail, 4 skip.
# log_test and the addresses are shared with the guest's scripts.
. "$TOE_ROOT/scripts/guest/lib.sh"

# guest_tests LOG: the guest's own TEST lines, prefixed with the flavour.
guest_tests() {
	local log=$1 tag=$2
	grep -a '^TEST: ' "$log" | sed "s/^TEST: /TEST: [$tag] /" || true
	grep -aq '^TEST: .*\[FAIL\]' "$log" && TOE_FAILED=1
	return 0
}

# check_kernel_log LOG TAG: no oops, KASAN, lockdep or atomic-sleep report.
check_kernel_log() {
	local log=$1 tag=$2 pat
	pat='BUG:|WARNING:|KASAN|possible circular locking|inconsistent lock state|'
	pat+='possible recursive locking|sleeping function called from invalid context|'
	pat+='Oops|Kernel panic|general protection fault|unreferenced object|'
	pat+='suspicious RCU usage|DMA-API: [a-z]+ [0-9a-f:.]+: '
	if grep -aEq "$pat" "$log"; then
		grep -aE -A20 "$pat" "$log" | head -n 60 >&2
		log_test 1 "[$tag] kernel log has no oops, KASAN, lockdep or leak report"
	else
		log_test 0 "[$tag] kernel log has no oops, KASAN, lockdep or leak report"
	fi
}

# gen_sha SEED BYTES: the SHA-256 of toe-xfer's stream for SEED.
gen_sha() {
	"$TOE_XFER" --gen --seed "$1" --bytes "$2" | sha256sum | cut -d' ' -f1
}

# check_peer OUT FLAVOUR FILE SEED BYTES NAME: the SHA-256 the peer wrote
# to OUT/FILE must be that of toe-xfer's stream for SEED.
check_peer() {
	local out=$1 tag=$2 file=$3 seed=$4 bytes=$5 name=$6
	[ -f "$out/$file" ] && [ "$(cat "$out/$file")" = "$(gen_sha "$seed" "$bytes")" ]
	log_test $? "[$tag] $name"
}

# nstat_get FILE COUNTER: one counter of the peer's `nstat -asz` output.
nstat_get() {
	awk -v n="$2" '$1 == n { print $2 }' "$1"
}

# check_kmemleak LOG FLAVOUR: under debug, the guest's scan (toe_kmemleak_scan)
# ran and reported no leak. The scan must have run, not merely found
# nothing to say.
check_kmemleak() {
	[ "$2" = debug ] || return 0
	grep -aq '^KMEMLEAK_REPORTS=0' "$1"
	log_test $? "[$2] kmemleak scanned after the tests and reports no leak"
}
