#!/usr/bin/env python3
"""ktap.py - read KUnit's KTAP output out of a guest console log.

usage: ktap.py CONSOLE_LOG

Strips the kernel's "[ time]" prefixes, follows the nested KTAP (suites as
subtests of the top level, cases as subtests of each suite, parameterised
cases one level deeper), and prints one kselftest-style line per test case:

    TEST: kunit <suite>.<case>                     [ OK ] / [FAIL] / [SKIP]

Exits 1 if any case or suite is "not ok", if a plan ("1..N") does not match
the results that followed it, or if no KTAP was found at all.
"""
import re
import sys

PREFIX = re.compile(r'^(?:<\d+>)?\[\s*\d+\.\d+\] ?')
RESULT = re.compile(r'^(\s*)(ok|not ok) (\d+)(?: -)? ?([^#]*?)\s*(?:#\s*(\w+).*)?$')
PLAN = re.compile(r'^(\s*)1\.\.(\d+)\s*$')
SUBTEST = re.compile(r'^(\s*)# Subtest: (.*)$')


def main(path):
    with open(path, errors='replace') as f:
        lines = [PREFIX.sub('', l.rstrip('\n')) for l in f]

    names = {}      # indent -> name of the subtest opened at that indent
    plans = {}      # indent -> [planned, seen]
    failed = False
    found = False
    cases = []
    for line in lines:
        m = SUBTEST.match(line)
        if m:
            names[len(m.group(1))] = m.group(2).strip()
            continue
        m = PLAN.match(line)
        if m:
            plans[len(m.group(1))] = [int(m.group(2)), 0]
            found = True
            continue
        m = RESULT.match(line)
        if not m or not found:
            continue
        indent, status, name, directive = len(m.group(1)), m.group(2), \
            m.group(4).strip(), (m.group(5) or '').upper()
        if indent in plans:
            plans[indent][1] += 1
        skipped = directive == 'SKIP'
        if status == 'not ok' and not skipped:
            failed = True
        # A result closes the level below it: check that level's plan.
        inner = [i for i in plans if i > indent]
        for i in inner:
            planned, seen = plans.pop(i)
            names.pop(i, None)
            if planned != seen:
                print(f'ktap.py: {name}: planned {planned} results, saw {seen}')
                failed = True
        if indent == 0:
            names.clear()
            continue
        if inner or indent + 4 in names:
            # A parameterised case: its parameters were listed already.
            names.pop(indent + 4, None)
            continue
        path = [names[i] for i in sorted(names) if 4 <= i <= indent]
        if not path:
            continue
        cases.append(('.'.join(path[:1]) + '.' + '/'.join(path[1:] + [name]),
                      status, skipped))

    for name, status, skipped in cases:
        mark = '[SKIP]' if skipped else ('[ OK ]' if status == 'ok' else '[FAIL]')
        print(f'TEST: kunit {name:<53} {mark}')
    if not found or not cases:
        print('ktap.py: no KTAP results found')
        return 1
    for i, (planned, seen) in plans.items():
        if planned != seen:
            print(f'ktap.py: plan at indent {i}: planned {planned}, saw {seen}')
            failed = True
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
