# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# `make bench`: run the in-kernel benchmark once buddy.ko is loaded.
. /root/lib.sh

assert_ok insmod /root/buddy.ko || exit 1
assert_ok insmod /root/buddy_bench.ko ${BENCH_ARGS:-}
assert_ok rmmod buddy_bench
assert_ok rmmod buddy
t_summary
