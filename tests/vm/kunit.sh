# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# Run the KUnit suites: load buddy.ko, then the test module, whose suites
# run as it loads and whose debugfs results join this boot's KTAP; unload
# both and check kmemleak. KUNIT_SEED replays the randomised tests' seed
# (its parameter seed, logged by each).
# shellcheck source=tests/vm/guest-lib.sh
. /root/guest-lib.sh

kmemleak_baseline
assert_ok insmod /root/buddy.ko pool_size=4M || exit 1
kcsan_only buddy
kunit_run /root/buddy_kunit.ko ${KUNIT_SEED:+seed=$KUNIT_SEED}
assert_ok rmmod buddy
assert_fails test -e /sys/kernel/debug/buddy
kmemleak_check kmemleak
t_summary
