#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge a test VM console log written by scripts/qemu-run.sh.

Usage: check-log.py [--kunit KDIR] [--expect-kunit] LOG

  --kunit KDIR     parse KUnit results with KDIR/tools/testing/kunit/kunit.py
                   (without it, a KUnit case fails the run only through
                   a "not ok" line, and counts are not printed)
  --expect-kunit   fail unless at least one KUnit test ran

The run fails, with one "check-log: FAIL [reason]" line per offending
log line, on:
  panic     Kernel panic
  oops      Oops, general protection fault, kernel BUG at, BUG: unable
            to handle / NULL pointer dereference
  kasan     BUG: KASAN
  ubsan     UBSAN:
  lockdep   lockdep and RCU reports (circular/recursive locking,
            inconsistent lock state, bad unlock balance, ...)
  atomic    BUG: sleeping function called from invalid context,
            BUG: scheduling while atomic
  bug       any other BUG:, and PAGE_POISONING's reports of a free page
            written to (pagealloc: memory corruption / single bit error)
  stall     hung task or RCU stall reports
  list      list_add/list_del corruption (even inside a window)
  warning   a WARN() ("WARNING: CPU: n PID: n at") outside an
            expected-warning window, any other "WARNING:" line, and a
            "cut here" banner that no report line follows
  window    a window whose WARN() count is wrong, nested or unclosed
  kmemleak  "unreferenced object", a "BUDDY-KMEMLEAK leaks=N" line from
            lib.sh, the kernel's "N new suspected memory leaks" outside
            kmemleak_baseline, or kmemleak disabling itself
  check     a "BUDDY-CHECK fail" line from lib.sh
  kunit     a failed, crashed or unparsable KUnit test; no test at all
            when --expect-kunit is given, or a KTAP plan that ran zero
  marker    no BUDDY-VM-DONE marker: the guest hung, crashed or timed out
  rc        BUDDY-VM-DONE rc=N with N != 0

Expected-warning windows: lib.sh's expect_warn_begin N writes
"BUDDY-EXPECT-WARN-BEGIN N" and expect_warn_end "BUDDY-EXPECT-WARN-END"
to /dev/kmsg. Between them WARN()s are allowed and counted; the window
fails unless it saw exactly N of them ("N+": at least N). Only plain
WARN()s are allowed: lockdep, KASAN, UBSAN and BUG reports still fail.

KUnit: the kernel prints each suite as an indented KTAP subtest (6.12
adds a top-level "KTAP version 1 / 1..n" header per module, 6.1 none),
with a timestamp and interleaved with other kernel lines, and numbers
suites across modules. kunit.py parse keys on the first "KTAP version"
line and strips that line's prefix width from every later line, so it
misreads such a log. This script cuts out each suite block (from its
"# Subtest:" header to its top-level result line), strips timestamps,
renumbers the blocks under one "KTAP version 1 / 1..n" header and
parses that document with kunit.py.

Exit status: 0 pass, 1 fail, 2 usage error.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile



def parse_args():
    ap = argparse.ArgumentParser(
        description='Judge a test VM console log written by scripts/qemu-run.sh.')
    ap.add_argument('--kunit', metavar='KDIR',
                    help='parse KUnit results with KDIR/tools/testing/kunit/kunit.py')
    ap.add_argument('--expect-kunit', action='store_true',
                    help='fail unless at least one KUnit test ran')
    ap.add_argument('log')
    args = ap.parse_args()
    if not os.path.isfile(args.log):
        ap.error('no log ' + args.log)
    path = ''
    if args.kunit:
        path = os.path.join(args.kunit, 'tools/testing/kunit/kunit.py')
        if not os.path.isfile(path):
            ap.error('no ' + path)
    return args.log, path, args.expect_kunit


log_path, kunit_py, expect_kunit = parse_args()

TS = re.compile(r'\[\s*\d+\.\d{6}\] ?')
WARN_CPU = re.compile(r'WARNING: CPU: \d+ PID: \d+ at ')
CUT_HERE = '------------[ cut here ]------------'

# (reason, regex) in priority order; the first match names the line.
DETECTORS = [
    ('panic', re.compile(r'Kernel panic - not syncing')),
    ('kasan', re.compile(r'BUG: KASAN:|KASAN: .*(?:out-of-bounds|use-after-free)')),
    ('ubsan', re.compile(r'UBSAN:')),
    ('lockdep', re.compile(
        r'possible circular locking dependency|possible recursive locking'
        r'|inconsistent lock state|possible irq lock inversion'
        r'|bad unlock balance|held lock freed|lock held when returning'
        r'|suspicious RCU usage|lock held at task exit|circular locking'
        r'|trying to register non-static key|BUG: (?:key|lock) '
        r'|BUG: MAX_LOCK|lockdep bug|DEBUG_LOCKS_WARN_ON')),
    ('atomic', re.compile(
        r'BUG: sleeping function called from invalid context'
        r'|BUG: scheduling while atomic|BUG: workqueue leaked')),
    ('oops', re.compile(
        r'Oops: |general protection fault|kernel BUG at '
        r'|BUG: unable to handle|BUG: kernel NULL pointer')),
    ('bug', re.compile(
        r'BUG:|pagealloc: (?:single bit error|memory corruption)')),
    ('stall', re.compile(
        r'INFO: task .* blocked for more than|detected stalls? on CPU'
        r'|self-detected stall|rcu_preempt detected|soft lockup|hard LOCKUP')),
    ('list', re.compile(r'list_(?:add|del) corruption')),
    ('kmemleak', re.compile(
        r'unreferenced object 0x|Kernel memory leak detector disabled')),
]
NEW_LEAKS = re.compile(r'kmemleak: \d+ new suspected memory leak')
SUBTEST = re.compile(r'^    # Subtest: ')
SUITE_KTAP = re.compile(r'^    K?TAP version \d+$')
TOP_RESULT = re.compile(r'^(ok|not ok) \d+(.*)$')

failures = []           # (reason, line number, text)
def fail(reason, lineno, text):
    failures.append((reason, lineno, text))

def close_block(block):
    """End a suite that never printed its result, so that kunit.py
    reports its missing cases instead of nesting the next suite in it."""
    name = SUBTEST.sub('', block[1]).strip()
    fail('kunit', 0, 'KUnit suite %s ended without a result line' % name)
    return block + ['not ok 0 %s # suite cut short' % name]

# A "cut here" banner opens a WARN(), BUG() or (6.12) UBSAN report; the
# report's own line, at most CUT_SPAN lines later, decides what it is.
# A banner that no report follows is a failure outside a window.
CUT_SPAN = 10
cut = None              # (line number, text, inside a window)
def flush_cut():
    global cut
    if cut and not cut[2]:
        fail('warning', cut[0], 'unexplained report: ' + cut[1])
    cut = None

with open(log_path, 'r', errors='replace') as f:
    lines = [l.rstrip('\r\n').replace('\r', '') for l in f]

window = None           # [expected, at_least, seen, begin line]
in_baseline = False
done_rc = None
checks_ok = checks_fail = 0
checks_summary = None
blocks = []             # KUnit suite blocks, lists of stripped lines
cur = None
pending_ktap = None

for n, line in enumerate(lines, 1):
    m = TS.search(line)
    ktext = line[m.end():] if m else None

    # KUnit suite blocks, from kernel lines only.
    if ktext is not None:
        if cur is None:
            if SUITE_KTAP.match(ktext):
                pending_ktap = ktext
            elif SUBTEST.match(ktext):
                cur = [pending_ktap or '    KTAP version 1', ktext]
                pending_ktap = None
            else:
                pending_ktap = None
        elif TOP_RESULT.match(ktext):
            cur.append(ktext)
            blocks.append(cur)
            cur = None
        elif SUBTEST.match(ktext):
            # A new suite began before the last one printed its result
            # (it crashed): close the cut-short block for the parser.
            head = '    KTAP version 1'
            if SUITE_KTAP.match(cur[-1]):
                head = cur.pop()
            blocks.append(close_block(cur))
            cur = [head, ktext]
        else:
            cur.append(ktext)

    # Protocol lines from lib.sh and /init.
    r = re.search(r'BUDDY-EXPECT-WARN-BEGIN (\d+)(\+?)', line)
    if r:
        if window:
            fail('window', n, 'nested window (opened at line %d): %s'
                 % (window[3], line))
        window = [int(r.group(1)), r.group(2) == '+', 0, n]
        continue
    if 'BUDDY-EXPECT-WARN-END' in line:
        if not window:
            fail('window', n, 'window end without begin: ' + line)
        else:
            exp, at_least, seen, begin = window
            if seen < exp or (not at_least and seen != exp):
                fail('window', n, 'expected %s%d WARN()s in the window '
                     'opened at line %d, saw %d'
                     % ('at least ' if at_least else '', exp, begin, seen))
            window = None
        continue
    if 'BUDDY-KMEMLEAK-BASELINE-BEGIN' in line:
        in_baseline = True
        continue
    if 'BUDDY-KMEMLEAK-BASELINE-END' in line:
        in_baseline = False
        continue
    r = re.search(r'BUDDY-KMEMLEAK leaks=(\d+)', line)
    if r:
        if int(r.group(1)):
            fail('kmemleak', n, line)
        continue
    if 'BUDDY-CHECK fail ' in line:
        checks_fail += 1
        fail('check', n, line)
        continue
    if 'BUDDY-CHECK ok ' in line:
        checks_ok += 1
        continue
    r = re.search(r'BUDDY-CHECKS passed=(\d+) failed=(\d+)', line)
    if r:
        checks_summary = (int(r.group(1)), int(r.group(2)))
        continue
    r = re.search(r'BUDDY-VM-DONE rc=(\d+)', line)
    if r:
        done_rc = int(r.group(1))
        continue

    # Kernel reports.
    if cut and n - cut[0] > CUT_SPAN:
        flush_cut()
    for reason, rx in DETECTORS:
        if rx.search(line):
            fail(reason, n, line)
            cut = None
            break
    else:
        if NEW_LEAKS.search(line):
            if not in_baseline:
                fail('kmemleak', n, line)
        elif WARN_CPU.search(line):
            cut = None
            if window:
                window[2] += 1
            else:
                fail('warning', n, 'WARN() outside an expected-warning '
                     'window: ' + line)
        elif CUT_HERE in line:
            flush_cut()
            cut = (n, line, bool(window))
        elif 'WARNING:' in line:
            cut = None
            fail('warning', n, line)

flush_cut()
if cur is not None:
    blocks.append(close_block(cur))
if window:
    fail('window', window[3], 'expected-warning window never closed')
if done_rc is None:
    fail('marker', len(lines), 'no BUDDY-VM-DONE marker: the guest hung, '
         'crashed or timed out')
elif done_rc != 0:
    fail('rc', len(lines), 'guest script exited with status %d' % done_rc)

# Checks recorded by lib.sh.
if checks_summary:
    print('checks: %d passed, %d failed' % checks_summary)
    if checks_summary != (checks_ok, checks_fail):
        print('check-log: note: BUDDY-CHECKS says %d/%d but the log has '
              '%d ok and %d fail lines' % (checks_summary + (checks_ok,
                                                             checks_fail)))
elif checks_ok or checks_fail:
    print('checks: %d passed, %d failed' % (checks_ok, checks_fail))

# KUnit.
def kunit_fallback():
    bad = 0
    for b in blocks:
        for t in b:
            if re.match(r'^\s*not ok \d+', t):
                bad += 1
                fail('kunit', 0, 'KUnit: ' + t.strip())
    return bad

if not blocks:
    if expect_kunit:
        fail('kunit', 0, 'no KUnit results in the log')
elif not kunit_py:
    kunit_fallback()
else:
    doc = ['KTAP version 1', '1..%d' % len(blocks)]
    for i, b in enumerate(blocks, 1):
        for t in b:
            r = TOP_RESULT.match(t)
            doc.append('%s %d%s' % (r.group(1), i, r.group(2)) if r else t)
    with tempfile.NamedTemporaryFile('w', suffix='.ktap', delete=False) as tf:
        tf.write('\n'.join(doc) + '\n')
        ktap = tf.name
    try:
        p = subprocess.run([sys.executable, kunit_py, 'parse', ktap],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
    finally:
        os.unlink(ktap)
    out = re.sub(r'\x1b\[[0-9;]*m', '', p.stdout)
    summ = re.search(r'Testing complete\. Ran (\d+) tests?:?(.*)', out)
    counts = {'passed': 0, 'failed': 0, 'crashed': 0, 'skipped': 0,
              'errors': 0}
    total = 0
    if summ:
        total = int(summ.group(1))
        for k, v in re.findall(r'(\w+): (\d+)', summ.group(2)):
            counts[k.lower()] = int(v)
    bad = counts['failed'] + counts['crashed'] + counts['errors']
    print('kunit: %d passed, %d failed, %d skipped'
          % (counts['passed'], counts['failed'] + counts['crashed'],
             counts['skipped'])
          + (' (%d crashed, %d parse errors)'
             % (counts['crashed'], counts['errors'])
             if counts['crashed'] or counts['errors'] else ''))
    if not summ:
        fail('kunit', 0, 'kunit.py parse printed no summary')
    elif total == 0:
        fail('kunit', 0, 'KUnit output present but zero tests ran')
    elif bad:
        fail('kunit', 0, 'KUnit: %d failed, %d crashed, %d parse errors'
             % (counts['failed'], counts['crashed'], counts['errors']))
    elif p.returncode != 0:
        fail('kunit', 0, 'kunit.py parse exited with status %d'
             % p.returncode)
    if summ is None or bad or p.returncode != 0 or total == 0:
        for t in out.splitlines():
            print('  kunit.py| ' + t)

LIMIT = 20
shown = {}
for reason, n, text in failures:
    shown[reason] = shown.get(reason, 0) + 1
    if shown[reason] <= LIMIT:
        where = 'line %d: ' % n if n else ''
        print('check-log: FAIL [%s] %s%s' % (reason, where, text.strip()))
for reason, count in shown.items():
    if count > LIMIT:
        print('check-log: FAIL [%s] ... %d more' % (reason, count - LIMIT))

if failures:
    print('check-log: FAIL %s: %s' % (log_path, ', '.join(sorted(shown))))
    sys.exit(1)
print('check-log: PASS %s' % log_path)
