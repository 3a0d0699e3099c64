// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suites for buddy.ko: the core inside the kernel, the pool API,
 * atomic-context use, multi-chunk pools, a concurrent stress test, the
 * debugfs files, the per-CPU caches, issue 8's calls (range and exact
 * allocations, offsets, pools that grow and shrink), and issue 11's
 * zeroing and KASAN poisoning, and pools for a device. A separate module (CONFIG_BUDDY_KUNIT_TEST),
 * so buddy.ko carries no tests. KUnit runs a module's suites as it loads:
 * before its init on 6.1, after it on 6.12.
 *
 * The core suite drives cores of its own through buddy.ko's core, pools
 * are reached through buddy.ko's API, and both through a few KUnit-only
 * exports (EXPORT_SYMBOL_IF_KUNIT).
 *
 * Every scenario asserts the invariant checker before and after it runs.
 * Randomised tests take the module parameter seed, picked at random unless
 * given, and log it: `insmod buddy_kunit.ko seed=N` replays a run. What a
 * test makes (pools, cores) is released by KUnit actions when it ends,
 * even when an assertion ends it early.
 *
 * One file per suite, <area>_kunit.c for suite buddy_<area>; what several
 * share is in buddy_kunit_helpers.c, declared in buddy_kunit.h. The
 * suites run in the order they are listed here.
 */
#include <kunit/test.h>
#include <linux/module.h>

#include "buddy_kunit.h"

kunit_test_suites(&buddy_core_suite, &buddy_pool_suite, &buddy_stress_suite,
		  &buddy_debugfs_suite, &buddy_pcp_suite, &buddy_range_suite,
		  &buddy_exact_suite, &buddy_grow_suite, &buddy_zero_suite,
		  &buddy_kasan_suite, &buddy_dma_suite, &buddy_contig_suite,
		  &buddy_user_suite);

MODULE_IMPORT_NS(BUDDY_NS);
MODULE_IMPORT_NS(BUDDY_KUNIT_NS);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for buddy.ko");
