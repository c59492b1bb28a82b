#!/bin/bash
# docs.sh - every page in Documentation/ is valid reStructuredText: docutils
# (Debian's python3-docutils) parses it with warnings treated as errors.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

pages=("$TOE_ROOT"/Documentation/*.rst)
plan $((${#pages[@]} + 1)) "one per page and the index"
for f in "${pages[@]}"; do
	out=$(/usr/bin/python3 - "$f" 2>&1 <<'PY'
import sys
import docutils.core
import docutils.utils
from docutils.parsers.rst import Directive, directives, roles

# Sphinx's own directive and roles, which plain docutils does not know:
# accept them so the rest of the page is still checked.
class Toctree(Directive):
    has_content = True
    option_spec = {'maxdepth': directives.unchanged, 'caption': directives.unchanged}
    def run(self):
        return []

directives.register_directive('toctree', Toctree)
for name in ('doc', 'ref', 'c:func', 'c:type'):
    roles.register_generic_role(name, docutils.nodes.literal)
src = open(sys.argv[1]).read()
try:
    docutils.core.publish_doctree(src, source_path=sys.argv[1], settings_overrides={
        'halt_level': 2, 'report_level': 2, 'warning_stream': sys.stderr})
except docutils.utils.SystemMessage as e:
    print(e)
    sys.exit(1)
PY
) && rc=0 || rc=1
	[ $rc -eq 0 ] || echo "$out" | head -n 5 >&2
	log_test $rc "reStructuredText parses: Documentation/${f##*/}"
done
# Every page the index lists exists, and every page is listed.
rc=0
listed=$(awk '/^\.\. toctree::/ { t = 1; next } t && /^   [a-z]/ { print $1 } t && /^[^ ]/ { t = 0 }' \
	"$TOE_ROOT/Documentation/index.rst")
for p in $listed; do
	[ -f "$TOE_ROOT/Documentation/$p.rst" ] || { echo "index lists missing $p.rst" >&2; rc=1; }
done
for f in "$TOE_ROOT"/Documentation/*.rst; do
	p=${f##*/}; p=${p%.rst}
	[ "$p" = index ] || echo "$listed" | grep -qx "$p" || { echo "$p.rst not in the index" >&2; rc=1; }
done
log_test $rc "Documentation/index.rst lists exactly the pages there are"
exit $TOE_FAILED
