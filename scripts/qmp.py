#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""qmp.py SOCKET COMMAND [ARGUMENTS-JSON] - run one QMP command.

Connects to QEMU's QMP socket (vm-run.sh's OUT/qmp.sock), leaves
capabilities negotiation, runs COMMAND with the arguments given as a JSON
object, prints the reply and exits 1 if it is an error.

    qmp.py qmp.sock qom-set '{"path": "/machine/peripheral/toe0",
                              "property": "request-upload", "value": 261}'
"""
import json
import socket
import sys


def reply(f):
    """The next command reply, skipping asynchronous events."""
    while True:
        line = f.readline()
        if not line:
            raise SystemExit("qmp.py: QEMU closed the connection")
        msg = json.loads(line)
        if "return" in msg or "error" in msg:
            return msg


def main():
    if len(sys.argv) not in (3, 4):
        raise SystemExit(__doc__.strip().splitlines()[0])
    path, command = sys.argv[1], sys.argv[2]
    arguments = json.loads(sys.argv[3]) if len(sys.argv) == 4 else {}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(path)
        f = s.makefile("rw")
        json.loads(f.readline())        # the greeting
        for cmd in ({"execute": "qmp_capabilities"},
                    {"execute": command, "arguments": arguments}):
            f.write(json.dumps(cmd) + "\n")
            f.flush()
            msg = reply(f)
    print(json.dumps(msg))
    return 1 if "error" in msg else 0


if __name__ == "__main__":
    sys.exit(main())
