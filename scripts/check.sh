#!/bin/bash
# check.sh - every test of the project, host and VM; `make check` runs it.
#
# Each test script prints kselftest-style TEST lines; this counts them and
# ends with "N passed, N failed" (and skips, if any). A script that fails
# without printing a [FAIL] line counts as one failure of its own.
# Results and logs stay in $TOE_CACHE/results.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

export TOE_RESULTS=$TOE_CACHE/results
rm -rf "$TOE_RESULTS" && mkdir -p "$TOE_RESULTS"

bash "$TOE_ROOT/scripts/install-deps.sh"

TESTS=(
	"style.sh"
	"docs.sh"
	"qtest.sh"
	"engine-unit.sh"
	"engine-interop.sh"
	"engine-interop.sh --san"
	"engine-fuzz.sh"
	"kunit.sh base"
	"l2.sh base"
	"offload.sh base"
	"failover.sh base"
	"exceptions.sh base"
	"policy.sh base"
	"kunit.sh debug"
	"l2.sh debug"
	"offload.sh debug"
	"failover.sh debug"
	"exceptions.sh debug"
	"policy.sh debug"
)
passed=0 failed=0 skipped=0
failed_runs=()
start=$SECONDS
for t in "${TESTS[@]}"; do
	name=${t// /-}
	log "running $t"
	t0=$SECONDS
	rc=0
	read -r -a argv <<< "$t"
	bash "$TOE_ROOT/scripts/tests/${argv[0]}" "${argv[@]:1}" \
		>"$TOE_RESULTS/$name.out" 2>"$TOE_RESULTS/$name.err" || rc=$?
	grep -a '^TEST: ' "$TOE_RESULTS/$name.out" || true
	p=$(grep -ac '^TEST: .*\[ OK \]' "$TOE_RESULTS/$name.out" || true)
	f=$(grep -ac '^TEST: .*\[FAIL\]' "$TOE_RESULTS/$name.out" || true)
	s=$(grep -ac '^TEST: .*\[SKIP\]' "$TOE_RESULTS/$name.out" || true)
	grep -a '^TEST: .*\[FAIL\]' "$TOE_RESULTS/$name.out" | sed "s|^|$t: |" \
		>> "$TOE_RESULTS/failures.txt" || true
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		printf 'TEST: %-60s [FAIL]\n' "$t exited $rc" |
			tee -a "$TOE_RESULTS/failures.txt"
		f=1
	fi
	if [ $rc -ne 0 ]; then
		echo "---- $t: stderr (last 40 lines; full log $TOE_RESULTS/$name.err)"
		tail -n 40 "$TOE_RESULTS/$name.err"
		failed_runs+=("$name")
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	log "$t: $p passed, $f failed in $((SECONDS - t0))s"
done
log "all tests in $((SECONDS - start))s"
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
