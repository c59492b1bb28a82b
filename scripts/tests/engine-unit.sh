#!/bin/bash
# engine-unit.sh - the TCP engine's unit tests (qemu-toe-device/engine/
# tests/unit*.c), built on the host into the cache ($ENGINE_O, keyed by
# the engine's sources) and run: once as the Makefile builds them, once
# under clang's ASan+UBSan (SAN=1). One TEST line per test; the unit
# binary's own KTAP plan says how many.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

RESULTS=${TOE_RESULTS:-$TOE_CACHE/results}
mkdir -p "$RESULTS"

# run_unit TAG BUILD_DIR [MAKE ARGS...]: build everything, then the unit
# binary (so that it still runs if another target fails), run it and
# turn its KTAP into TEST lines.
run_unit() {
	local tag=$1 dir=$2
	shift 2
	local log=$RESULTS/engine-unit-$tag.make.log
	local out=$RESULTS/engine-unit-$tag.tap
	local rc=0 n=0 planned ok status name

	plan 3 "engine-unit [$tag] build and run"
	engine_make "all$tag" "$@" >"$log" 2>&1 || rc=$?
	[ $rc -eq 0 ] || tail -n 20 "$log" >&2
	log_test $rc "engine-unit [$tag] make -C qemu-toe-device/engine $*"
	rc=0
	engine_make "unit$tag" "$@" "$dir/unit" >>"$log" 2>&1 || rc=$?
	[ $rc -eq 0 ] || tail -n 20 "$log" >&2
	log_test $rc "engine-unit [$tag] $dir/unit builds"
	[ $rc -eq 0 ] || { log_test 1 "engine-unit [$tag] ran to the end"; return 0; }

	rc=0
	"$dir/unit" >"$out" 2>&1 || rc=$?
	planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out" | head -n1)
	plan "${planned:-0}" "engine-unit [$tag] tests"
	while read -r status name; do
		n=$((n + 1))
		ok=0
		[ "$status" = ok ] || ok=1
		log_test $ok "engine-unit [$tag] $name"
	done < <(sed -nE 's/^(ok|not ok) [0-9]+ - (.*)$/\1 \2/p' "$out" |
		sed 's/^not ok/not_ok/')
	# The diagnostics of each failed test, for the log.
	awk '/^# / { d = d $0 "\n"; next }
	     /^not ok / { printf "%s%s\n", d, $0 } { d = "" }' "$out" >&2
	[ -n "$planned" ] && grep -q '^# [0-9]* tests, ' "$out"
	ok=$?
	[ $ok -eq 0 ] || tail -n 20 "$out" >&2
	log_test $ok "engine-unit [$tag] ran to the end (plan ${planned:-none}, status $rc)"
	return 0
}

run_unit plain "$ENGINE_O"
run_unit san "$ENGINE_O-san" SAN=1
exit "$TOE_FAILED"
