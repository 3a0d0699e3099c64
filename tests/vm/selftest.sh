# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# Guest side of the harness self-test (scripts/harness-selftest.sh).
# Needs vmdummy.ko, vmdummy_kunit.ko and vmdummy_kunit_fail.ko from
# tests/vm/dummy in /root (and buddy.ko and buddy_client.ko for the
# client-* modes). SELFTEST (set with qemu-run.sh --env) picks
# what to do: "clean" must pass; every other mode provokes one problem
# that the boot's KTAP has to show.
# shellcheck source=/dev/null
# shellcheck source=tests/vm/guest-lib.sh
. /root/guest-lib.sh

MODE=${SELFTEST:-clean}
echo "selftest: mode $MODE"

# load PARAM... - load and unload vmdummy.ko with the given parameters.
load() {
	insmod /root/vmdummy.ko "$@" && rmmod vmdummy
}

case "$MODE" in
clean)
	kmemleak_baseline
	assert_ok true
	assert_fails false
	assert_eq "assert_eq" same same

	# KUnit results join the boot's KTAP.
	kunit_run /root/vmdummy_kunit.ko

	assert_ok load

	# guest-lib.sh's insmod makes one finit_module() call: a failing init
	# runs, and prints its error, exactly once.
	dmesg_mark
	assert_fails insmod /root/vmdummy.ko fail_init=1
	assert_eq "failing init prints one pr_err" 1 \
		"$(dmesg_count 'vmdummy: init failed' err)"
	assert_fails dmesg_contains 'vmdummy: init failed' info
	# For the record: busybox's applet retries with init_module().
	dmesg_mark
	busybox insmod /root/vmdummy.ko fail_init=1 2>/dev/null
	echo "selftest: busybox insmod ran a failing init" \
		"$(dmesg_count 'vmdummy: init failed') time(s)"

	# Expected warnings, several times over to show that the window
	# markers and the WARN() output stay in order on the console.
	for _ in 1 2 3; do
		expect_warn_begin 1
		assert_ok load warn=1
		expect_warn_end
	done
	expect_warn_begin 2
	load warn=1
	load warn=1
	expect_warn_end
	expect_warn_begin 1+
	load warn=1
	load warn=1
	expect_warn_end

	kmemleak_check
	;;
interleave)
	# Keep the console busy while the kernel prints WARN()s and window
	# markers: every window must still be judged (from dmesg), and every
	# KUnit result must still arrive (on the result port).
	rm -f /tmp/quiet
	(
		i=0
		while [ ! -e /tmp/quiet ]; do
			echo "noise $i: plain guest output racing the kernel's lines"
			i=$((i + 1))
		done
	) &
	for _ in 1 2 3 4 5; do
		expect_warn_begin 1
		assert_ok load warn=1
		expect_warn_end
		kunit_run /root/vmdummy_kunit.ko
	done
	touch /tmp/quiet
	wait
	;;
flood)
	# Unterminated writes to the console and to stderr (also the
	# console) and a printk storm, all while checks and KUnit results
	# are recorded: every result must arrive, numbered without a gap.
	# FLOOD_CHECKS and FLOOD_EVERY come from harness-selftest.sh, which
	# counts what arrives.
	: "${FLOOD_CHECKS:?set by harness-selftest.sh}" "${FLOOD_EVERY:?}"
	rm -f /tmp/quiet
	(
		i=0
		while [ ! -e /tmp/quiet ]; do
			printf 'flood %d, no newline ' $i > /dev/console
			printf 'stderr %d, no newline ' $i >&2
			i=$((i + 1))
		done
	) &
	assert_ok insmod /root/vmdummy.ko storm=1
	i=1
	while [ $i -le "$FLOOD_CHECKS" ]; do
		t_ok "flood check $i"
		[ $((i % FLOOD_EVERY)) -eq 0 ] && kunit_run /root/vmdummy_kunit.ko
		i=$((i + 1))
	done
	assert_ok rmmod vmdummy
	touch /tmp/quiet
	wait
	;;
warn)
	load warn=1
	;;
warn-missing)
	expect_warn_begin 1
	load
	expect_warn_end
	;;
warn-extra)
	expect_warn_begin 1
	load warn=1
	load warn=1
	expect_warn_end
	;;
warn-unclosed)
	expect_warn_begin 1
	load warn=1
	;;
lockdep-in-window)
	# A window admits WARN()s only, not lockdep reports.
	expect_warn_begin 0+
	load lockdep=1
	expect_warn_end
	;;
kasan)
	load oob=1
	;;
ubsan)
	load ubsan=1
	;;
kcsan)
	load race=1
	;;
lockdep)
	load lockdep=1
	;;
atomic)
	load atomic_sleep=1
	;;
oops|oops-panic)
	# The Oops kills insmod only; the script goes on (oops=panic: not).
	load oops=1
	echo "selftest: still running after the Oops"
	;;
pagealloc-uaf)
	load page_uaf=1
	;;
page-poison)
	load poison=1
	;;
leak)
	kmemleak_baseline
	load leak=1
	kmemleak_check
	;;
client-*)
	# One bad access by a client of buddy.ko; KASAN names the client.
	insmod /root/buddy.ko
	insmod /root/buddy_client.ko nr_blocks=0 bad_access="${MODE#client-}"
	rmmod buddy_client
	rmmod buddy
	;;
kunit-fail)
	kunit_run /root/vmdummy_kunit_fail.ko
	;;
kunit-none)
	# A module without suites: kunit_run fails its check.
	kunit_run /root/vmdummy.ko
	;;
check-fail)
	t_fail "deliberate" "this check fails on purpose"
	;;
rc)
	t_ok "about to exit 3"
	exit 3
	;;
hang)
	sleep 100000
	;;
*)
	t_fail "selftest" "unknown mode $MODE"
	;;
esac

# Every mode but "clean" has at most the one deliberate problem above.
t_ok "mode $MODE ran"
t_summary
