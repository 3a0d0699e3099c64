# SPDX-License-Identifier: GPL-2.0
# The log judge: /init runs it on the whole kernel log (`dmesg -r`) after
# the test script. It writes one KTAP subtest, one test per kind of
# report, failed with the offending lines: oops (and panic), kasan, kcsan
# (any data race or assertion KCSAN reports), ubsan,
# lockdep (and RCU), atomic (sleeping in atomic context), bug (any other
# BUG:, PAGE_POISONING's reports), stall, list (corruption), warning (a
# WARN() outside an expected-warning window, any other WARNING:, a "cut
# here" that no report follows), window (guest-lib.sh's expect_warn_begin N:
# exactly N WARN()s, "N+" at least N, before expect_warn_end), kmemleak
# (outside kmemleak_baseline) and log (the ring buffer wrapped). Only
# plain WARN()s pass in a window. Runs in busybox awk.

function fail(kind, text) {
	if (++bad[kind] <= 20)
		diag[kind] = diag[kind] "# " kind ": " text "\n"
}

function flush_cut() {
	if (cut != "" && !cut_ok)
		fail("warning", "unexplained report: " cut)
	cut = ""
}

BEGIN {
	nk = split("oops kasan kcsan ubsan lockdep atomic bug stall list " \
		"warning window kmemleak log", kinds, " ")
	# The first that matches names the line (so KASAN's "BUG:" is kasan).
	nd = split("kasan kcsan ubsan lockdep atomic oops stall bug list " \
		"kmemleak", det, " ")
	rx[1] = "BUG: KASAN:|KASAN: .*(out-of-bounds|use-after-free)"
	rx[2] = "BUG: KCSAN:"
	rx[3] = "UBSAN:"
	rx[4] = "circular locking|possible recursive locking|inconsistent lock " \
		"state|irq lock inversion|bad unlock balance|held lock freed|" \
		"lock held when returning|suspicious RCU usage|lock held at task " \
		"exit|non-static key|BUG: (key|lock) |BUG: MAX_LOCK|lockdep bug|" \
		"DEBUG_LOCKS_WARN_ON"
	rx[5] = "BUG: (sleeping function called from invalid context|" \
		"scheduling while atomic|workqueue leaked)"
	rx[6] = "Kernel panic - not syncing|Oops: |general protection fault|" \
		"kernel BUG at |BUG: (unable to handle|kernel NULL pointer)"
	rx[7] = "INFO: task .* blocked for more than|detected stalls? on CPU|" \
		"self-detected stall|rcu_preempt detected|soft lockup|hard LOCKUP"
	rx[8] = "BUG:|pagealloc: (single bit error|memory corruption)"
	rx[9] = "list_(add|del) corruption"
	rx[10] = "unreferenced object 0x|Kernel memory leak detector disabled"
	win = -1
}

{
	sub(/^<[0-9]+>/, "")
	sub(/^\[[ 0-9.]*\] ?/, "")
}
/^Linux version / { booted = 1 }
/BUDDY-EXPECT-WARN-BEGIN / {
	if (win >= 0)
		fail("window", "nested window: " $0)
	win_at_least = /\+$/
	win_want = $NF + 0
	win = 0
	next
}
/BUDDY-EXPECT-WARN-END/ {
	if (win < 0)
		fail("window", "window end without begin")
	else if (win < win_want || (!win_at_least && win != win_want))
		fail("window", "expected " (win_at_least ? "at least " : "") \
			win_want " WARN()s in a window, saw " win)
	win = -1
	next
}
/BUDDY-KMEMLEAK-BASELINE-BEGIN/ { baseline = 1; next }
/BUDDY-KMEMLEAK-BASELINE-END/ { baseline = 0; next }
{
	if (cut != "" && ++cut_lines > 10)
		flush_cut()
	for (i = 1; i <= nd; i++)
		if ($0 ~ rx[i]) {
			fail(det[i], $0)
			cut = ""
			next
		}
	if (/kmemleak: [0-9]+ new suspected memory leak/) {
		if (!baseline)
			fail("kmemleak", $0)
	} else if (/WARNING: CPU: [0-9]+ PID: [0-9]+ at /) {
		cut = ""
		if (win >= 0)
			win++
		else
			fail("warning", "WARN() outside a window: " $0)
	} else if (index($0, "------------[ cut here ]------------")) {
		flush_cut()
		cut = $0
		cut_ok = win >= 0
		cut_lines = 0
	} else if (/WARNING:/) {
		cut = ""
		fail("warning", $0)
	}
}

END {
	flush_cut()
	if (win >= 0)
		fail("window", "expected-warning window never closed")
	if (!booted)
		fail("log", "no \"Linux version\" line: the ring buffer wrapped")
	print "KTAP version 1"
	print "# Subtest: kernel"
	print "1.." nk
	for (i = 1; i <= nk; i++) {
		k = kinds[i]
		if (bad[k] > 20)
			fail(k, "... " bad[k] - 20 " more")
		printf "%s", diag[k]
		print (bad[k] ? "not ok " : "ok ") i " " k
	}
}
