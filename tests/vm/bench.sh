# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# `make bench`: load the stock modules the benchmark needs (BENCH_PRELOAD,
# names in load order), buddy.ko, then the benchmark, which runs in its
# init and prints its results, which are copied from the kernel log into
# the KTAP as diagnostics (the result port, not the console, where other
# output can cut into a line). BENCH_ARGS are its parameters. buddy.ko
# is loaded with user=1 (its default 4 MiB pool, which the benchmark does
# not use, opens to /dev/buddy), and once the benchmark is unloaded,
# /root/buddy_user_bench, where given, times allocate+close of a dma-buf
# from /dev/buddy against /dev/dma_heap/system, and counts the sg entries
# an importer maps for each (buddy_edu_test.ko on the second edu, loaded
# where /root/edu.sh is given); its KTAP document is nested here as one
# test, its "# user_*" lines among it.
# shellcheck source=tests/vm/guest-lib.sh
. /root/guest-lib.sh

for m in ${BENCH_PRELOAD:-}; do
	assert_ok insmod "/root/$m.ko" || exit 1
done
assert_ok insmod /root/buddy.ko user=1 || exit 1
# shellcheck disable=SC2086
assert_ok insmod /root/buddy_bench.ko ${BENCH_ARGS:-}
dmesg | sed -nE 's/^\[[^]]*\] //; /buddy-bench: |mem auto-init: /p' |
	while IFS= read -r l; do ktap "# $l"; done
assert_ok rmmod buddy_bench

# user_bench - run the user-space benchmark from /tmp (the initramfs's
# files are not executable) and nest its document as test user_bench,
# which passes if it exited 0 with its plan's worth of results, none
# "not ok".
user_bench() {
	local rc l plan=0 n=0 bad=0

	if ! cp /root/buddy_user_bench /tmp/ ||
			! chmod +x /tmp/buddy_user_bench; then
		t_fail user_bench "cannot copy it to /tmp"
		return 1
	fi
	/tmp/buddy_user_bench > /tmp/user.ktap 2> /tmp/user.err
	rc=$?
	cat /tmp/user.err
	ktap "    KTAP version 1"
	ktap "    # Subtest: user_bench"
	while IFS= read -r l; do
		case $l in
		'KTAP version'*) continue ;;
		1..*) plan=${l#1..} ;;
		'ok '*) n=$((n + 1)) ;;
		'not ok '*) n=$((n + 1)) bad=$((bad + 1)) ;;
		esac
		ktap "    $l"
	done < /tmp/user.ktap
	if [ $rc -eq 0 ] && [ $bad -eq 0 ] && [ $n -eq "$plan" ] && [ $n -gt 0 ]; then
		t_ok user_bench
	else
		t_fail user_bench "exit status $rc, $n of $plan results, $bad not ok"
	fi
}

if [ -f /root/buddy_user_bench ]; then
	importer=
	if [ -f /root/edu.sh ]; then
		# shellcheck source=tests/vm/edu.sh
		. /root/edu.sh
		# shellcheck disable=SC2119 # no parameters to pass
		edu_importer_load && importer=1
	fi
	user_bench
	[ -n "$importer" ] && edu_importer_unload
fi
assert_ok rmmod buddy
t_summary
