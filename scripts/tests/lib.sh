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
