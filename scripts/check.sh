#!/bin/bash
# check.sh [--soak] - every test of the project, host and VM; `make check`
# runs it, `make soak` runs it with --soak (the long sizes: TOE_SOAK=1).
#
# First it builds, once, everything the tests use (QEMU, each flavour's
# kernel, module and initramfs) and exports the paths, so that no test
# script builds or checks a build again. Then each test script runs with
# its output in $TOE_CACHE/results/<name>.out and .err: the VM boots one
# after another, the host tests one after another beside them.
#
# Each script prints kselftest-style TEST lines and declares how many it
# will print ("PLAN: N what" lines, summed). A script that printed fewer
# checks than it planned (it died, or the guest hung), more, or none, or
# that exited nonzero without a failing check, fails by name here: so
# "N passed, N failed" counts every check, including those that never
# ran. Each script's seconds go to results/timings.txt, printed sorted at
# the end.
#
# TOE_ONLY=REGEX runs only the test scripts whose name (as in HOST_TESTS
# and VM_TESTS, e.g. "vm.sh base exceptions policy:capacity") matches:
# make check TOE_ONLY='^vm.sh debug'.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

SOAK=0
case "${1:-}" in
--soak) SOAK=1 ;;
"") ;;
*) die "unknown argument '$1' (--soak or nothing)" ;;
esac
export TOE_SOAK=$SOAK
export TOE_RESULTS=$TOE_CACHE/results
rm -rf "$TOE_RESULTS" && mkdir -p "$TOE_RESULTS"

bash "$TOE_ROOT/scripts/install-deps.sh" || die "installing the dependencies failed"

# Host tests run in the background, beside the first VM boot: a TCG guest
# keeps about 1.4 of the two cores busy, and they fit in the rest.
HOST_TESTS=(
	"style.sh"
	"layers.sh"
	"docs.sh"
	"qtest.sh"
	"engine-unit.sh"
	"engine-interop.sh"
	"engine-interop.sh --san"
	"engine-fuzz.sh"
)
# One boot of the VM per flavour for every suite that runs on the NIC's
# default properties, one for those that need others (scripts/tests/vm.sh).
# Debug first: its long boot is the one the host tests share. remove goes
# last: it takes the device away (and finds it again).
VM_TESTS=(
	"vm.sh debug kunit l2 offload failover policy:main remove"
	"vm.sh debug exceptions policy:capacity"
	"vm.sh base kunit l2 offload failover policy:main remove"
	"vm.sh base exceptions policy:capacity"
)
passed=0 failed=0 skipped=0
failed_runs=()
start=$SECONDS
: > "$TOE_RESULTS/timings.txt"

# fail_line NAME: one [FAIL] line of check.sh's own, counted and listed.
fail_line() {
	printf 'TEST: %-60s [FAIL]\n' "$1" | tee -a "$TOE_RESULTS/failures.txt"
	failed=$((failed + 1))
}

# Everything the VM tests boot, built once. A build that fails fails the
# run by name; the tests that need it then fail on their own.
t0=$SECONDS
log "building QEMU and the base and debug guests"
if TOE_QEMU=$(bash "$TOE_ROOT/scripts/build-qemu.sh" 2>"$TOE_RESULTS/build-qemu.err"); then
	export TOE_QEMU
else
	fail_line "build: QEMU with toe-pci (results/build-qemu.err)"
	tail -n 20 "$TOE_RESULTS/build-qemu.err"
fi
for flavour in base debug; do
	err=$TOE_RESULTS/build-$flavour.err
	if kdir=$(bash "$TOE_ROOT/scripts/build-kernel.sh" "$flavour" 2>"$err") &&
		moddir=$(bash "$TOE_ROOT/scripts/build-module.sh" "$flavour" 2>>"$err") &&
		initrd=$(bash "$TOE_ROOT/scripts/build-initramfs.sh" "$flavour" 2>>"$err"); then
		export "TOE_KDIR_$flavour=$kdir" "TOE_MODDIR_$flavour=$moddir" \
			"TOE_INITRD_$flavour=$initrd"
	else
		fail_line "build: $flavour kernel, module and initramfs (results/build-$flavour.err)"
		tail -n 20 "$err"
	fi
done
echo "$((SECONDS - t0)) builds" >> "$TOE_RESULTS/timings.txt"

# run_test T: run test script T (with its arguments), its output in
# results/NAME.out and .err, its exit status in .rc, its seconds in .secs.
run_test() {
	local t=$1 name=${1// /-} t0=$SECONDS rc=0 argv
	log "running $t"
	read -r -a argv <<< "$t"
	bash "$TOE_ROOT/scripts/tests/${argv[0]}" "${argv[@]:1}" \
		>"$TOE_RESULTS/$name.out" 2>"$TOE_RESULTS/$name.err" || rc=$?
	echo $rc > "$TOE_RESULTS/$name.rc"
	echo $((SECONDS - t0)) > "$TOE_RESULTS/$name.secs"
}

# collect T: print and count what test script T printed; fail by name
# what it left unsaid (a plan not met, an exit status with no failure).
collect() {
	local t=$1 name=${1// /-} out rc secs p f s planned printed
	out=$TOE_RESULTS/$name.out
	rc=$(cat "$TOE_RESULTS/$name.rc" 2>/dev/null || echo 125)
	secs=$(cat "$TOE_RESULTS/$name.secs" 2>/dev/null || echo 0)
	grep -a '^TEST: ' "$out"
	p=$(grep -ac '^TEST: .*\[ OK \]' "$out")
	f=$(grep -ac '^TEST: .*\[FAIL\]' "$out")
	s=$(grep -ac '^TEST: .*\[SKIP\]' "$out")
	grep -a '^TEST: .*\[FAIL\]' "$out" | sed "s|^|$t: |" >> "$TOE_RESULTS/failures.txt"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	planned=$(sed -n 's/^PLAN: \([0-9]*\) .*/\1/p' "$out" | awk '{ n += $1 } END { print n + 0 }')
	printed=$((p + f + s))
	if [ "$planned" -eq 0 ]; then
		fail_line "$t: declared no plan (it ended before its first check)"
	elif [ "$printed" -lt "$planned" ]; then
		fail_line "$t: $((planned - printed)) of $planned planned checks never printed"
	elif [ "$printed" -gt "$planned" ]; then
		fail_line "$t: printed $printed checks, planned $planned"
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		fail_line "$t: exited $rc with no failing check"
	fi
	if [ "$rc" -ne 0 ]; then
		echo "---- $t: stderr (last 40 lines; full log $TOE_RESULTS/$name.err)"
		tail -n 40 "$TOE_RESULTS/$name.err"
		failed_runs+=("$name")
	fi
	echo "$secs $t" >> "$TOE_RESULTS/timings.txt"
	# Finer figures a script gives of its own parts (vm.sh: each suite).
	sed -n 's/^TIMING: \([0-9]* .*\)/\1/p' "$out" | sed 's/^\([0-9]*\) /\1   /' \
		>> "$TOE_RESULTS/timings.txt"
	log "$t: $p passed, $f failed ($printed of $planned planned) in ${secs}s"
}

host=()
for t in "${HOST_TESTS[@]}"; do
	[[ $t =~ ${TOE_ONLY:-.} ]] && host+=("$t")
done
(for t in "${host[@]}"; do run_test "$t"; done) &
host_pid=$!
for t in "${VM_TESTS[@]}"; do
	[[ $t =~ ${TOE_ONLY:-.} ]] || continue
	run_test "$t"
	collect "$t"
done
wait $host_pid
for t in "${host[@]}"; do
	collect "$t"
done
echo "---- seconds per step (results/timings.txt), $((SECONDS - start)) s in all:"
sort -rn "$TOE_RESULTS/timings.txt"
# Last, so that the end of a long log names what failed.
if [ -s "$TOE_RESULTS/failures.txt" ]; then
	echo "---- failed (logs in $TOE_RESULTS):"
	cat "$TOE_RESULTS/failures.txt"
	for name in "${failed_runs[@]}"; do
		echo "---- $name: stderr, last 10 lines"
		tail -n 10 "$TOE_RESULTS/$name.err"
	done
fi
if [ $skipped -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ $failed -eq 0 ]
