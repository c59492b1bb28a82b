#!/usr/bin/env python3
"""layers.py - the layers of src/ and the one-way rule between them.

Each file of src/ belongs to one layer; a file may include the headers and
use the functions and variables of its own layer and of those below it,
never of one above. This table is the one place the layers are declared
(Documentation/driver.rst describes them):

  1 driver      the PCI NIC: probe, reset, interrupts, the L2 netdev,
                ethtool, the command and event rings, debugfs. It knows
                nothing of sockets: it calls the core only through the
                struct toe_core_cb the module registers.
  2 core        the offload core: the "toe" ULP and its socket options,
                the data path, offload, upload and failover, the
                connection table, tcp_sock surgery, the state encoding.
                It calls the policy only through struct toe_policy_ops.
  3 policy      which connections move and when: the decision, the
                net.toe sysctls, the automatic attachment.
  4 interfaces  what user space reaches: the generic netlink family.
  5 module      init and exit, which tie the layers together.

Headers outside src/ (include/: the uapi and the hardware interface)
are below every layer.

usage: layers.py [SRC_DIR]
Prints one line per file of SRC_DIR, "ok FILE" or "bad FILE: why" (one
"bad" line per breach), and "undeclared FILE" for a file in no layer.
Exit status 0 when every file is declared and keeps the rule.
"""
import os
import re
import sys

LAYERS = {
    1: ('driver', ['toe.h', 'toe_desc.h', 'toe_pci.c', 'toe_netdev.c',
                   'toe_ethtool.c', 'toe_cmd.c', 'toe_hwconn.c',
                   'toe_debugfs.c']),
    2: ('core', ['toe_sock.h', 'toe_capture.h', 'toe_state.h', 'toe_seq.h',
                 'toe_trace.h', 'toe_ulp.c', 'toe_data.c', 'toe_offload.c',
                 'toe_upload.c',
                 'toe_conn.c', 'toe_bufpool.c', 'toe_failover.c',
                 'toe_capture.c', 'toe_tcp.c', 'toe_shadow.c',
                 'toe_state.c', 'toe_late.c']),
    3: ('policy', ['toe_policy.h', 'toe_policy.c', 'toe_sysctl.c',
                   'toe_auto.c']),
    4: ('interfaces', ['toe_netlink.h', 'toe_netlink.c']),
    5: ('module', ['toe_main.c']),
}

LAYER_OF = {f: n for n, (_, files) in LAYERS.items() for f in files}

# A definition at the start of a line, not static: a function (its
# name, then its parameters, then a body) or a variable with an
# initializer or a plain declaration of storage.
FUNC_DEF = re.compile(r'^(?!static\b|extern\b)[A-Za-z_][\w \t\*]*?\b(toe_\w+)\s*\(')
VAR_DEF = re.compile(
    r'^(?!static\b|extern\b)(?:const\s+)?(?:struct\s+\w+|[a-z_]\w*)[\s\*]+'
    r'(?:const\s+)?\**\s*(toe_\w+)(?:\[[^\]]*\])?\s*(?:__\w+\s*)*[=;]')
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
# A use of a name: not a struct, union or enum tag of the same spelling.
IDENT = re.compile(r'(?<!struct )(?<!union )(?<!enum )\btoe_\w+\b')


def strip(text):
    """The text with comments and string and char literals blanked,
    keeping the line breaks (so that line numbers hold)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:j]))
            i = j
        elif text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            out.append(' ' * (j - i))
            i = j
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            out.append(c + re.sub(r'[^\n]', ' ', text[i + 1:j]) + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def definitions(path, text):
    """Names of the non-static functions and variables @path defines."""
    names = set()
    lines = text.split('\n')
    for k, line in enumerate(lines):
        m = FUNC_DEF.match(line)
        if m:
            # A definition, not a prototype: a body follows before any ;
            rest = '\n'.join(lines[k:k + 12])
            brace, semi = rest.find('{'), rest.find(';')
            if brace >= 0 and (semi < 0 or brace < semi):
                names.add(m.group(1))
            continue
        m = VAR_DEF.match(line)
        if m and path.endswith('.c'):
            names.add(m.group(1))
    return names


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else 'src'
    files = sorted(f for f in os.listdir(src) if f.endswith(('.c', '.h')))
    raws, texts = {}, {}
    for f in files:
        with open(os.path.join(src, f), encoding='utf-8') as fh:
            raws[f] = fh.read()
        texts[f] = strip(raws[f])
    owner = {}
    for f in files:
        if f.endswith('.c'):
            for name in definitions(f, texts[f]):
                owner[name] = f
    ok = True
    for f in files:
        if f not in LAYER_OF:
            print('undeclared %s' % f)
            ok = False
            continue
        mine = LAYER_OF[f]
        bad = []
        raw = raws[f].split('\n')
        for num, line in enumerate(texts[f].split('\n'), 1):
            # The file name is a string: read it from the raw line.
            m = INCLUDE.match(raw[num - 1]) if INCLUDE.match(line) else None
            if m:
                inc = os.path.basename(m.group(1))
                if inc in LAYER_OF and LAYER_OF[inc] > mine:
                    bad.append('%s:%d includes %s (%s)' %
                               (f, num, inc, LAYERS[LAYER_OF[inc]][0]))
                continue
            for name in set(IDENT.findall(line)):
                home = owner.get(name)
                if home and home != f and LAYER_OF.get(home, 0) > mine:
                    bad.append('%s:%d uses %s() of %s (%s)' %
                               (f, num, name, home,
                                LAYERS[LAYER_OF[home]][0]))
        if bad:
            ok = False
            for b in bad:
                print('bad %s: %s' % (f, b))
        else:
            print('ok %s' % f)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
