#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Add the benchmark's Kconfig entry and Makefile line to a kernel tree.

Reads the blocks between the BEGIN/END markers of KCONFIG-AND-MAKEFILE.txt
and inserts them into <tree>/mm/Kconfig.debug (before "config
PAGE_POISONING") and <tree>/mm/Makefile (after the page_ext_consistency.o
line, or after page_table_check.o without the checker), unless the tree has
them already (once they are merged into the overlay's patches). A file is
only rewritten when it changes.
"""
import os
import re
import sys

here = os.path.dirname(os.path.abspath(__file__))
tree = sys.argv[1]
text = open(os.path.join(here, 'KCONFIG-AND-MAKEFILE.txt')).read()


def block(name):
    m = re.search(r'^----- BEGIN %s[^\n]*\n(.*?)^----- END %s' %
                  (re.escape(name), re.escape(name)), text, re.S | re.M)
    if not m:
        sys.exit('inject-kconfig: no block for %s' % name)
    return m.group(1)


def update(rel, has, insert):
    path = os.path.join(tree, rel)
    old = open(path).read()
    if re.search(has, old, re.M):
        return
    new = insert(old)
    if new == old:
        sys.exit('inject-kconfig: cannot find where to insert into %s' % rel)
    open(path, 'w').write(new)
    print('    bench: added the benchmark entry to %s' % rel)


kconfig = block('mm/Kconfig.debug')
makefile = block('mm/Makefile')


def ins_kconfig(s):
    return s.replace('\nconfig PAGE_POISONING\n',
                     '\n' + kconfig + 'config PAGE_POISONING\n', 1)


def ins_makefile(s):
    for anchor in (r'^obj-\$\(CONFIG_PAGE_EXT_CONSISTENCY\) .*\n',
                   r'^obj-\$\(CONFIG_PAGE_TABLE_CHECK\) .*\n'):
        m = re.search(anchor, s, re.M)
        if m:
            return s[:m.end()] + makefile + s[m.end():]
    return s


update('mm/Kconfig.debug', r'^config PAGE_EXT_CONSISTENCY_BENCH$', ins_kconfig)
update('mm/Makefile', r'page_ext_consistency_bench\.o', ins_makefile)
