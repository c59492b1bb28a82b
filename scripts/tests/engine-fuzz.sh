#!/bin/bash
# engine-fuzz.sh - the TCP engine under libFuzzer (qemu-toe-device/engine/
# tests/fuzz-input.c), built with clang's ASan+UBSan and run on the host.
#
# The corpus persists in $TOE_CACHE/engine-fuzz-corpus: libFuzzer first
# runs every input in it and in tests/fuzz-seeds/ (reproducers of the
# engine bugs it found, kept in the repository so a new machine checks
# them too), then fuzzes and adds what finds new coverage. Crash, leak and timeout reproducers go to
# $TOE_RESULTS/engine-fuzz/; replay one with
#   $TOE_CACHE/engine-KEY-fuzz/fuzz-input FILE
#
# ENGINE_FUZZ_SECONDS: how long to fuzz (default 30 in make check, after
# the corpus and the seeds have all run; 600 in make soak and
# make fuzz-engine).
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

ENGINE=$TOE_ROOT/qemu-toe-device/engine
[ "${TOE_SOAK:-0}" = 1 ] && SECS=${ENGINE_FUZZ_SECONDS:-600}
SECS=${ENGINE_FUZZ_SECONDS:-${SECS:-30}}
FUZZER=$ENGINE_O-fuzz/fuzz-input		# the Makefile's $(O)-fuzz
CORPUS=$TOE_CACHE/engine-fuzz-corpus
SEEDS=$ENGINE/tests/fuzz-seeds
OUT=${TOE_RESULTS:-$TOE_CACHE/results}/engine-fuzz
NAME="engine-fuzz: $SECS s of libFuzzer, no crash, leak or sanitizer report"

rm -rf "$OUT"
mkdir -p "$OUT" "$CORPUS"
plan 1 "the fuzz run"

if ! command -v clang >/dev/null; then
	echo "clang not installed (scripts/install-deps.sh)" >&2
	log_test 4 "$NAME"
	exit 4
fi

log "building the fuzz target"
rc=0
engine_make fuzz fuzz >"$OUT/make.log" 2>&1 || rc=$?
if [ $rc -ne 0 ]; then
	tail -n 20 "$OUT/make.log" >&2
	log_test 1 "engine-fuzz: make -C qemu-toe-device/engine fuzz"
	exit 1
fi

log "running $(find "$CORPUS" "$SEEDS" -type f | wc -l) corpus inputs, then fuzzing for $SECS s"
rc=0
# -timeout: one input running that long is a hang (a timeout- artifact).
(cd "$OUT" && "$FUZZER" -max_len=4096 -max_total_time="$SECS" \
	-timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$OUT/" "$CORPUS" "$SEEDS") >"$OUT/fuzz.log" 2>&1 || rc=$?

# The last status line ("#N DONE cov: C ft: F corp: ...") and the stats.
last=$(grep -a -E '^#[0-9]+.*cov: ' "$OUT/fuzz.log" | tail -n 1 || true)
cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
fuzz_stat() {
	sed -nE "s/^stat::$1: *([0-9]+).*/\\1/p" "$OUT/fuzz.log" | tail -n 1
}
execs=$(fuzz_stat number_of_executed_units)
rate=$(fuzz_stat average_exec_per_sec)
added=$(fuzz_stat new_units_added)
echo "engine-fuzz: ${execs:-?} execs (${rate:-?}/s), cov ${cov:-?} ft ${ft:-?}," \
	"corpus $(find "$CORPUS" -type f | wc -l) inputs (${added:-?} new)" >&2

artifacts=$(find "$OUT" -maxdepth 1 -type f \( -name 'crash-*' -o \
	-name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | sort)
if [ $rc -ne 0 ] || [ -n "$artifacts" ]; then
	# The harness's own message names the broken invariant.
	grep -a -m 5 -E '^fuzz-input:|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' \
		"$OUT/fuzz.log" >&2 || tail -n 30 "$OUT/fuzz.log" >&2
	[ -z "$artifacts" ] || sed 's/^/reproducer: /' <<<"$artifacts" >&2
	log_test 1 "$NAME"
else
	log_test 0 "$NAME"
fi
exit "$TOE_FAILED"
