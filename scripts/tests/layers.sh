#!/bin/bash
# layers.sh - src/ keeps its layers: no file includes a header of, or
# calls into, a layer above its own (scripts/layers.py declares them:
# driver < core < policy < interfaces < module). One check per file of
# src/, each naming the includes and calls that break the rule; a file
# in no layer fails as undeclared.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

cd "$TOE_ROOT" || die "no $TOE_ROOT"
files=(src/*.[ch])
plan ${#files[@]} "one per file of src/"
out=$(python3 scripts/layers.py src)
for f in "${files[@]}"; do
	b=${f#src/}
	if grep -qxF "ok $b" <<<"$out"; then
		log_test 0 "layers: $f uses nothing above its layer"
	else
		grep -E "^(bad|undeclared) $b\b" <<<"$out" >&2 ||
			echo "$b: layers.py said nothing of it" >&2
		log_test 1 "layers: $f uses nothing above its layer"
	fi
done
exit "$TOE_FAILED"
