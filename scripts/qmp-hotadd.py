#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hot-add a DIMM to a running QEMU through its QMP socket.

usage: qmp-hotadd.py SOCKET ID SIZE_MIB NODE [ADDR_MIB]

ADDR_MIB: the DIMM's physical address; by default QEMU places it.
"""
import json
import socket
import sys


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__.strip())
    path, ident, size_mib, node = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    dimm = {"driver": "pc-dimm", "id": ident, "memdev": f"mem-{ident}", "node": node}
    if len(sys.argv) == 6:
        dimm["addr"] = int(sys.argv[5]) << 20
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(30)
    sock.connect(path)
    stream = sock.makefile("rw")
    stream.readline()  # greeting

    def command(name, **args):
        stream.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        stream.flush()
        while True:
            reply = json.loads(stream.readline())
            if "error" in reply:
                sys.exit(f"qmp {name}: {reply['error'].get('desc', reply['error'])}")
            if "return" in reply:
                return reply["return"]

    command("qmp_capabilities")
    command("object-add", **{"qom-type": "memory-backend-ram", "id": f"mem-{ident}",
                             "size": size_mib << 20})
    command("device_add", **dimm)
    where = f" at {sys.argv[5]} MiB" if "addr" in dimm else ""
    print(f"==> hot-added {size_mib} MiB DIMM '{ident}' on node {node}{where}")


if __name__ == "__main__":
    main()
