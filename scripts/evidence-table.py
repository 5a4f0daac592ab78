#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print the table of a make evidence run from its results.csv.

evidence-table.py CSV "TOOL..." "FAULT..."

One row per fault, one column per tool configuration. A cell is the code of
the first report after the fault and the allocator operations until it; "-"
is no report in the whole workload, "n/a" a pair that does not apply, "?" a
boot without a result. "*" marks a boot in which two owners wrote the same
page before any report. The details below give each report as classified.
"""
import csv
import sys

SHORT = {
    'none': 'none', 'DEBUG_VM': 'VM', 'page_owner': 'owner',
    'page_table_check': 'ptc', 'debug_pagealloc': 'dpa', 'KASAN': 'KASAN',
    'checker': 'PEC', 'checker+DEBUG_VM': 'PEC+VM',
    'Debian': 'Deb', 'Debian+checker': 'Deb+PEC', 'memprof_debug': 'prof',
}
CODES = [
    ('checker:', 'P', "the checker (page_ext_consistency)"),
    ('bad-page-map', 'M', "the kernel's page-table rmap checks (Bad page map / rss-counter)"),
    ('bad-rss-counter', 'M', None),
    ('bad-page', 'B', "bad_page(): Bad page state (DEBUG_VM turns the checks on)"),
    ('BUG_ON:', 'V', "a BUG_ON/VM_BUG_ON (kernel BUG at ...)"),
    ('DEBUG_LIST:', 'L', "DEBUG_LIST: list_add/list_del corruption"),
    ('page_table_check', 'T', "page_table_check"),
    ('KASAN:', 'K', "KASAN"),
    ('WARN:', 'W', "a WARN"),
    ('oops', 'O', "an oops: the kernel crashed (NULL pointer, GPF, page fault)"),
    ('panic', 'X', "another panic"),
    ('taint', '?', "a taint without a report line"),
]


def code(by):
    for prefix, c, _ in CODES:
        if by.startswith(prefix):
            return c
    return '?'


def main():
    path, tools, faults = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
    rows = {}
    run = ''
    with open(path) as f:
        for r in csv.DictReader(f):
            rows[(r['tool'], r['fault'])] = r
            run = r['run']

    def cell(r):
        if r is None:
            return ''
        if r['detected'] == 'n/a':
            return 'n/a'
        if r['detected'] == '1':
            s = '%s %s' % (code(r['by']), r['ops'] or '?')
        elif r['detected'] == '0':
            s = '-'
        else:
            s = '?'
        return s + ('*' if r['clobbered_before'] == '1' else '')

    heads = [SHORT.get(t, t) for t in tools]
    width = [max(len(h), 8) for h in heads]
    fw = max(len(f) for f in faults + ['fault'])
    print('make evidence, run %s: the first report after each fault, and the allocator' % run)
    print('operations from the fault to it (one boot per cell)')
    print()
    line = '%-*s  %s' % (fw, 'fault', '  '.join('%-*s' % (w, h) for w, h in zip(width, heads)))
    print(line.rstrip())
    for fault in faults:
        cells = [cell(rows.get((t, fault))) for t in tools]
        line = '%-*s  %s' % (fw, fault, '  '.join('%-*s' % (w, c) for w, c in zip(width, cells)))
        print(line.rstrip())
    print()
    used = {code(r['by']) for r in rows.values() if r['detected'] == '1'}
    for prefix, c, text in CODES:
        if text and c in used:
            print('  %s  %s' % (c, text))
    print('  -  no report during the workload    n/a  no record without the checker')
    print('  *  two owners wrote the same page before any report (a canary showed it)')
    print('  ?  (as a count) the kernel hung after the report, before the module could count')
    print('  columns: ' + ', '.join('%s = %s' % (SHORT.get(t, t), t) for t in tools if SHORT.get(t, t) != t))
    print()
    state = [f for f in faults if not f.startswith('record-')]
    record = [f for f in faults if f.startswith('record-')]
    print('per tool configuration, the %d faults in the allocator\'s state: reported by a' % len(state))
    print('check (the first report is not an oops), of those with the fewest operations')
    print('(ties included), crashed (an oops came first), not found, and two owners wrote')
    print('a page before any report; then the %d faults in the checker\'s record' % len(record))
    for t in tools:
        checked = first = crashed = missed = owners = 0
        for fault in state:
            r = rows.get((t, fault))
            if not r or r['detected'] == 'n/a':
                continue
            best = min((int(o['ops']) for o in (rows.get((u, fault)) for u in tools)
                        if o and o['detected'] == '1' and o['ops']), default=None)
            owners += r['clobbered_before'] == '1'
            if r['detected'] != '1':
                missed += 1
            elif code(r['by']) in 'OX':
                crashed += 1
            else:
                checked += 1
                first += bool(r['ops']) and int(r['ops']) == best
        ran = [f for f in record if rows.get((t, f)) and rows[(t, f)]['detected'] != 'n/a']
        rfound = sum(rows[(t, f)]['detected'] == '1' for f in ran)
        print('  %-17s checked %d (first %d), crashed %d, missed %d, two owners %d; record %s' %
              (t, checked, first, crashed, missed, owners,
               '%d of %d' % (rfound, len(ran)) if ran else 'n/a'))
    print()
    print('details (first report after the fault: ops, console ms)')
    for fault in faults:
        for t in tools:
            r = rows.get((t, fault))
            if not r or r['detected'] == 'n/a':
                continue
            if r['detected'] == '1':
                d = '%s after %s ops, %s ms' % (r['by'], r['ops'] or '?', r['ms'])
                if r['end'] == 'timeout':
                    d += ', then the kernel hung'
            elif r['detected'] == '0':
                d = 'no report in %s ops' % r['ops']
            else:
                d = 'no result: %s' % r['end']
            if r['clobbered_before'] == '1':
                d += '; two owners wrote first'
            print('  %-16s %-18s %s' % (fault, t, d))


if __name__ == '__main__':
    main()
