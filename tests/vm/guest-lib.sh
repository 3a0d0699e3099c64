# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# Helpers for guest scripts run by scripts/qemu-run.sh, which installs
# this file as /root/guest-lib.sh. Source it with `. /root/guest-lib.sh`.
# Written for busybox ash; it also runs under bash and dash.
#
# Each check is one KTAP line, "ok N NAME" or "not ok N NAME", of the
# subtest /init opens for the script. KTAP lines go to the result port
# KTAP_OUT (ttyS1, which qemu-run.sh makes a file on the host) and
# nowhere else, so no other output can cut into one; each is one write()
# of a whole line. N is kept in a file, so the checks of subshells count
# too.
#
# The assert_* helpers return 1 on failure so a script can stop early
# (`assert_ok insmod x.ko || exit 1`); t_ok and t_fail always return 0.
# Prefer no `set -e`, and end with `t_summary`, whose status becomes the
# script's exit status, which /init records as one more check.

BUDDY_PASSED=0
BUDDY_FAILED=0
KTAP_N=/tmp/ktap.n KTAP_IND="    " KTAP_OUT=${KTAP_OUT:-/dev/ttyS1}

# say TEXT... - write a line to the kernel log (and so the console), where
# the log judge reads the markers below.
say() {
	echo "$*" 2>/dev/null > /dev/kmsg || echo "$*"
}

# ktap LINE - one line of the script's KTAP subtest (echo is a builtin:
# no fork).
ktap() {
	echo "$KTAP_IND$*" > "$KTAP_OUT"
}

# ktap_next - the next test number, in KTAP_NUM. No command substitution
# here or in ktap_result: a fork costs ~0.1 s on the debug kernels under
# TCG, and a boot records hundreds of checks.
ktap_next() {
	KTAP_NUM=0
	[ -f $KTAP_N ] && read -r KTAP_NUM < $KTAP_N
	KTAP_NUM=$((KTAP_NUM + 1))
	echo $KTAP_NUM > $KTAP_N
}

# busybox sh runs its own insmod applet even when /sbin/insmod exists;
# that applet retries a failed finit_module() with init_module(), so a
# failing module init would run twice. Use the single-shot one.
insmod() {
	/sbin/insmod "$@"
}

# ktap_result ok|"not ok" NAME - the next test's result line. A "#" would
# start a KTAP directive, so names get "_" instead.
ktap_result() {
	local name=$2

	case $name in *'#'* | *'
'*) name=$(printf %s "$name" | tr '#\n' '_ ') ;; esac
	ktap_next
	ktap "$1 $KTAP_NUM $name"
}

# t_ok NAME... - record a passed check.
t_ok() {
	BUDDY_PASSED=$((BUDDY_PASSED + 1))
	ktap_result ok "$*"
	return 0
}

# t_fail NAME MSG... - record a failed check, MSG as a diagnostic line.
t_fail() {
	local name=$1

	shift
	BUDDY_FAILED=$((BUDDY_FAILED + 1))
	ktap "# $name: $(printf %s "$*" | tr '\n' ' ')"
	ktap_result "not ok" "$name"
	return 0
}

# t_summary - returns 1 if any check failed or none ran.
t_summary() {
	[ "$BUDDY_FAILED" -eq 0 ] && [ "$BUDDY_PASSED" -gt 0 ]
}

# assert_eq NAME EXPECTED ACTUAL
assert_eq() {
	if [ "$2" = "$3" ]; then
		t_ok "$1"
		return 0
	fi
	t_fail "$1" "expected '$2', got '$3'"
	return 1
}

# assert_ok CMD [ARG...] - the command must exit 0.
assert_ok() {
	local rc

	"$@"
	rc=$?
	if [ $rc -eq 0 ]; then
		t_ok "$*"
		return 0
	fi
	t_fail "$*" "exit status $rc, expected 0"
	return 1
}

# assert_fails CMD [ARG...] - the command must exit non-zero.
assert_fails() {
	local rc

	"$@"
	rc=$?
	if [ $rc -ne 0 ]; then
		t_ok "fails: $*"
		return 0
	fi
	t_fail "fails: $*" "exit status 0, expected failure"
	return 1
}

# kunit_run MODULE.ko [PARAM...] - load a KUnit test module, whose suites
# run as it loads; put each new suite's results file (KTAP already) into
# the script's subtest as the next test; unload the module.
kunit_run() {
	local before r found=

	before=" $(echo /sys/kernel/debug/kunit/*/results) "
	assert_ok insmod "$@" || return 1
	for r in /sys/kernel/debug/kunit/*/results; do
		[ -f "$r" ] || continue
		case "$before" in *" $r "*) continue ;; esac
		found=1
		ktap_next
		# Without the file's own "KTAP version 1" and "1..1", and with
		# the suite's result renumbered.
		sed -E "/^K?TAP version/d; /^1\\.\\.1\$/d; s/^(not ok|ok) 1 (- )?/\\1 $KTAP_NUM /" "$r" |
			while IFS= read -r l; do ktap "$l"; done
	done
	[ -n "$found" ] || t_fail "KUnit results of $1" "no new suite in debugfs"
	assert_ok rmmod "$(basename "$1" .ko)"
}

# kcsan_only MODULE - on a KCSAN kernel, have KCSAN report only the races
# whose two accesses are both in MODULE's functions (a whitelist of its
# text symbols), then turn KCSAN on. Strict KCSAN also reports races of
# the kernel's own, in DEBUG_VM's page checks and RCU's quiescent-state
# flags for two, that no module can fix; so the KCSAN boots pass
# kcsan.early_enable=0 and nothing is watched until the whitelist is in.
# Elsewhere, no-op.
kcsan_only() {
	local f=/sys/kernel/debug/kcsan n=0 s

	[ -w $f ] || return 0
	awk -v m="[$1]" '$4 == m && ($2 == "t" || $2 == "T") { print $3 }' \
		/proc/kallsyms > /tmp/kcsan.syms
	while read -r s; do
		echo "!$s" > $f && n=$((n + 1))
	done < /tmp/kcsan.syms
	echo whitelist > $f
	if [ "$n" -gt 0 ]; then
		t_ok "KCSAN reports races within $1's $n functions"
	else
		t_fail "KCSAN reports races within $1's functions" "none found"
	fi
	echo on > $f
	assert_eq "KCSAN enabled" "enabled: 1" "$(head -n 1 $f)"
}

# expect_warn_begin N - the kernel must print exactly N WARN()s
# ("WARNING: CPU: x PID: y at ...") before expect_warn_end; "N+" means at
# least N (judge.awk counts them). Other reports (lockdep, KASAN, BUG,
# UBSAN) still fail the run.
# WARN_ON_ONCE sites are re-armed so each window sees its own warning.
expect_warn_begin() {
	echo 1 > /sys/kernel/debug/clear_warn_once 2>/dev/null
	say "BUDDY-EXPECT-WARN-BEGIN ${1:-1}"
}

expect_warn_end() {
	say "BUDDY-EXPECT-WARN-END"
}

# kmemleak_baseline - forget what boot left behind. Early ACPI objects
# are reported until two scans have run; the window markers tell
# judge.awk that the kernel's leak count printed here is expected.
kmemleak_baseline() {
	say "BUDDY-KMEMLEAK-BASELINE-BEGIN"
	echo scan > /sys/kernel/debug/kmemleak
	echo scan > /sys/kernel/debug/kmemleak
	echo clear > /sys/kernel/debug/kmemleak
	say "BUDDY-KMEMLEAK-BASELINE-END"
	BUDDY_KMEMLEAK_BASE=1
}

# kmemleak_check [NAME] - report objects leaked since the last baseline
# or check. Objects younger than 5 s are not reported, hence the sleep;
# the second scan drops false positives from stale stack values. Prints
# each leak, records a check and clears, so the next check sees only new
# leaks. Returns 1 if anything leaked.
kmemleak_check() {
	local name=${1:-kmemleak} leaks

	[ -n "${BUDDY_KMEMLEAK_BASE:-}" ] ||
		echo "kmemleak_check: no kmemleak_baseline first;" \
			"boot-time objects may be reported"
	sleep 6
	if ! { echo scan > /sys/kernel/debug/kmemleak &&
			echo scan > /sys/kernel/debug/kmemleak; } 2>/dev/null; then
		t_fail "$name" "cannot scan: is kmemleak enabled?"
		return 1
	fi
	leaks=$(grep -c '^unreferenced object' /sys/kernel/debug/kmemleak)
	if [ "$leaks" -eq 0 ]; then
		t_ok "$name"
		return 0
	fi
	cat /sys/kernel/debug/kmemleak
	echo clear > /sys/kernel/debug/kmemleak
	t_fail "$name" "$leaks suspected memory leak(s)"
	return 1
}

# dmesg_mark - start a dmesg window here. The ring buffer is left whole
# (log_buf_len=32M holds a boot): /init judges all of it at the end.
dmesg_mark() {
	BUDDY_MARK=$(dmesg -r | wc -l)
}

# dmesg_since_mark [LEVEL] - kernel messages since dmesg_mark, without
# timestamps or protocol lines; with LEVEL (0-7 or emerg, alert, crit,
# err, warn, notice, info, debug) only messages of that level.
dmesg_since_mark() {
	local lvl

	case "${1:-}" in
	'') lvl=any ;;
	emerg) lvl=0 ;;
	alert) lvl=1 ;;
	crit) lvl=2 ;;
	err) lvl=3 ;;
	warn|warning) lvl=4 ;;
	notice) lvl=5 ;;
	info) lvl=6 ;;
	debug) lvl=7 ;;
	[0-7]) lvl=$1 ;;
	*) echo "dmesg_since_mark: bad level $1" >&2; return 2 ;;
	esac
	dmesg -r | tail -n +$((${BUDDY_MARK:-0} + 1)) | awk -v lvl="$lvl" '
		match($0, /^<[0-9]+>/) {
			prio = substr($0, 2, RLENGTH - 2) % 8
			line = substr($0, RLENGTH + 1)
			sub(/^\[[ 0-9.]*\] ?/, "", line)
			if (line ~ /^BUDDY-/)
				next
			if (lvl == "any" || prio == lvl)
				print line
		}'
}

# dmesg_count PATTERN [LEVEL] - how many messages since the mark match
# the extended regex PATTERN.
dmesg_count() {
	dmesg_since_mark "${2:-}" | grep -cE -e "$1"
}

# dmesg_contains PATTERN [LEVEL] - succeed if any message matches.
dmesg_contains() {
	dmesg_since_mark "${2:-}" | grep -qE -e "$1"
}
