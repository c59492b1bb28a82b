#!/bin/bash
# engine-unit.sh - the TCP engine's unit tests (qemu-toe-device/engine/
# tests/unit*.c), built and run on the host: once as the Makefile builds
# them, once under clang's ASan+UBSan (SAN=1). One TEST line per test.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

ENGINE=$TOE_ROOT/qemu-toe-device/engine
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
	local rc=0 n=0 ok status name

	make -C "$ENGINE" "$@" >"$log" 2>&1 || rc=$?
	[ $rc -eq 0 ] || tail -n 20 "$log" >&2
	log_test $rc "engine-unit [$tag] make -C qemu-toe-device/engine $*"
	rc=0
	make -C "$ENGINE" "$@" "$dir/unit" >>"$log" 2>&1 || rc=$?
	if [ $rc -ne 0 ]; then
		tail -n 20 "$log" >&2
		log_test 1 "engine-unit [$tag] $dir/unit builds"
		return 0
	fi

	rc=0
	"$ENGINE/$dir/unit" >"$out" 2>&1 || rc=$?
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
	if [ $n -eq 0 ]; then
		tail -n 20 "$out" >&2
		log_test 1 "engine-unit [$tag] ran (no KTAP results)"
	elif ! grep -q '^# [0-9]* tests, ' "$out"; then
		tail -n 20 "$out" >&2
		log_test 1 "engine-unit [$tag] ran to the end"
	fi
	return 0
}

run_unit plain build
run_unit san build-san SAN=1
exit "$TOE_FAILED"
