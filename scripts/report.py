#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge test output for `make check`.

  report.py guest --name N --console LOG --results RES [--expect-kunit]
                  [--expect-selftests K] [--expect-cpus C] [--expect KIND=N]
                  [--counts FILE]
      Judge one QEMU guest run (see scripts/guest-init for the results
      port's format): KTAP/TAP results, steps, end marker, kernel splats on
      the console, kmemleak, taint and lockdep health.

  report.py tap --name N FILE [--counts FILE]
      Count a TAP stream (the userspace harness).

  report.py sum COUNTS...
      Add up counts files and print the final line "N passed, N failed,
      N skipped"; exit 1 if anything failed.

A counts file holds one line "passed failed skipped".  A failed check that is
not a test (a splat, no end marker, bad taint, a step) adds one to "failed",
so that the final line never says "0 failed" about a run that failed.

TAP/KTAP counting: every leaf result counts once (a KUnit case, a parameter
of a parameterised case, a selftest); a parent "not ok" whose leaves all
passed counts as one more failure; each "1..N" plan must match the number of
results at its level, or the stream counts as failed (a crash mid-run).
"""

import argparse
import re
import sys

RESULT_RE = re.compile(
    r'^(?P<ok>ok|not ok)\b\s*(?P<num>\d+)?\s*(?:-\s*)?(?P<desc>[^#]*?)\s*'
    r'(?:#\s*(?P<dir>.*))?$')
PLAN_RE = re.compile(r'^1\.\.(\d+)\b')
VERSION_RE = re.compile(r'^(?:K?TAP version \d+)')
# Lines of the kernel log: "[   12.345678] text".
TIMESTAMP_RE = re.compile(r'^\[\s*\d+\.\d+\]\s?')

# Kernel splats.  Any console line matching one of these fails the run.
SPLAT_PATTERNS = [
    r'BUG:', r'WARNING:', r'KASAN', r'UBSAN', r'KCSAN',
    r'suspicious RCU usage', r'circular locking', r'recursive locking',
    r'inconsistent lock state', r'possible irq lock inversion',
    r'lock held when returning', r'bad unlock balance', r'held lock freed',
    r'DEBUG_LOCKS_WARN_ON', r'lockdep is turned off', r'ODEBUG',
    r'Call Trace',
    r'unreferenced object', r'still has objects', r'Objects remaining',
    r'Oops', r'general protection fault', r'kernel BUG', r'Kernel panic',
    r'invalid opcode', r'Unable to handle', r'sleeping function called',
    r'scheduling while atomic', r'rcu_(sched|preempt|bh)? ?detected stall',
    r'self-detected stall', r'INFO: task .* blocked', r'list_add corruption',
    r'list_del corruption', r'refcount_t:', r'Poison overwritten',
    r'Redzone', r'Padding overwritten', r'segfault at', r'traps: ',
]
SPLAT_RE = re.compile('|'.join('(?:%s)' % p for p in SPLAT_PATTERNS))
# kmemleak lines that are not reports.
KMEMLEAK_OK_RE = re.compile(
    r'kmemleak: Kernel memory leak detector initialized')
KMEMLEAK_RE = re.compile(r'(?:^|\s)kmemleak: ')
# Boot lines that match a pattern above and are not splats.
SPLAT_OK_RE = re.compile(r'kasan: KernelAddressSanitizer initialized')

TAINT_ALLOWED = (1 << 12) | (1 << 13) | (1 << 18)   # O, E, N
TAINT_FLAGS = 'PFSRMBUDAWCIOELKXTN'


class Counts:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.problems = []

    def fail(self, why):
        self.failed += 1
        self.problems.append(why)

    def add(self, other):
        self.passed += other.passed
        self.failed += other.failed
        self.skipped += other.skipped
        self.problems += other.problems

    def line(self):
        return '%d passed, %d failed, %d skipped' % (
            self.passed, self.failed, self.skipped)


def strip_line(line):
    line = line.rstrip('\r\n').replace('\r', '')
    return TIMESTAMP_RE.sub('', line)


def count_tap(lines, name):
    """Count the leaf results of a TAP/KTAP stream (see the module doc)."""
    c = Counts()
    # Per depth: plan, results seen, whether a deeper result was seen since
    # the last result at this depth (so this depth's next result is a parent).
    plan = {}
    seen = {}
    child = {}
    child_failed = {}
    any_result = False
    stream_started = False

    def close(depth):
        """Check the plans of every level deeper than depth."""
        for d in sorted([d for d in plan if d > depth]):
            if plan[d] is not None and seen.get(d, 0) != plan[d]:
                c.fail('%s: planned %d results at level %d, got %d' %
                       (name, plan[d], d, seen.get(d, 0)))
            del plan[d]
            seen.pop(d, None)

    for raw in lines:
        line = strip_line(raw)
        body = line.lstrip(' \t')
        indent = line[:len(line) - len(body)].expandtabs(8)
        depth = len(indent) // 4
        if not body or body.startswith('#'):
            continue
        if VERSION_RE.match(body):
            if depth == 0 and stream_started:
                close(-1)
                child.clear()
                child_failed.clear()
            stream_started = True
            continue
        m = PLAN_RE.match(body)
        if m:
            close(depth)
            plan[depth] = int(m.group(1))
            seen[depth] = 0
            stream_started = True
            continue
        m = RESULT_RE.match(body)
        if not m:
            continue
        any_result = True
        close(depth)
        seen[depth] = seen.get(depth, 0) + 1
        plan.setdefault(depth, None)
        ok = m.group('ok') == 'ok'
        directive = (m.group('dir') or '').strip().upper()
        desc = (m.group('desc') or '').strip()
        skip = directive.startswith('SKIP') or (
            not ok and directive.startswith('TODO'))
        is_parent = child.get(depth + 1, False)
        kid_failed = child_failed.get(depth + 1, False)
        child[depth + 1] = False
        child_failed[depth + 1] = False
        child[depth] = True
        if is_parent:
            if not ok and not skip and not kid_failed:
                c.fail('%s: %s: not ok (all its subtests passed)' %
                       (name, desc))
                child_failed[depth] = True
            elif not ok and not skip:
                child_failed[depth] = True
            continue
        if skip:
            c.skipped += 1
        elif ok:
            c.passed += 1
        else:
            c.fail('%s: %s: not ok%s' % (
                name, desc, (' # ' + directive) if directive else ''))
            child_failed[depth] = True
    close(-1)
    if not any_result:
        c.fail('%s: no TAP results' % name)
    return c


def parse_results(path):
    """Split the results port's text into records."""
    recs = []
    section = None
    try:
        with open(path, errors='replace') as f:
            lines = f.readlines()
    except OSError as e:
        return [('error', str(e))]
    for raw in lines:
        line = raw.rstrip('\r\n').replace('\r', '')
        if section is not None:
            if line.startswith('BWTREE-SECTION-END ') or \
               line.startswith('BWTREE-KMEMLEAK-END'):
                m = re.search(r'rc=(-?\d+)', line)
                section['rc'] = int(m.group(1)) if m else None
                m = re.search(r'secs=(\d+)', line)
                section['secs'] = int(m.group(1)) if m else None
                recs.append(('section', section))
                section = None
            else:
                section['lines'].append(line)
            continue
        if line.startswith('BWTREE-SECTION-BEGIN '):
            parts = line.split()
            section = {'kind': parts[1], 'name': ' '.join(parts[2:]),
                       'lines': []}
        elif line.startswith('BWTREE-KMEMLEAK-BEGIN'):
            section = {'kind': 'kmemleak', 'name': 'kmemleak', 'lines': []}
        elif line.startswith('BWTREE-'):
            recs.append(('line', line))
    if section is not None:
        recs.append(('cut', section))
    return recs


def scan_console(path, name, c):
    try:
        with open(path, errors='replace') as f:
            lines = [strip_line(x) for x in f]
    except OSError as e:
        c.fail('%s: cannot read console log: %s' % (name, e))
        return
    hits = []
    kcsan = sum(1 for x in lines if 'BUG: KCSAN:' in x)
    for i, line in enumerate(lines):
        bad = SPLAT_RE.search(line) and not SPLAT_OK_RE.search(line)
        if KMEMLEAK_RE.search(line) and not KMEMLEAK_OK_RE.search(line):
            bad = True
        if bad:
            hits.append(i)
    print('%s: kernel splat lines on the console: %d (KCSAN reports: %d)' %
          (name, len(hits), kcsan))
    if hits:
        c.fail('%s: %d kernel splat line(s) on the console, first:' %
               (name, len(hits)))
        shown = 0
        last = -10
        for i in hits:
            if i <= last:
                continue
            lo, hi = max(0, i - 2), min(len(lines), i + 12)
            c.problems.append('    --- %s console line %d ---' % (name, i + 1))
            c.problems.extend('    ' + x for x in lines[lo:hi])
            last = hi
            shown += 1
            if shown >= 3:
                break


def judge_guest(a):
    c = Counts()
    recs = parse_results(a.results)
    begin = end = False
    kunit = 0
    selftests = 0
    kinds = {}
    health = None
    times = []
    for kind, rec in recs:
        if kind == 'error':
            c.fail('%s: cannot read results: %s' % (a.name, rec))
        elif kind == 'cut':
            c.fail('%s: output of %s %s was cut off' %
                   (a.name, rec['kind'], rec['name']))
        elif kind == 'line':
            if rec.startswith('BWTREE-BEGIN'):
                begin = True
                m = re.search(r'cpus=(\d+)', rec)
                if a.expect_cpus and (not m or int(m.group(1)) != a.expect_cpus):
                    c.fail('%s: the guest has %s CPUs, expected %d' % (
                        a.name, m.group(1) if m else '?', a.expect_cpus))
            elif rec.startswith('BWTREE-END'):
                end = True
            elif rec.startswith('BWTREE-STEP'):
                m = re.match(r'BWTREE-STEP (\S+) rc=(-?\d+)', rec)
                if not m or m.group(2) != '0':
                    c.fail('%s: step failed: %s' % (a.name, rec))
                m = re.search(r'secs=(\d+)', rec)
                if m:
                    times.append((int(m.group(1)), rec.split()[1]))
            elif rec.startswith('BWTREE-HEALTH'):
                health = rec
            elif rec.startswith('BWTREE-GUARD'):
                m = re.match(r'BWTREE-GUARD (\S+) (\S+) guard=(\d+) '
                             r'usual=(\S+)', rec)
                if m:
                    c.fail('%s: %s %s hit its hang guard of %s s (usual %s s)'
                           % ((a.name,) + m.groups()))
                else:
                    c.fail('%s: %s' % (a.name, rec))
        else:
            sec = rec
            label = '%s/%s %s' % (a.name, sec['kind'], sec['name'])
            if sec['kind'] == 'kmemleak':
                text = [x for x in sec['lines'] if x.strip()]
                if text:
                    c.fail('%s: kmemleak reports leaks:' % a.name)
                    c.problems.extend('    ' + x for x in text[:40])
                continue
            kinds[sec['kind']] = kinds.get(sec['kind'], 0) + 1
            if sec['kind'] == 'kunit':
                kunit += 1
            elif sec['kind'] == 'selftest':
                selftests += 1
            if sec.get('secs') is not None:
                times.append((sec['secs'], '%s %s' % (sec['kind'], sec['name'])))
            t = count_tap(sec['lines'], label)
            rc = sec.get('rc')
            bad_rc = rc not in (0, 4) if sec['kind'] == 'selftest' else rc != 0
            if bad_rc and t.failed == 0:
                t.fail('%s: exited with status %s' % (label, rc))
            if t.failed:
                tail = [x for x in sec['lines'] if x.strip()][-15:]
                t.problems.append('    --- last lines of %s ---' % label)
                t.problems.extend('    ' + x for x in tail)
            c.add(t)
    if not begin:
        c.fail('%s: the guest never started its work (no BWTREE-BEGIN)' %
               a.name)
    if not end:
        c.fail('%s: the guest never reached its end marker (crash, hang or '
               'timeout)' % a.name)
    if a.expect_kunit and kunit == 0:
        c.fail('%s: no KUnit results' % a.name)
    if a.expect_selftests is not None and selftests != a.expect_selftests:
        c.fail('%s: %d selftest results, expected %d' %
               (a.name, selftests, a.expect_selftests))
    for e in a.expect:
        kind, _, n = e.partition('=')
        if kinds.get(kind, 0) != int(n or 0):
            c.fail('%s: %d %s result section(s), expected %s' %
                   (a.name, kinds.get(kind, 0), kind, n))
    if end:
        m = re.match(r'BWTREE-HEALTH tainted=(\S+) debug_locks=(\S+)',
                     health or '')
        if not m:
            c.fail('%s: no health report' % a.name)
        else:
            try:
                t = int(m.group(1))
            except ValueError:
                t = None
            if t is None:
                c.fail('%s: cannot read /proc/sys/kernel/tainted (%s)' %
                       (a.name, m.group(1)))
            elif t & ~TAINT_ALLOWED:
                flags = ''.join(f for i, f in enumerate(TAINT_FLAGS)
                                if t & ~TAINT_ALLOWED & (1 << i))
                c.fail('%s: kernel tainted %d (bad flags: %s)' %
                       (a.name, t, flags or '?'))
            if m.group(2) not in ('1', 'na'):
                c.fail('%s: lockdep turned itself off (debug_locks=%s)' %
                       (a.name, m.group(2)))
    scan_console(a.console, a.name, c)
    if times:
        print('%s: in-guest seconds: %s' % (a.name, ', '.join(
            '%s %d' % (n, t) for t, n in sorted(times, reverse=True))))
    return c


def write_counts(path, c):
    if path:
        with open(path, 'w') as f:
            f.write('%d %d %d\n' % (c.passed, c.failed, c.skipped))


def report(name, c):
    for p in c.problems:
        print('FAIL: ' + p if not p.startswith('    ') else p)
    print('%s: %s' % (name, c.line()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    g = sub.add_parser('guest')
    g.add_argument('--name', required=True)
    g.add_argument('--console', required=True)
    g.add_argument('--results', required=True)
    g.add_argument('--expect-kunit', action='store_true')
    g.add_argument('--expect-selftests', type=int)
    g.add_argument('--expect-cpus', type=int)
    g.add_argument('--expect', action='append', default=[],
                   metavar='KIND=N',
                   help='exactly N result sections of KIND (fault, stress, '
                   'unload, ...)')
    g.add_argument('--counts')
    t = sub.add_parser('tap')
    t.add_argument('--name', required=True)
    t.add_argument('--counts')
    t.add_argument('file')
    s = sub.add_parser('sum')
    s.add_argument('counts', nargs='+')
    a = ap.parse_args()

    if a.cmd == 'guest':
        c = judge_guest(a)
        report(a.name, c)
        write_counts(a.counts, c)
        return 1 if c.failed else 0
    if a.cmd == 'tap':
        with open(a.file, errors='replace') as f:
            c = count_tap(f.readlines(), a.name)
        report(a.name, c)
        write_counts(a.counts, c)
        return 1 if c.failed else 0
    total = Counts()
    for path in a.counts:
        try:
            with open(path) as f:
                p, fl, sk = (int(x) for x in f.read().split())
        except (OSError, ValueError):
            p, fl, sk = 0, 1, 0
            print('FAIL: no counts in %s' % path)
        total.passed += p
        total.failed += fl
        total.skipped += sk
    print(total.line())
    return 1 if total.failed else 0


if __name__ == '__main__':
    sys.exit(main())
