#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench: turn the boot logs of one run into results.csv, a table and a chart.

    analyze.py RUN_DIR OUT_DIR [--no-plot]

RUN_DIR holds meta.json (run id, command, ...) and one serial log per boot,
named <arch>__<config>__r<round>__<position>.log. Every "PEC-BENCH test=..."
line of a boot whose job ended with rc=0 is one CSV row. The table shows the
median of each measurement per configuration, ratios of medians against
"off" (with the range of the per-round ratios, boots of one round being
adjacent in time), the targets and whether they are met. Nothing here
asserts timing: the table reports, it never fails the run.
"""
import csv
import json
import math
import os
import re
import statistics
import sys

CONFIGS = ['notbuilt', 'off', 'on', 'page_owner', 'on+page_owner', 'debug_vm', 'debug_vm+list']
# Targets: on/off alloc+free of every order; the scrub on UML (pages/s);
# the record's memory per GiB of RAM; at 8 and 32 GiB, how much faster the
# dense record initialises and scrubs than the flags-word record.
ALLOC_FREE_LIMIT = 1.15
SCRUB_UML_LIMIT = 1e9
RECORD_KIB_PER_GIB_LIMIT = 72
SCALE_SPEEDUP_LIMIT = 4.0
# The checker's cost (on - off) at most this fraction of DEBUG_VM's
# (debug_vm - notbuilt) on the allocator's own measurements.
DEBUG_VM_FRACTION_LIMIT = 1 / 3
ARCH_TITLE = {'x86_64': 'x86_64 (QEMU {accel})', 'arm64': 'arm64 (QEMU TCG)', 'um': 'UML (native)'}

# Measurements in table order: (key, label, metric, lower_is_better)
def measurements():
    out = []
    for order in (0, 3, 9):
        for threads in (1, 2):
            out.append((('alloc_free', order, threads, ''),
                        'alloc+free order %d, %s' % (order, cpus(threads)),
                        'ns_per_op'))
    out.append((('pagefault', '', '', ''), 'page faults (order 0)', 'ns_per_page'))
    return out




def cpus(n):
    return '%d CPU%s' % (n, 's' if n > 1 else '')


def parse_log(path):
    rows, rc, cmdline = [], None, ''
    with open(path, 'rb') as f:
        for raw in f:
            line = raw.decode('utf-8', 'replace').rstrip('\n')
            m = re.search(r'PEC-JOB-END \S+ rc=(\d+)', line)
            if m:
                rc = int(m.group(1))
            i = line.find('PEC-BENCH test=')
            if i < 0:
                continue
            line = line[i + len('PEC-BENCH '):]
            if line.startswith('test=cmdline '):
                cmdline = line[len('test=cmdline '):]
                continue
            kv = dict(t.split('=', 1) for t in line.split() if '=' in t)
            rows.append(kv)
    return rows, rc, cmdline


def key_of(r):
    t = r.get('test')
    if t == 'alloc_free':
        return (t, int(r['order']), int(r['threads']), '')
    if t == 'updates':
        return (t, int(r['order']), '', '')
    return (t, '', '', '')


def fnum(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def fmt_val(v, metric):
    if v is None:
        return '-'
    if metric == 'pages_per_sec':
        return '%.1fM/s' % (v / 1e6)
    if v >= 1000:
        return '%.0f' % v
    return '%.1f' % v


def fmt_ratio(r):
    if r is None:
        return '-'
    return '%.3fx' % r if r < 10 else '%.1fx' % r


def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    plot = '--no-plot' not in sys.argv
    run_dir, out_dir = args[0], args[1]
    meta = json.load(open(os.path.join(run_dir, 'meta.json')))

    # ---- CSV: one row per measurement per boot ----------------------------
    boots, rows = [], []
    for name in sorted(os.listdir(run_dir)):
        m = re.match(r'(\w+)__([\w+]+)__r(\d+)__(\d+)\.log$', name)
        if not m:
            continue
        arch, config, rnd, pos = m.group(1), m.group(2), int(m.group(3)), int(m.group(4))
        recs, rc, cmdline = parse_log(os.path.join(run_dir, name))
        boots.append(dict(arch=arch, config=config, round=rnd, rc=rc, log=name))
        if rc != 0:
            continue
        for r in recs:
            if r.get('test') in ('info', 'done'):
                continue
            rows.append(dict(r, arch=arch, config=config, round=rnd, position=pos,
                             cmdline=cmdline, log=name))
    fixed = ['run_id', 'started', 'command', 'arch', 'config', 'round', 'position',
             'test', 'order', 'threads', 'kind']
    extra = sorted({k for r in rows for k in r} - set(fixed) - {'cmdline', 'log'})
    header = fixed + extra + ['cmdline', 'log']
    csv_path = os.path.join(out_dir, 'results.csv')
    with open(csv_path, 'w', newline='') as f:
        w = csv.DictWriter(f, header, extrasaction='ignore')
        w.writeheader()
        for r in rows:
            w.writerow(dict(r, run_id=meta['run_id'], started=meta['started'],
                            command=meta['command']))

    # ---- medians ------------------------------------------------------------
    data = {}   # (arch, config, key, metric) -> {round: value}
    for r in rows:
        for metric in ('ns_per_op', 'ns_per_page', 'pages_per_sec', 'max_lock_hold_us',
                       'bytes', 'pages', 'init_us', 'scrub_us', 'stats_us'):
            v = fnum(r.get(metric))
            if v is not None:
                data.setdefault((r['arch'], r['config'], key_of(r), metric), {})[r['round']] = v

    def med(arch, config, key, metric):
        d = data.get((arch, config, key, metric))
        return statistics.median(d.values()) if d else None

    def ratio(arch, num, den, key, metric):
        a, b = med(arch, num, key, metric), med(arch, den, key, metric)
        if a is None or not b:
            return None, None
        # per-round ratios: the spread is the noise of the comparison
        da, db = data[(arch, num, key, metric)], data[(arch, den, key, metric)]
        pr = [da[k] / db[k] for k in da if k in db and db[k]]
        return a / b, (min(pr), max(pr)) if pr else None

    archs = [a for a in ('x86_64', 'arm64', 'um') if any(b['arch'] == a for b in boots)]
    out = []
    p = out.append
    p('PEC-BENCH results  run %s  started %s' % (meta['run_id'], meta['started']))
    p('command: %s' % meta['command'])
    p('host: %s; %s' % (meta.get('host', '?'), meta.get('notes', '')))
    p('csv: %s   chart: %s' % (os.path.relpath(csv_path, meta.get('repo', out_dir)),
                               os.path.relpath(os.path.join(out_dir, 'ratios.png'),
                                               meta.get('repo', out_dir))))
    bad = [b for b in boots if b['rc'] != 0]
    p('boots: %d, failed: %d%s' % (len(boots), len(bad),
                                   ''.join('\n  FAILED %s (rc=%s)' % (b['log'], b['rc']) for b in bad)))
    p('Values: ns per alloc+free pair / per faulted page (lower is better). Each boot reports its fastest')
    p('sample (2 ms samples in the kernel, one pass per sample for page faults): host load only ever')
    p('adds time to a sample. The table shows the median of those over the rounds.')
    p('Ratios: ratio of medians; [min-max] of the per-round ratios shows the noise.')

    targets = []   # (arch, what, value, limit, sense, met, note)
    plotdata = {}
    for arch in archs:
        accel = meta.get('accel', 'tcg').upper()
        p('')
        p('== %s ==' % ARCH_TITLE[arch].format(accel=accel))
        cols = ['notbuilt', 'off', 'on', 'page_owner', 'on+page_owner']
        hdr = '%-28s' % 'measurement' + ''.join('%10s' % c.replace('page_owner', 'owner') for c in cols)
        hdr += '  %-22s %-22s %-22s %s' % ('off/notbuilt', 'on/off', 'owner/off', '(owner-off)/(on-off)')
        p(hdr)
        pd = plotdata.setdefault(arch, [])
        for key, label, metric in measurements():
            if all(med(arch, c, key, metric) is None for c in cols):
                continue
            line = '%-28s' % label + ''.join('%10s' % fmt_val(med(arch, c, key, metric), metric) for c in cols)
            rs = {}
            for name, num, den in (('off/notbuilt', 'off', 'notbuilt'), ('on/off', 'on', 'off'),
                                   ('owner/off', 'page_owner', 'off'), ('both/off', 'on+page_owner', 'off')):
                rs[name] = ratio(arch, num, den, key, metric)
            for name in ('off/notbuilt', 'on/off', 'owner/off'):
                r, rng = rs[name]
                s = fmt_ratio(r) + (' [%.2f-%.2f]' % rng if rng else '')
                line += '  %-22s' % s
            off, on, own = (med(arch, c, key, metric) for c in ('off', 'on', 'page_owner'))
            rel = None
            if None not in (off, on, own):
                rel = (own - off) / (on - off) if on > off else math.inf
                line += ' %s' % ('inf (checker cost <= 0)' if rel == math.inf else '%.1f' % rel)
            p(line)
            pd.append((label, rs))
            # targets
            if key[0] == 'alloc_free':
                limit = ALLOC_FREE_LIMIT
                r, rng = rs['on/off']
                if r is not None:
                    targets.append((arch, 'on/off alloc+free order %d, %s' % (key[1], cpus(key[2])),
                                    r, limit, '<=', r <= limit, rng))
                if rel is not None:
                    targets.append((arch, '(owner-off)/(on-off) order %d, %s' % (key[1], cpus(key[2])),
                                    rel, 10.0, '>=', rel >= 10, None))
            if key[0] == 'pagefault':
                r, rng = rs['on/off']
                if r is not None:
                    targets.append((arch, 'on/off page faults', r, 1.03, '<=', r <= 1.03, rng))
        p('(off/notbuilt compares two different binaries: with the checker off its hooks are one patched-out')
        p(' branch (x86) or one load and branch (UML), so a larger difference most likely comes from code layout.%s)' %
          (' Under TCG, layout weighs more: QEMU only chains translated blocks within a guest page'
           if arch == 'x86_64' and accel == 'TCG' else ''))
        # off vs not built: geometric mean over the measurements
        offnb = [ratio(arch, 'off', 'notbuilt', k, m)[0] for k, _, m in measurements()]
        offnb = [x for x in offnb if x]
        if offnb:
            g = math.exp(sum(math.log(x) for x in offnb) / len(offnb))
            targets.append((arch, 'off/notbuilt, geomean of %d measurements (worst %.3fx)' % (len(offnb), max(offnb)),
                            g, 1.01, '<=', g <= 1.01, None))
        # scrub
        sc = med(arch, 'on', ('scrub', '', '', ''), 'pages_per_sec')
        hold = med(arch, 'on', ('scrub_hold', '', '', ''), 'max_lock_hold_us')
        if sc is not None:
            p('%-28s%10s pages/s (checker on; median of per-boot medians of %s scrubs)' %
              ('scrub throughput', '%.1fM' % (sc / 1e6), meta.get('scrub_runs', 3)))
            if arch == 'um':
                targets.append((arch, 'scrub throughput (M pages/s)', sc / 1e6, SCRUB_UML_LIMIT / 1e6,
                                '>=', sc >= SCRUB_UML_LIMIT, None))
        rb = med(arch, 'on', ('record', '', '', ''), 'bytes')
        rp = med(arch, 'on', ('record', '', '', ''), 'pages')
        if rb is not None and rp:
            kib = rb / 1024 / (rp * 4096 / 2 ** 30)
            p('%-28s%10s KiB per GiB of tracked memory (%d bytes for %d pages, checker on)' %
              ('record memory', '%.1f' % kib, rb, rp))
            targets.append((arch, 'record memory (KiB per GiB)', kib, RECORD_KIB_PER_GIB_LIMIT, '<=',
                            kib <= RECORD_KIB_PER_GIB_LIMIT, None))
        if hold is not None:
            mx = max(data[(arch, 'on', ('scrub_hold', '', '', ''), 'max_lock_hold_us')].values())
            p('%-28s%10s us (median of per-boot maxima; max %d us)' % ('scrub longest zone-lock hold', '%d' % hold, mx))
        debug_vm_table(arch, med, ratio, p, targets)
        # where the time goes
        p('')
        p('where the checker\'s time goes (1 CPU, ns per alloc+free pair):')
        p('  %-8s %10s %16s %10s %16s' % ('order', 'on-off', 'record updates', 'rest', 'updates/off'))
        for order in (0, 3, 9):
            k = ('alloc_free', order, 1, '')
            off, on = med(arch, 'off', k, 'ns_per_op'), med(arch, 'on', k, 'ns_per_op')
            up = med(arch, 'on', ('updates', order, '', ''), 'ns_per_op')
            if None in (off, on, up):
                continue
            p('  %-8d %10.1f %16.1f %10.1f %16.3f' % (order, on - off, up, (on - off) - up, up / off))
        p('  (record updates = the atomic updates of one pair\'s two transitions, shaped like the')
        p('   checker\'s, on two words of the bench\'s own: the floor of any record kept in two copies')
        p('   and updated atomically; rest = the lookup, the scrub\'s claim, the counters, the')
        p('   read-only checks, branches and cache effects; updates/off = the ratio on/off cannot go')
        p('   below 1 + that)')

    scaling(data, rows, p, targets)
    p('')
    p('== targets (from this run) ==')
    for arch, what, v, limit, sense, met, rng in targets:
        note = ''
        if rng and sense == '<=' and ((rng[0] <= limit) != (rng[1] <= limit)):
            note = '  (per-round range %.2f-%.2f straddles the limit: within noise)' % rng
        p('  %-4s %-62s %9.3f %s %-6g %s%s' % ({'x86_64': 'x86', 'arm64': 'arm64', 'um': 'UML'}[arch], what, v, sense, limit,
                                              'met' if met else 'NOT MET', note))
    table = '\n'.join(out) + '\n'
    open(os.path.join(out_dir, 'table.txt'), 'w').write(table)
    sys.stdout.write(table)

    if plot:
        draw(plotdata, meta, os.path.join(out_dir, 'ratios.png'))


def debug_vm_table(arch, med, ratio, p, targets):
    """The checker's cost beside DEBUG_VM's, on the same measurements.

    DEBUG_VM's kernels are the not-built kernel with CONFIG_DEBUG_VM (and
    CONFIG_DEBUG_LIST), so their cost is against notbuilt; the checker's
    is on against off, one binary.  The last columns divide the first by
    the second: 0.10 means the checker costs a tenth of what DEBUG_VM does.
    """
    if all(med(arch, c, k, m) is None for c in ('debug_vm', 'debug_vm+list')
           for k, _, m in measurements()):
        return
    p('')
    p('beside DEBUG_VM (its kernels: notbuilt + DEBUG_VM, + DEBUG_LIST; cost = time added per op):')
    p('%-28s%10s%10s%10s  %-22s %-22s %10s %10s' % (
        'measurement', 'notbuilt', 'vm', 'vm+list', 'vm/notbuilt', 'vm+list/notbuilt',
        'chk/vm', 'chk/vm+list'))
    for key, label, metric in measurements():
        nb, vm, vl = (med(arch, c, key, metric) for c in ('notbuilt', 'debug_vm', 'debug_vm+list'))
        off, on = med(arch, 'off', key, metric), med(arch, 'on', key, metric)
        if vm is None and vl is None:
            continue
        line = '%-28s' % label + ''.join('%10s' % fmt_val(v, metric) for v in (nb, vm, vl))
        for c in ('debug_vm', 'debug_vm+list'):
            r, rng = ratio(arch, c, 'notbuilt', key, metric)
            line += '  %-22s' % (fmt_ratio(r) + (' [%.2f-%.2f]' % rng if rng else ''))
        for c, v in (('debug_vm', vm), ('debug_vm+list', vl)):
            frac = None
            if None not in (nb, v, off, on) and v > nb:
                frac = (on - off) / (v - nb)
            line += ' %10s' % ('%.2f' % frac if frac is not None else '-')
            if c == 'debug_vm' and frac is not None and key[0] == 'alloc_free':
                targets.append((arch, '(on-off)/(debug_vm-notbuilt) order %d, %s' % (key[1], cpus(key[2])),
                                frac, DEBUG_VM_FRACTION_LIMIT, '<=', frac <= DEBUG_VM_FRACTION_LIMIT, None))
        p(line)
    p('(chk = the checker\'s cost, on - off; a dash where DEBUG_VM added no time)')


def scaling(data, rows, p, targets):
    """The scaling boots: init, scrub and stats walk by guest size and record."""
    sizes = sorted({int(m.group(2)) for r in rows
                    for m in [re.match(r'scale_(\w+?)_(\d+)g$', r['config'])] if m})
    if not sizes:
        return
    designs = [d for d in ('this', 'flagword')
               if any(r['config'].startswith('scale_%s_' % d) for r in rows)]
    title = {'this': 'this tree', 'flagword': 'flags-word record'}
    key = ('scale', '', '', '')

    def med(design, gib, metric):
        d = data.get(('x86_64', 'scale_%s_%dg' % (design, gib), key, metric))
        return statistics.median(d.values()) if d else None

    p('')
    p('== scaling (x86_64, QEMU; checker on; medians over the rounds) ==')
    p('%-20s %6s %12s %14s %14s %14s %14s' % ('record', 'GiB', 'pages', 'init us', 'scrub us',
                                             'stats us', 'record KiB/GiB'))
    for d in designs:
        for g in sizes:
            pages = med(d, g, 'pages')
            kib = None
            rb = None
            for r in rows:
                if r['config'] == 'scale_%s_%dg' % (d, g) and fnum(r.get('record_bytes')):
                    rb = fnum(r['record_bytes'])
            if rb and pages:
                kib = rb / 1024 / (pages * 4096 / 2 ** 30)
            p('%-20s %6d %12s %14s %14s %14s %14s' % (
                title[d], g, '%d' % pages if pages else '-',
                *('%.0f' % v if v is not None else '-' for v in
                  (med(d, g, 'init_us'), med(d, g, 'scrub_us'), med(d, g, 'stats_us'))),
                '%.1f' % kib if kib else '-'))
    for metric, what in (('init_us', 'init'), ('scrub_us', 'scrub'), ('stats_us', 'stats walk')):
        for d in designs:
            vals = [(g, med(d, g, metric)) for g in sizes]
            vals = [(g, v) for g, v in vals if v]
            if len(vals) >= 2:
                per = ['%.0f' % (v / g) for g, v in vals]
                p('  %-12s %-18s us per GiB: %s' % (what, title[d], ' '.join(per)))
        if len(designs) == 2:
            for g in sizes:
                a, b = med('flagword', g, metric), med('this', g, metric)
                if a and b:
                    sp = a / b
                    p('  %-12s %3d GiB: flags-word / this tree = %.2fx' % (what, g, sp))
                    if metric != 'stats_us' and g >= 8:
                        targets.append(('x86_64', '%s at %d GiB: flags-word / dense' % (what, g), sp,
                                        SCALE_SPEEDUP_LIMIT, '>=', sp >= SCALE_SPEEDUP_LIMIT, None))


def draw(plotdata, meta, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    series = [('off/notbuilt', 'built in, off / not built', '#7f7f7f'),
              ('on/off', 'checker on / off', '#1f77b4'),
              ('owner/off', 'page_owner=on / off', '#ff7f0e'),
              ('both/off', 'checker + page_owner / off', '#2ca02c')]
    limits = {'alloc+free order 0': 1.20, 'alloc+free order 3': 1.40,
              'alloc+free order 9': 2.0, 'page faults': 1.03}
    archs = [a for a in ('x86_64', 'arm64', 'um') if plotdata.get(a)]
    fig, axes = plt.subplots(len(archs), 1, figsize=(12, 4.5 * len(archs)), squeeze=False)
    for ax, arch in zip(axes[:, 0], archs):
        items = plotdata[arch]
        width = 0.8 / len(series)
        for i, (name, label, color) in enumerate(series):
            xs, ys, lo, hi = [], [], [], []
            for j, (_, rs) in enumerate(items):
                r, rng = rs[name]
                if r is None:
                    continue
                xs.append(j + (i - 1.5) * width)
                ys.append(r)
                # the ratio of medians may lie outside the per-round range
                lo.append(max(r - rng[0], 0) if rng else 0)
                hi.append(max(rng[1] - r, 0) if rng else 0)
            ax.bar(xs, ys, width, label=label, color=color,
                   yerr=[lo, hi], capsize=2, error_kw=dict(lw=0.8))
        for j, (lbl, rs) in enumerate(items):
            for prefix, lim in limits.items():
                if lbl.startswith(prefix):
                    x = j - 0.5 * width
                    ax.plot([x - width / 2, x + width / 2], [lim, lim], color='red', lw=2)
            x = j - 1.5 * width
            ax.plot([x - width / 2, x + width / 2], [1.01, 1.01], color='red', lw=2)
        ax.axhline(1.0, color='black', lw=0.8)
        ax.set_yscale('log')
        ax.set_xticks(range(len(items)))
        ax.set_xticklabels([l.replace(', ', '\n') for l, _ in items], fontsize=8)
        ax.set_ylabel('ratio (time per op, log scale)')
        ax.set_title(ARCH_TITLE[arch].format(accel=meta.get('accel', 'tcg').upper()))
        ax.grid(axis='y', which='both', alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc='lower center', ncol=4, fontsize=9)
    fig.suptitle('page_ext consistency checker: time ratios, median of %d rounds (red: target; bars: range of '
                 'per-round ratios)\nrun %s: %s' % (meta['rounds'], meta['run_id'], meta['command']),
                 fontsize=10)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)


if __name__ == '__main__':
    main()
