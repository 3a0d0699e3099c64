# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# `make bench`: load the stock modules the benchmark needs (BENCH_PRELOAD,
# names in load order), buddy.ko, then the benchmark, which runs in its
# init and prints its results, which are copied from the kernel log into
# the KTAP as diagnostics (the result port, not the console, where other
# output can cut into a line). BENCH_ARGS are its parameters.
# shellcheck source=tests/vm/guest-lib.sh
. /root/guest-lib.sh

for m in ${BENCH_PRELOAD:-}; do
	assert_ok insmod "/root/$m.ko" || exit 1
done
assert_ok insmod /root/buddy.ko || exit 1
# shellcheck disable=SC2086
assert_ok insmod /root/buddy_bench.ko ${BENCH_ARGS:-}
dmesg | sed -nE 's/^\[[^]]*\] //; /buddy-bench: |mem auto-init: /p' |
	while IFS= read -r l; do ktap "# $l"; done
assert_ok rmmod buddy_bench
assert_ok rmmod buddy
t_summary
