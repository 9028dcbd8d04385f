#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge test output for `make check`.

  report.py guest --name N --console LOG --results RES [--expect-cpus C]
                  [--stages S,... --selftests-list FILE --kunit yes|no]
                  [--stage-table FILE] [--expect KIND=N] [--counts FILE]
      Judge one QEMU guest run (see scripts/guest-init for the results
      port's format): KTAP/TAP results, steps, end marker, kernel splats on
      the console, kmemleak, taint and lockdep health.  --stages: the stages
      the guest ran (check mode); the stage table (scripts/stages) says which
      result sections each must produce, --selftests-list the selftests the
      initramfs holds, --kunit whether the kernel has KUnit.  --expect: a
      guest of another mode (make soak) must have N sections of KIND.

  report.py tap --name N FILE [--counts FILE]
      Count a TAP stream (the userspace harness).

  report.py sum COUNTS...
      Add up counts files and print the final line "N passed, N failed,
      N skipped"; exit 1 if anything failed.

A counts file holds one line "passed failed skipped".  A failed check that is
not a test (a splat, no end marker, bad taint, a step) adds one to "failed",
so that the final line never says "0 failed" about a run that failed.

TAP/KTAP is parsed by the kernel's own parser, kunit_parser of
tools/testing/kunit in linux-source-6.12 (--ksrc, default the tree that
scripts/kernel.sh extracts).  Counting: every leaf result counts once (a
KUnit case, a parameter of a parameterised case, a selftest); a crashed or
missing one (fewer results than the plan) is a failure; each error the
parser reports (a missing result line, no tests) is a failure; a parent
"not ok" whose leaves all passed counts as one more failure; results after
the plan, or no results at all, count as failed too.
"""

import argparse
import importlib
import io
import os
import re
import sys

# Lines of the kernel log: "[   12.345678] text".
TIMESTAMP_RE = re.compile(r'^\[\s*\d+\.\d+\]\s?')
# A TAP/KTAP stream starts with its version line at column 0.
VERSION_RE = re.compile(r'^K?TAP version \d+')

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
# The boot line of a KCSAN kernel.
KCSAN_BOOT_RE = re.compile(r'^kcsan: (?:strict mode configured|enabled early)')
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


KSRC_DEFAULT = os.path.join(
    os.environ.get('BWTREE_CACHE',
                   os.path.expanduser('~/.cache/bwtree')), 'linux-source-6.12')
kunit_parser = None


def load_kunit_parser(ksrc):
    """Import kunit_parser from the kernel tree KSRC; exit if it is not there."""
    global kunit_parser
    tool = os.path.join(ksrc, 'tools', 'testing', 'kunit')
    if not os.path.isfile(os.path.join(tool, 'kunit_parser.py')):
        sys.exit('report.py: no %s/kunit_parser.py: the kernel tree comes from '
                 "Debian's linux-source-6.12, extracted by scripts/kernel.sh "
                 '--source (or give --ksrc)' % tool)
    sys.dont_write_bytecode = True   # (the tree is shared: write nothing)
    sys.path.insert(0, tool)
    kunit_parser = importlib.import_module('kunit_parser')


class ParserErrors:
    """Stands in for kunit_printer.stdout: keeps the parser's [ERROR] lines
    and drops its progress output."""

    def __init__(self):
        self.errors = []

    def print_with_timestamp(self, message):
        if '[ERROR]' in message:
            self.errors.append(message.split('[ERROR]', 1)[1].strip())

    def print(self, message):
        pass

    def red(self, text):
        return text

    yellow = green = red

    def color_len(self):
        return 0


def tap_streams(lines):
    """Split lines into TAP/KTAP streams, one per version line at column 0
    (a section or log may hold several programs' output)."""
    streams = []
    cur = None
    for raw in lines:
        line = strip_line(raw)
        if VERSION_RE.match(line):
            cur = []
            streams.append(cur)
        if cur is not None:
            cur.append(line)
    return streams


def count_test(test, name, c, top=True):
    """Add the leaf counts of a parsed test tree to c (see the module doc)."""
    if not test.subtests:
        st = test.status
        if st == kunit_parser.TestStatus.SUCCESS:
            c.passed += 1
        elif st == kunit_parser.TestStatus.SKIPPED:
            c.skipped += 1
        elif st == kunit_parser.TestStatus.FAILURE:
            c.fail('%s: %s: not ok' % (name, test.name))
        elif test.name:
            c.fail('%s: %s: crashed (no result line)' % (name, test.name))
        else:
            c.fail('%s: a result of the plan is missing' % name)
        return
    for sub in test.subtests:
        count_test(sub, name, c, False)
    if not top and test.status == kunit_parser.TestStatus.FAILURE and \
            not test.counts.failed and not test.counts.crashed:
        c.fail('%s: %s: not ok (all its subtests passed)' % (name, test.name))


def count_tap(lines, name):
    """Count the results of the TAP/KTAP streams in lines."""
    c = Counts()
    streams = tap_streams(lines)
    saved = kunit_parser.stdout
    try:
        for stream in streams:
            out = ParserErrors()
            kunit_parser.stdout = out
            ls = kunit_parser.extract_tap_lines(stream)
            test = kunit_parser.parse_test(ls, 0, [], False)
            before = c.failed
            count_test(test, name, c)
            # A missing subtest is a crashed leaf (counted there) and an
            # error: count it once.  A gap in the numbering is one error per
            # later result: one failure, or none beside a missing result.
            seq = [e for e in out.errors if 'Expected test number' in e]
            for e in out.errors:
                if 'missing expected subtest' not in e and e not in seq:
                    c.fail('%s: TAP: %s' % (name, e))
            if seq:
                why = '%s: TAP: %d result(s) out of sequence, first: %s' % (
                    name, len(seq), seq[0])
                if c.failed > before:
                    c.problems.append(why)
                else:
                    c.fail(why)
            extra = sum(1 for x in ls if kunit_parser.TEST_RESULT.match(x))
            if extra:
                c.fail('%s: %d result(s) after the plan' % (name, extra))
    finally:
        kunit_parser.stdout = saved
    if c.passed + c.failed + c.skipped == 0:
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
        return []
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
    return lines


def read_stage_table(path):
    """The stage table (scripts/stages): {stage: {kind: N|'list'|'some'}}."""
    table = {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w or w[0].startswith('#'):
                continue
            if len(w) != 3:
                raise ValueError('%s: bad line: %s' % (path, line.strip()))
            table[w[0]] = dict(x.split('=', 1) for x in w[2].split(','))
    return table


def expected_sections(a, c):
    """From --stages: {kind: (at least, exactly or None)} and the selftest
    names; every missing input is a failure."""
    want = {}
    names = None
    try:
        table = read_stage_table(a.stage_table)
    except (OSError, ValueError) as e:
        c.fail('%s: cannot read the stage table: %s' % (a.name, e))
        return want, names
    if a.kunit is None:
        c.fail('%s: --stages without --kunit yes|no' % a.name)
    stages = [x for x in a.stages.split(',') if x]
    if not stages:
        c.fail('%s: no stages' % a.name)
    for st in stages:
        if st not in table:
            c.fail('%s: stage %s is not in %s' % (a.name, st, a.stage_table))
            continue
        for kind, n in table[st].items():
            lo, exact = want.get(kind, (0, 0))
            if kind == 'kunit' and a.kunit != 'yes':
                n = '0'
            if n == 'list':
                try:
                    with open(a.selftests_list or '') as f:
                        names = f.read().split()
                except OSError as e:
                    c.fail('%s: cannot read the selftests list: %s' %
                           (a.name, e))
                    names = []
                if not names:
                    c.fail('%s: stage %s and no selftests in the list %s' %
                           (a.name, st, a.selftests_list))
                n = str(len(names))
            if n == 'some':
                want[kind] = (lo + 1, None)
            else:
                want[kind] = (lo + int(n), None if exact is None
                              else exact + int(n))
    return want, names


def judge_guest(a):
    c = Counts()
    recs = parse_results(a.results)
    begin = end = False
    kinds = {}
    selftest_names = []
    health = None
    times = []
    kmemleak = kcsan_on = False
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
            elif rec.startswith('BWTREE-NOTE kcsan-whitelist'):
                kcsan_on = True
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
                kmemleak = True
                text = [x for x in sec['lines'] if x.strip()]
                if text:
                    c.fail('%s: kmemleak reports leaks:' % a.name)
                    c.problems.extend('    ' + x for x in text[:40])
                continue
            kinds[sec['kind']] = kinds.get(sec['kind'], 0) + 1
            if sec['kind'] == 'selftest':
                selftest_names.append(sec['name'])
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
    want = {}
    if a.stages is not None:
        want, names = expected_sections(a, c)
        if names is not None and len(names) == len(selftest_names) and \
                sorted(names) != sorted(selftest_names):
            c.fail('%s: selftest sections %s, expected %s' % (
                a.name, ' '.join(selftest_names) or 'none', ' '.join(names)))
    for e in a.expect:
        kind, _, n = e.partition('=')
        want[kind] = (int(n or 0), int(n or 0))
    # Every kind of section seen or wanted: as many as the stages make.
    for kind in sorted(set(want) | set(kinds)) if want else []:
        lo, exact = want.get(kind, (0, 0))
        got = kinds.get(kind, 0)
        if got < lo or (exact is not None and got != exact):
            c.fail('%s: %d %s result section(s), expected %s%d' % (
                a.name, got, kind, 'at least ' if exact is None else '', lo))
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
    console = scan_console(a.console, a.name, c)
    # A checker the kernel has must have been used (the guest skips one its
    # kernel lacks): kmemleak scanned, KCSAN turned on (it boots off).
    if end and any(KMEMLEAK_OK_RE.search(x) for x in console) and not kmemleak:
        c.fail('%s: the kernel has kmemleak but the guest sent no kmemleak '
               'report' % a.name)
    if end and any(KCSAN_BOOT_RE.search(x) for x in console) and not kcsan_on:
        c.fail('%s: the kernel has KCSAN but the guest never turned it on '
               '(no kcsan-whitelist note)' % a.name)
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
    g.add_argument('--expect-cpus', type=int)
    g.add_argument('--stages', help='the stages the guest ran (S,S,...)')
    g.add_argument('--stage-table', default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), 'stages'))
    g.add_argument('--selftests-list',
                   help='the selftests of the initramfs, one a line')
    g.add_argument('--kunit', choices=('yes', 'no'),
                   help='whether the guest kernel has KUnit')
    g.add_argument('--expect', action='append', default=[],
                   metavar='KIND=N',
                   help='exactly N result sections of KIND (a guest that is '
                   'not in check mode: make soak)')
    g.add_argument('--counts')
    t = sub.add_parser('tap')
    t.add_argument('--name', required=True)
    t.add_argument('--counts')
    t.add_argument('file')
    for p in (g, t):
        p.add_argument('--ksrc', default=KSRC_DEFAULT,
                       help='the linux-source-6.12 tree (its kunit_parser)')
    s = sub.add_parser('sum')
    s.add_argument('counts', nargs='+')
    a = ap.parse_args()
    if a.cmd in ('guest', 'tap'):
        load_kunit_parser(a.ksrc)

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
