# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# Run the KUnit suites: load buddy.ko, then the test module, whose suites
# run as it loads and whose debugfs results join this boot's KTAP; unload
# both and check kmemleak. With tests/vm/edu.sh, the edu devices' tests
# too. KUNIT_SEED replays the randomised tests' seed
# (its parameter seed, logged by each).
# shellcheck source=tests/vm/guest-lib.sh
. /root/guest-lib.sh

kmemleak_baseline
assert_ok insmod /root/buddy.ko pool_size=4M || exit 1
kcsan_only buddy
kunit_run /root/buddy_kunit.ko ${KUNIT_SEED:+seed=$KUNIT_SEED}
# Where the boot adds QEMU's edu (behind an IOMMU: EDU_IOMMU=1), its pool.
if [ -f /root/edu.sh ]; then
	# shellcheck source=tests/vm/edu.sh
	. /root/edu.sh
	edu_suite "${EDU_IOMMU:-0}"
	# The second edu, with a wide DMA mask: a 256 MiB contiguous pool.
	edu_contig_suite "${EDU_IOMMU:-0}" 268435456
fi
assert_ok rmmod buddy
assert_fails test -e /sys/kernel/debug/buddy
kmemleak_check kmemleak
t_summary
